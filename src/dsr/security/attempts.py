"""Counting attempts at a secret — a code, a link, a password, a TOTP code, a phone fact —
in one place, for every counter.

An attempt is counted *before* it is judged, by one statement:
``UPDATE … SET n = n + 1 WHERE … AND n < limit RETURNING …``. Concurrent attempts at one row
queue on its row lock (PostgreSQL re-reads the row the one before committed) or on the write
lock (SQLite, ``BEGIN IMMEDIATE``), so however many arrive at once, no more than ``limit`` are
ever judged. ``settle`` then writes the attempt's audit event and commits, before the caller
answers: neither the count nor its event can be undone by the error response that follows a
wrong answer.

Counters over something that is not one of our rows (a customer of the system of record, an
agent, a request's phone checks) live in ``attempt_counter``, keyed by a keyed hash, with a
window after which they start again.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, delete, update
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from dsr.db import conflict_insert
from dsr.models import AttemptCounter
from dsr.security.audit import append_event
from dsr.security.fields import BlindIndex

LONGEST = timedelta(days=30)  # no ``Window`` may be longer


@dataclass(frozen=True, slots=True)
class Counter:
    """An integer column counting attempts on a row, and how many may be judged."""

    column: Any  # a model's int column, e.g. ``Verification.attempts``
    limit: int


@dataclass(frozen=True, slots=True)
class Window:
    """A counter in ``attempt_counter``: ``limit`` attempts per key within ``period``,
    counted from the first attempt of the window (at most ``LONGEST``)."""

    name: str
    limit: int
    period: timedelta


async def count(
    session: AsyncSession,
    counter: Counter,
    *where: ColumnElement[bool],
    returning: tuple[Any, ...] = (),
) -> tuple[Any, ...] | None:
    """Count one attempt on the row ``where`` selects if it is below the limit, and return
    the new count (first) with the ``returning`` columns; ``None``: no such row or the limit
    is reached — judge nothing. The caller judges, then calls ``settle``."""
    column = counter.column
    statement = (
        update(column.class_)
        .where(*where, column < counter.limit)
        .values({column.key: column + 1})
        .returning(column, *returning)
    )
    row = (await session.exec(statement)).first()
    return None if row is None else tuple(row)


async def count_keyed(
    session: AsyncSession, index: BlindIndex, window: Window, key: str, now: datetime
) -> int | None:
    """``count`` on the ``window`` counter of ``key`` (stored as a keyed hash only): the
    attempt's number, or ``None`` when the window's limit is reached."""
    bucket = _bucket(index, window, key)
    table = AttemptCounter.__table__  # type: ignore[attr-defined]
    insert = conflict_insert(session)
    await session.exec(
        insert(table)
        .values(key=bucket, started_at=now, attempts=0)
        .on_conflict_do_nothing(index_elements=["key"])
    )
    await session.exec(
        update(AttemptCounter)
        .where(
            col(AttemptCounter.key) == bucket,
            col(AttemptCounter.started_at) <= now - window.period,
        )
        .values(attempts=0, started_at=now)
    )
    row = await count(
        session,
        Counter(AttemptCounter.attempts, window.limit),
        col(AttemptCounter.key) == bucket,
    )
    return None if row is None else int(row[0])


async def give_back(session: AsyncSession, index: BlindIndex, window: Window, key: str) -> None:
    """Uncount an attempt that turned out not to be a failure (a phone check that verified),
    for windows that count failures only."""
    await session.exec(
        update(AttemptCounter)
        .where(
            col(AttemptCounter.key) == _bucket(index, window, key),
            col(AttemptCounter.attempts) > 0,
        )
        .values(attempts=AttemptCounter.attempts - 1)
    )


async def forget_old_counters(session: AsyncSession, now: datetime) -> int:
    """Delete ``attempt_counter`` rows whose window opened before the longest window (the
    scheduler's sweep): they would start again anyway."""
    result = await session.exec(
        delete(AttemptCounter).where(col(AttemptCounter.started_at) < now - LONGEST)
    )
    return int(result.rowcount)


async def settle(
    session: AsyncSession,
    *,
    actor: str | None = None,
    action: str | None = None,
    request_id: Any = None,
    payload: Mapping[str, Any] | None = None,
) -> None:
    """Write the judged attempt's audit event (if any) and commit the transaction now, with
    its count: whatever the caller answers next, and even if it answers with an error."""
    if actor is not None and action is not None:
        await append_event(
            session, actor=actor, action=action, request_id=request_id, payload=payload
        )
    await session.commit()


def _bucket(index: BlindIndex, window: Window, key: str) -> str:
    bucket = index("attempt", f"{window.name}:{key}")
    assert bucket is not None  # a non-empty key always has an index
    return bucket
