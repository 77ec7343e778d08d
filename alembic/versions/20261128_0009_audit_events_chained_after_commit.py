"""audit events chained after commit

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-28 07:40:00

The event table gets an insertion id as its key; ``seq``, ``prev_hash`` and ``hash`` are
filled in by the sealer and stay empty until then. Existing events keep their place: their
id is their seq.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = "seq, at, actor, request_id, action, payload, prev_hash, hash"


def _event_table(name: str, chained_later: bool) -> None:
    key = (
        [sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True)]
        if chained_later
        else []
    )
    op.create_table(
        name,
        *key,
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=chained_later),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("request_id", sa.Uuid(), nullable=True),
        sa.Column("action", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("prev_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=chained_later),
        sa.Column("hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=chained_later),
        sa.PrimaryKeyConstraint("id" if chained_later else "seq", name=f"pk_{name}"),
        sa.UniqueConstraint("hash", name=f"uq_{name}_hash"),
        *([sa.UniqueConstraint("seq", name=f"uq_{name}_seq")] if chained_later else []),
    )


def _swap(new: str) -> None:
    op.drop_index("ix_event_request_id", table_name="event")
    op.drop_table("event")
    op.rename_table(new, "event")
    op.create_index("ix_event_request_id", "event", ["request_id"], unique=False)


def upgrade() -> None:
    _event_table("event_new", chained_later=True)
    op.execute(f"INSERT INTO event_new (id, {COLUMNS}) SELECT seq, {COLUMNS} FROM event")  # noqa: S608
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "SELECT setval(pg_get_serial_sequence('event_new', 'id'),"
            " coalesce((SELECT max(id) FROM event_new), 0) + 1, false)"
        )
    _swap("event_new")


def downgrade() -> None:
    # Events not yet chained cannot be kept in the older table: chain them first
    # (``dsr audit verify`` does).
    _event_table("event_old", chained_later=False)
    op.execute(
        f"INSERT INTO event_old ({COLUMNS}) SELECT {COLUMNS} FROM event WHERE seq IS NOT NULL"  # noqa: S608
    )
    _swap("event_old")
