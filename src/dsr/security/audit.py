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

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from dsr.db import lock_audit_chain
from dsr.models import Event
from dsr.models.base import utcnow

GENESIS = "0" * 64
_HEAD = "dsr.audit.head"  # session.info: (transaction, seq, hash) of this transaction's last event


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
) -> Event:
    """Append one event in the caller's transaction, which holds the chain lock from its
    first event to its end: later events of the same transaction chain onto the head it
    remembers instead of locking and reading again, and all are inserted at the next flush."""
    transaction = session.sync_session.get_transaction()
    head = session.info.get(_HEAD)
    if head is None or head[0] is not transaction:
        await lock_audit_chain(session)
        last = (await session.exec(select(Event).order_by(col(Event.seq).desc()).limit(1))).first()
        head = (transaction, last.seq if last else 0, last.hash if last else GENESIS)
    seq, prev_hash = head[1] + 1, head[2]
    at = utcnow()
    clean_payload = json.loads(json.dumps(dict(payload or {}), default=str))
    event = Event(
        seq=seq,
        at=at,
        actor=actor,
        request_id=request_id,
        action=action,
        payload=clean_payload,
        prev_hash=prev_hash,
        hash=event_hash(prev_hash, seq, at, actor, request_id, action, clean_payload),
    )
    session.add(event)
    session.info[_HEAD] = (transaction, seq, event.hash)
    return event


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
