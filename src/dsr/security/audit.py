"""The audit trail as a SHA-256 hash chain: editing, deleting or reordering an event breaks it.

``hash = sha256(prev_hash || canonical JSON of seq, at, actor, request, action, payload)``;
the first event's ``prev_hash`` is 64 zeros. ``verify_chain`` walks the chain in order.

Events are written in the transaction that does what they record, without a chain lock;
``chain_pending`` (the scheduler, every tick, and ``dsr audit verify``) then gives them their
place in the chain, under one lock, in batches. Until then (seconds) an event is stored but
not yet protected by the chain.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam, func, insert, text, update
from sqlalchemy import event as orm_events
from sqlalchemy import select as sa_select
from sqlalchemy.orm import Session
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from dsr.db import AUDIT_LOCK_KEY
from dsr.models import Event
from dsr.models.base import utcnow

GENESIS = "0" * 64
_PENDING = "dsr.audit.pending"  # session.info: this transaction's events, written at commit
_HOOKED = "dsr.audit.hooked"
_EVENTS = Event.__table__  # type: ignore[attr-defined]
CHAIN_BATCH = 2000


def event_hash(
    prev_hash: str,
    seq: int,
    at: datetime,
    actor: str,
    request_id: uuid.UUID | None,
    action: str,
    payload: Mapping[str, Any],
) -> str:
    body = json.dumps(
        {
            "seq": seq,
            "at": at.astimezone(UTC).isoformat(timespec="microseconds"),
            "actor": actor,
            "request": str(request_id) if request_id else None,
            "action": action,
            "payload": payload,
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        default=str,
    )
    return hashlib.sha256((prev_hash + body).encode()).hexdigest()


async def append_event(
    session: AsyncSession,
    *,
    actor: str,
    action: str,
    request_id: uuid.UUID | None = None,
    payload: Mapping[str, Any] | None = None,
) -> None:
    """Record one event in the caller's transaction (written with it, in one statement, at
    commit or at ``flush_events``); nothing is written if the transaction rolls back."""
    sync = session.sync_session
    if not sync.info.get(_HOOKED):
        orm_events.listen(sync, "before_commit", _write_sync)
        orm_events.listen(sync, "after_rollback", _forget)
        sync.info[_HOOKED] = True
    clean_payload = json.loads(json.dumps(dict(payload or {}), default=str))
    sync.info.setdefault(_PENDING, []).append((utcnow(), actor, request_id, action, clean_payload))


async def flush_events(session: AsyncSession) -> None:
    """Write this transaction's events now (before reading them back in it)."""
    await session.run_sync(_write_sync)


def _write_sync(sync: Session) -> None:
    pending = sync.info.pop(_PENDING, [])
    if pending:
        sync.execute(
            insert(_EVENTS),
            [
                {"at": at, "actor": actor, "request_id": rid, "action": action, "payload": body}
                for at, actor, rid, action, body in pending
            ],
        )


def _forget(sync: Session, *_: Any) -> None:
    sync.info.pop(_PENDING, None)


async def chain_pending(session: AsyncSession, batch: int = CHAIN_BATCH) -> int:
    """Give the events written so far their place in the chain, oldest first; returns how
    many. One sealer at a time (an advisory lock on PostgreSQL; SQLite has one writer)."""
    connection = await session.connection()
    if connection.dialect.name == "postgresql":
        await connection.execute(
            text("SELECT pg_advisory_xact_lock(:key)"), {"key": AUDIT_LOCK_KEY}
        )
    c = _EVENTS.c
    last = (
        await connection.execute(
            sa_select(c.seq, c.hash).where(c.seq.is_not(None)).order_by(c.seq.desc()).limit(1)
        )
    ).first()
    seq, prev_hash = (int(last[0]), str(last[1])) if last else (0, GENESIS)
    rows = (
        await connection.execute(
            sa_select(c.id, c.at, c.actor, c.request_id, c.action, c.payload)
            .where(c.seq.is_(None))
            .order_by(c.id)
            .limit(batch)
        )
    ).all()
    changes = []
    for event_id, at, actor, request_id, action, payload in rows:
        seq += 1
        digest = event_hash(prev_hash, seq, at, actor, request_id, action, payload)
        changes.append({"_id": event_id, "_seq": seq, "_prev": prev_hash, "_hash": digest})
        prev_hash = digest
    if changes:
        await connection.execute(
            update(_EVENTS)
            .where(_EVENTS.c.id == bindparam("_id"))
            .values(seq=bindparam("_seq"), prev_hash=bindparam("_prev"), hash=bindparam("_hash")),
            changes,
        )
    return len(changes)


async def chain_all(session: AsyncSession) -> int:
    """Chain every event waiting, batch after batch in this transaction; returns how many."""
    total = 0
    while (chained := await chain_pending(session)) == CHAIN_BATCH:
        total += chained
    return total + chained


async def unchained(session: AsyncSession) -> int:
    """How many events wait for ``chain_pending``."""
    return int(
        (
            await session.exec(
                select(func.count()).select_from(Event).where(col(Event.seq).is_(None))
            )
        ).one()
    )


@dataclass(frozen=True, slots=True)
class ChainReport:
    checked: int
    first_bad_seq: int | None = None
    problem: str | None = None
    pending: int = 0  # written, not yet chained

    @property
    def ok(self) -> bool:
        return self.first_bad_seq is None


async def verify_chain(session: AsyncSession, batch: int = 5000) -> ChainReport:
    """Walk every chained event in ``seq`` order; report the first that does not fit the
    chain, and how many events still wait to be chained."""
    expected_seq, prev_hash, checked = 1, GENESIS, 0
    async for event in _events_in_order(session, batch):
        seq = event.seq or 0
        if seq != expected_seq:
            return ChainReport(checked, expected_seq, "missing event")
        if event.prev_hash != prev_hash:
            return ChainReport(checked, seq, "previous hash does not match")
        recomputed = event_hash(
            prev_hash, seq, event.at, event.actor, event.request_id, event.action, event.payload
        )
        if recomputed != event.hash:
            return ChainReport(checked, seq, "content does not match its hash")
        expected_seq, prev_hash, checked = seq + 1, recomputed, checked + 1
    return ChainReport(checked, pending=await unchained(session))


async def _events_in_order(session: AsyncSession, batch: int) -> AsyncIterator[Event]:
    after = 0
    while True:
        rows = (
            await session.exec(
                select(Event).where(col(Event.seq) > after).order_by(col(Event.seq)).limit(batch)
            )
        ).all()
        if not rows:
            return
        for row in rows:
            yield row
        after = rows[-1].seq or 0
        session.expunge_all()
