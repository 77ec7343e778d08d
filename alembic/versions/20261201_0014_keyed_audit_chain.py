"""keyed audit chain: writer MACs, HMAC links, refused events

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01 19:30:00

Every event gets a ``nonce`` and the writer's ``mac`` (dsr's proof that dsr wrote it), and
the chain is re-keyed: each ``hash`` becomes an HMAC under ``DSR_AUDIT_KEY`` (run through
``dsr db upgrade``, which passes the key). Only a verified chain is re-keyed: the upgrade
walks the old SHA-256 chain first and stops, changing nothing, at the first event that does
not fit. Events not chained yet were written before there was a key to prove anything: they
get their MAC here and the sealer chains them.

The downgrade verifies the keyed chain the same way (and refuses while events outside it
lack dsr's proof), then restores the SHA-256 hashes.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Iterator, Sequence
from typing import Any

import sqlalchemy as sa
from alembic import context, op

from dsr.domain.errors import ConfigError
from dsr.models.base import UTCDateTime
from dsr.security.audit import GENESIS, ChainWalk
from dsr.security.audit_keys import AuditKey

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 5000
_COLUMNS = (
    sa.column("id", sa.Integer()),
    sa.column("seq", sa.Integer()),
    sa.column("at", UTCDateTime()),
    sa.column("actor", sa.String()),
    sa.column("request_id", sa.Uuid()),
    sa.column("action", sa.String()),
    sa.column("payload", sa.JSON()),
    sa.column("prev_hash", sa.String()),
    sa.column("hash", sa.String()),
)
EVENT = sa.table(
    "event",
    *_COLUMNS,
    sa.column("nonce", sa.String()),
    sa.column("mac", sa.String()),
    sa.column("refused_at", UTCDateTime()),
)
OLD_EVENT = sa.table("event", *(sa.column(c.name, c.type) for c in _COLUMNS))


def upgrade() -> None:
    connection = op.get_bind()
    key = _key(connection)
    if key is not None:
        _verify_legacy(connection)  # before anything changes
    op.add_column("event", sa.Column("nonce", sa.String(length=32), nullable=True))
    op.add_column("event", sa.Column("mac", sa.String(length=64), nullable=True))
    op.add_column("event", sa.Column("refused_at", sa.DateTime(timezone=True), nullable=True))
    if key is not None:
        _rekey(connection, key)
    with op.batch_alter_table("event") as batch:
        batch.alter_column("nonce", existing_type=sa.String(length=32), nullable=False)
        batch.alter_column("mac", existing_type=sa.String(length=64), nullable=False)
    op.create_index("ix_event_mac", "event", ["mac"], unique=True)


def downgrade() -> None:
    connection = op.get_bind()
    key = _key(connection)
    if key is not None:
        _verify_keyed(connection, key)
        _unkey(connection)
    op.drop_index("ix_event_mac", table_name="event")
    with op.batch_alter_table("event") as batch:
        batch.drop_column("refused_at")
        batch.drop_column("mac")
        batch.drop_column("nonce")


def _key(connection: sa.Connection) -> AuditKey | None:
    """The key, or None for an empty table (nothing to re-key)."""
    if connection.execute(sa.select(OLD_EVENT.c.id).limit(1)).first() is None:
        return None
    secret = context.config.attributes.get("audit_key") or ""
    if not secret:
        raise ConfigError(
            "this migration re-keys the audit chain: run it with `dsr db upgrade` and "
            "DSR_AUDIT_KEY set (in demo mode var/secrets.json holds it)"
        )
    return AuditKey.from_secret(secret)


def _legacy_hash(prev_hash: str, row: Any) -> str:
    """The chain before this revision: ``sha256(prev_hash || canonical JSON)``."""
    body = json.dumps(
        {
            "seq": row.seq,
            "at": row.at.isoformat(timespec="microseconds"),
            "actor": row.actor,
            "request": str(row.request_id) if row.request_id else None,
            "action": row.action,
            "payload": row.payload,
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        default=str,
    )
    return hashlib.sha256((prev_hash + body).encode()).hexdigest()


def _verify_legacy(connection: sa.Connection) -> None:
    expected, prev_hash = 1, GENESIS
    for row in _rows(connection, OLD_EVENT, chained=True):
        if row.seq != expected or row.prev_hash != prev_hash:
            _refuse(f"the audit chain is broken at seq {expected}")
        if row.hash != _legacy_hash(prev_hash, row):
            _refuse(f"the audit chain is broken at seq {row.seq}")
        expected, prev_hash = expected + 1, row.hash


def _verify_keyed(connection: sa.Connection, key: AuditKey) -> None:
    walk = ChainWalk(key)
    for row in _rows(connection, EVENT, chained=True):
        if not walk.add(row):
            _refuse(f"the audit chain is broken at seq {walk.first_bad_seq}: {walk.problem}")
    for row in _rows(connection, EVENT, chained=False):
        if row.refused_at is not None or not key.mac_holds(row):
            _refuse(f"event {row.id} outside the chain was not written by dsr; delete it first")


def _refuse(problem: str) -> None:
    raise ConfigError(f"{problem}: only a verified chain is migrated (nothing was changed)")


class _Sealed:
    """An old row with its new nonce and MAC, as the keyed functions read an event."""

    def __init__(self, row: Any, key: AuditKey) -> None:
        self.at, self.actor, self.request_id = row.at, row.actor, row.request_id
        self.action, self.payload = row.action, row.payload
        self.nonce = secrets.token_hex(16)
        self.mac = key.event_mac(
            self.nonce, self.at, self.actor, self.request_id, self.action, self.payload
        )


def _rekey(connection: sa.Connection, key: AuditKey) -> None:
    """Every event gets its writer MAC; every chained one its keyed hash, in ``seq`` order."""
    changes: list[dict[str, Any]] = []
    prev_hash = GENESIS
    for row in _rows(connection, OLD_EVENT, chained=True):
        sealed = _Sealed(row, key)
        digest = key.chain_hash(prev_hash, row.seq, sealed)
        changes.append(
            {
                "_id": row.id,
                "_nonce": sealed.nonce,
                "_mac": sealed.mac,
                "_prev": prev_hash,
                "_hash": digest,
            }
        )
        prev_hash = digest
        _write(
            connection, changes, BATCH, nonce="_nonce", mac="_mac", prev_hash="_prev", hash="_hash"
        )
    _write(connection, changes, 1, nonce="_nonce", mac="_mac", prev_hash="_prev", hash="_hash")
    for row in _rows(connection, OLD_EVENT, chained=False):
        sealed = _Sealed(row, key)
        changes.append({"_id": row.id, "_nonce": sealed.nonce, "_mac": sealed.mac})
        _write(connection, changes, BATCH, nonce="_nonce", mac="_mac")
    _write(connection, changes, 1, nonce="_nonce", mac="_mac")


def _unkey(connection: sa.Connection) -> None:
    """The SHA-256 chain again, over the same events in the same order."""
    changes: list[dict[str, Any]] = []
    prev_hash = GENESIS
    for row in _rows(connection, OLD_EVENT, chained=True):
        digest = _legacy_hash(prev_hash, row)
        changes.append({"_id": row.id, "_prev": prev_hash, "_hash": digest})
        prev_hash = digest
        _write(connection, changes, BATCH, prev_hash="_prev", hash="_hash")
    _write(connection, changes, 1, prev_hash="_prev", hash="_hash")


def _write(
    connection: sa.Connection, changes: list[dict[str, Any]], at_least: int, **columns: str
) -> None:
    """Write ``changes`` once there are ``at_least`` of them (``columns``: name -> parameter)."""
    if changes and len(changes) >= at_least:
        values = {name: sa.bindparam(parameter) for name, parameter in columns.items()}
        connection.execute(
            sa.update(EVENT).where(EVENT.c.id == sa.bindparam("_id")).values(**values), changes
        )
        changes.clear()


def _rows(connection: sa.Connection, table: Any, chained: bool) -> Iterator[Any]:
    """Chained events in ``seq`` order, or the others in ``id`` order, page by page."""
    order = table.c.seq if chained else table.c.id
    where = table.c.seq.is_not(None) if chained else table.c.seq.is_(None)
    after = 0
    while True:
        rows = connection.execute(
            sa.select(table).where(where, order > after).order_by(order).limit(BATCH)
        ).all()
        if not rows:
            return
        yield from rows
        after = rows[-1].seq if chained else rows[-1].id
