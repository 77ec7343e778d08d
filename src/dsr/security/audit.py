"""The audit trail as a SHA-256 hash chain: editing, deleting or reordering an event breaks it.

``hash = sha256(prev_hash || canonical JSON of seq, at, actor, request, action, payload)``;
the first event's ``prev_hash`` is 64 zeros. ``verify_chain`` walks the chain in order.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import event as orm_events
from sqlalchemy import insert, text
from sqlalchemy.orm import Session
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from dsr.db import AUDIT_LOCK_KEY
from dsr.models import Event
from dsr.models.base import utcnow

GENESIS = "0" * 64
_PENDING = "dsr.audit.pending"  # session.info: this transaction's events, chained at commit
_HOOKED = "dsr.audit.hooked"


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
    """Record one event in the caller's transaction.

    Events are chained when the transaction commits (or at ``seal``): the chain lock is then
    held for three statements, not for the whole transaction, so concurrent transactions do
    not queue behind each other's slow work. Nothing is chained if the transaction rolls back.
    """
    sync = session.sync_session
    if not sync.info.get(_HOOKED):
        orm_events.listen(sync, "before_commit", _seal_sync)
        orm_events.listen(sync, "after_rollback", _forget)
        sync.info[_HOOKED] = True
    clean_payload = json.loads(json.dumps(dict(payload or {}), default=str))
    sync.info.setdefault(_PENDING, []).append((utcnow(), actor, request_id, action, clean_payload))


async def seal(session: AsyncSession) -> None:
    """Chain this transaction's events now (before reading them back in it)."""
    await session.run_sync(_seal_sync)


def _seal_sync(sync: Session) -> None:
    pending = sync.info.pop(_PENDING, [])
    if not pending:
        return
    connection = sync.connection()
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": AUDIT_LOCK_KEY})
    last = sync.execute(
        select(col(Event.seq), col(Event.hash)).order_by(col(Event.seq).desc()).limit(1)
    ).first()
    seq, prev_hash = (last[0], last[1]) if last else (0, GENESIS)
    rows = []
    for at, actor, request_id, action, payload in pending:
        seq += 1
        digest = event_hash(prev_hash, seq, at, actor, request_id, action, payload)
        rows.append(
            {
                "seq": seq,
                "at": at,
                "actor": actor,
                "request_id": request_id,
                "action": action,
                "payload": payload,
                "prev_hash": prev_hash,
                "hash": digest,
            }
        )
        prev_hash = digest
    # Core, not the unit of work: a plain multi-row insert is all the chain needs.
    sync.execute(insert(Event.__table__), rows)  # type: ignore[attr-defined]


def _forget(sync: Session, *_: Any) -> None:
    sync.info.pop(_PENDING, None)


@dataclass(frozen=True, slots=True)
class ChainReport:
    checked: int
    first_bad_seq: int | None = None
    problem: str | None = None

    @property
    def ok(self) -> bool:
        return self.first_bad_seq is None


async def verify_chain(session: AsyncSession, batch: int = 5000) -> ChainReport:
    """Walk every event in ``seq`` order; report the first that does not fit the chain."""
    expected_seq, prev_hash, checked = 1, GENESIS, 0
    async for event in _events_in_order(session, batch):
        if event.seq != expected_seq:
            return ChainReport(checked, expected_seq, "missing event")
        if event.prev_hash != prev_hash:
            return ChainReport(checked, event.seq, "previous hash does not match")
        recomputed = event_hash(
            event.prev_hash,
            event.seq,
            event.at,
            event.actor,
            event.request_id,
            event.action,
            event.payload,
        )
        if recomputed != event.hash:
            return ChainReport(checked, event.seq, "content does not match its hash")
        expected_seq, prev_hash, checked = event.seq + 1, event.hash, checked + 1
    return ChainReport(checked)


async def _events_in_order(session: AsyncSession, batch: int) -> AsyncIterator[Event]:
    after = 0
    while True:
        rows = (
            await session.exec(
                select(Event).where(Event.seq > after).order_by(col(Event.seq)).limit(batch)
            )
        ).all()
        if not rows:
            return
        for row in rows:
            yield row
        after = rows[-1].seq
        session.expunge_all()
