"""The audit trail as a keyed hash chain: editing, deleting, reordering or forging an event
breaks it, and an anchor kept outside the database shows truncation.

Two HMAC-SHA256 keys derived from ``DSR_AUDIT_KEY`` (never stored in the database):

- the writer's ``mac = HMAC(writer key, nonce, at, actor, request, action, payload)``, written
  with the event by ``append_event``: the proof that dsr wrote it. Someone with write access
  to the database but not the key cannot make one, nor reuse one (``mac`` is unique and the
  sealer refuses one already chained);
- the chain's ``hash = HMAC(chain key, prev_hash || seq, at, actor, request, action, payload,
  mac)``; the first event's ``prev_hash`` is 64 zeros.

Events are written in the transaction that does what they record, without a chain lock;
``chain_pending`` (the scheduler, every second) then gives each event whose ``mac`` holds its
place in the chain, under one lock, in batches, and marks every other one ``refused_at``: it
stays outside the chain, and ``verify_chain`` reports it. ``verify_chain`` writes nothing.
"""

from __future__ import annotations

import hmac
import json
import secrets
import uuid
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import structlog
from sqlalchemy import bindparam, insert, text, update
from sqlalchemy import event as orm_events
from sqlalchemy import select as sa_select
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.orm import Session
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from dsr.db import AUDIT_KEY_INFO, AUDIT_LOCK_KEY
from dsr.domain.errors import ConfigError
from dsr.models import Event
from dsr.models.base import utcnow
from dsr.security.audit_keys import AuditKey
from dsr.workflows import wakeup

log = structlog.get_logger("dsr.audit")

GENESIS = "0" * 64
_PENDING = "dsr.audit.pending"  # session.info: this transaction's events, written at commit
_HOOKED = "dsr.audit.hooked"
_EVENTS = Event.__table__  # type: ignore[attr-defined]
CHAIN_BATCH = 2000
SHOWN_IDS = 20  # refused events named in a report; the count says how many there are


def session_key(session: AsyncSession | Session) -> AuditKey:
    key = session.info.get(AUDIT_KEY_INFO)
    if not isinstance(key, AuditKey):
        raise RuntimeError("this database was opened without DSR_AUDIT_KEY: it cannot audit")
    return key


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
    row = new_event_row(session, actor=actor, action=action, request_id=request_id, payload=payload)
    if not sync.info.get(_HOOKED):
        orm_events.listen(sync, "before_commit", _write_sync)
        orm_events.listen(sync, "after_rollback", _forget)
        sync.info[_HOOKED] = True
    sync.info.setdefault(_PENDING, []).append(row)
    wakeup.soon(sync, wakeup.AUDIT)


def new_event_row(
    session: AsyncSession,
    *,
    actor: str,
    action: str,
    request_id: uuid.UUID | None = None,
    payload: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """An event's row as dsr's writer makes it: with a fresh nonce and the writer's MAC.
    ``append_event`` writes it; a statement that stores an event itself inserts it as is."""
    key = session_key(session)
    clean_payload = json.loads(json.dumps(dict(payload or {}), default=str))
    at, nonce = utcnow(), secrets.token_hex(16)
    return {
        "at": at,
        "actor": actor,
        "request_id": request_id,
        "action": action,
        "payload": clean_payload,
        "nonce": nonce,
        "mac": key.event_mac(nonce, at, actor, request_id, action, clean_payload),
    }


async def flush_events(session: AsyncSession) -> None:
    """Write this transaction's events now (before reading them back in it)."""
    await session.run_sync(_write_sync)


def _write_sync(sync: Session) -> None:
    pending = sync.info.pop(_PENDING, [])
    if pending:
        sync.execute(insert(_EVENTS), pending)


def _forget(sync: Session, *_: Any) -> None:
    sync.info.pop(_PENDING, None)


async def chain_pending(session: AsyncSession, batch: int = CHAIN_BATCH) -> int:
    """Give the events written so far their place in the chain, oldest first, and refuse
    those without dsr's proof (or with one already used); returns how many were chained.
    One sealer at a time (an advisory lock on PostgreSQL; SQLite has one writer)."""
    key = session_key(session)
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
            sa_select(_EVENTS)
            .where(c.seq.is_(None), c.refused_at.is_(None))
            .order_by(c.id)
            .limit(batch)
        )
    ).all()
    used = await _chained_macs(connection, [row.mac for row in rows])
    chained, refused = [], []
    for event in rows:
        if event.mac in used or not key.mac_holds(event):
            refused.append({"_id": event.id})
            continue
        used.add(event.mac)
        seq += 1
        digest = key.chain_hash(prev_hash, seq, event)
        chained.append({"_id": event.id, "_seq": seq, "_prev": prev_hash, "_hash": digest})
        prev_hash = digest
    by_id = c.id == bindparam("_id")
    if chained:
        await connection.execute(
            update(_EVENTS)
            .where(by_id)
            .values(seq=bindparam("_seq"), prev_hash=bindparam("_prev"), hash=bindparam("_hash")),
            chained,
        )
    if refused:
        await connection.execute(update(_EVENTS).where(by_id).values(refused_at=utcnow()), refused)
        log.warning(
            "audit events refused: not written by dsr",
            count=len(refused),
            event_ids=[change["_id"] for change in refused[:SHOWN_IDS]],
        )
    return len(chained)


async def _chained_macs(connection: AsyncConnection, macs: Sequence[str]) -> set[str]:
    """Which of ``macs`` the chain holds already (a copied event would reuse one)."""
    c = _EVENTS.c
    found: set[str] = set()
    for start in range(0, len(macs), 500):
        query = sa_select(c.mac).where(c.mac.in_(macs[start : start + 500]), c.seq.is_not(None))
        found.update(str(mac) for mac in (await connection.execute(query)).scalars())
    return found


async def chain_all(session: AsyncSession) -> int:
    """Chain every event waiting, batch after batch in this transaction; returns how many."""
    total = 0
    while await _waiting(session):
        total += await chain_pending(session)
    return total


async def _waiting(session: AsyncSession) -> bool:
    c = _EVENTS.c
    query = sa_select(c.id).where(c.seq.is_(None), c.refused_at.is_(None)).limit(1)
    return (await (await session.connection()).execute(query)).first() is not None


@dataclass(frozen=True, slots=True)
class Anchor:
    """The chain's head at a moment, kept by the operator outside the database."""

    seq: int
    hash: str
    at: datetime

    def to_json(self) -> str:
        return json.dumps(
            {"seq": self.seq, "hash": self.hash, "at": self.at.isoformat(timespec="seconds")}
        )

    @classmethod
    def from_json(cls, line: str) -> Anchor:
        try:
            raw = json.loads(line)
            anchor = cls(int(raw["seq"]), str(raw["hash"]), datetime.fromisoformat(raw["at"]))
        except (ValueError, KeyError, TypeError) as exc:
            raise ConfigError(f"not an audit anchor: {line[:80]!r}") from exc
        if anchor.seq < 0 or len(anchor.hash) != 64:
            raise ConfigError(f"not an audit anchor: {line[:80]!r}")
        return anchor


def read_anchors(path: Path) -> list[Anchor]:
    """The anchors of a file written by ``dsr audit anchor`` (one JSON object per line)."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise ConfigError(f"cannot read the anchor file {path}: {exc.strerror}") from exc
    anchors = [Anchor.from_json(line) for line in lines if line.strip()]
    if not anchors:
        raise ConfigError(f"no anchor in {path}")
    return anchors


def write_anchor(path: Path, anchor: Anchor) -> None:
    """Append ``anchor`` to ``path``: older anchors stay, each keeps its part of the chain."""
    try:
        with path.open("a", encoding="utf-8") as handle:
            handle.write(anchor.to_json() + "\n")
    except OSError as exc:
        raise ConfigError(f"cannot write the anchor file {path}: {exc.strerror}") from exc


async def head_anchor(session: AsyncSession) -> Anchor:
    """The newest chained event (``seq`` 0 and the genesis hash for an empty chain)."""
    head = (
        await session.exec(
            select(Event.seq, Event.hash)
            .where(col(Event.seq).is_not(None))
            .order_by(col(Event.seq).desc())
            .limit(1)
        )
    ).first()
    seq, digest = head if head else (0, GENESIS)
    return Anchor(int(seq or 0), str(digest), utcnow())


@dataclass(frozen=True, slots=True)
class ChainReport:
    checked: int
    first_bad_seq: int | None = None
    problem: str | None = None
    pending: int = 0  # written by dsr, not chained yet
    refused: int = 0  # outside the chain without dsr's proof
    refused_ids: tuple[int, ...] = ()
    anchors: int = 0  # anchors the chain was checked against

    @property
    def ok(self) -> bool:
        return self.first_bad_seq is None and not self.refused


class ChainWalk:
    """Events fed in ``seq`` order; keeps the first one that does not fit the chain."""

    def __init__(self, key: AuditKey, anchors: Iterable[Anchor] = ()) -> None:
        self.key = key
        self.expected_seq, self.prev_hash, self.checked = 1, GENESIS, 0
        self.first_bad_seq: int | None = None
        self.problem: str | None = None
        self.anchors = {anchor.seq: anchor for anchor in anchors}

    def add(self, event: Event) -> bool:
        """False once the chain is broken (the rest need not be read)."""
        seq = event.seq or 0
        if seq != self.expected_seq:
            return self._broken(self.expected_seq, "missing event")
        if event.prev_hash != self.prev_hash:
            return self._broken(seq, "previous hash does not match")
        recomputed = self.key.chain_hash(self.prev_hash, seq, event)
        if not hmac.compare_digest(recomputed, event.hash or ""):
            return self._broken(seq, "content does not match its hash")
        anchor = self.anchors.get(seq)
        if anchor and not hmac.compare_digest(anchor.hash, recomputed):
            return self._broken(seq, f"differs from anchor {seq} (rewritten since it was taken)")
        self.expected_seq, self.prev_hash, self.checked = seq + 1, recomputed, self.checked + 1
        return True

    def finish(self) -> None:
        """After the last event: an anchor beyond the chain's end means truncation."""
        if self.first_bad_seq is not None:
            return
        beyond = [seq for seq in self.anchors if seq > self.checked]
        if beyond:
            self._broken(
                self.checked + 1,
                f"truncated after anchor {max(beyond)} was taken: "
                f"the chain ends at seq {self.checked}",
            )

    def _broken(self, seq: int, problem: str) -> bool:
        self.first_bad_seq, self.problem = seq, problem
        return False


async def verify_chain(
    session: AsyncSession, anchors: Sequence[Anchor] = (), batch: int = 5000
) -> ChainReport:
    """Walk every chained event in ``seq`` order and report the first that does not fit the
    chain or the ``anchors``; check every event outside the chain for dsr's proof. Changes
    nothing: an event without the proof is reported, never chained."""
    key = session_key(session)
    walk = ChainWalk(key, anchors)
    async for event in _events_in_order(session, batch):
        if not walk.add(event):
            break
    walk.finish()
    pending, refused = await _outside_the_chain(session, key, batch)
    return ChainReport(
        walk.checked,
        walk.first_bad_seq,
        walk.problem,
        pending=pending,
        refused=len(refused),
        refused_ids=tuple(refused[:SHOWN_IDS]),
        anchors=len(anchors),
    )


async def _outside_the_chain(
    session: AsyncSession, key: AuditKey, batch: int
) -> tuple[int, list[int]]:
    """How many unchained events carry dsr's proof, and the ids of those that do not (or
    that the sealer refused)."""
    pending, after = 0, 0
    refused: list[int] = []
    while True:
        rows = (
            await session.exec(
                select(Event)
                .where(col(Event.seq).is_(None), col(Event.id) > after)
                .order_by(col(Event.id))
                .limit(batch)
            )
        ).all()
        if not rows:
            return pending, refused
        for event in rows:
            if event.refused_at is None and key.mac_holds(event):
                pending += 1
            else:
                refused.append(event.id or 0)
        after = rows[-1].id or 0
        session.expunge_all()


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
