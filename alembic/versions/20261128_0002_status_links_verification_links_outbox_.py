"""status links, verification links, outbox leases

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 01:39:35.732273
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True))

    with op.batch_alter_table("request", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "status_token_digest", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True
            )
        )
        batch_op.create_index(
            batch_op.f("ix_request_status_token_digest"), ["status_token_digest"], unique=True
        )

    with op.batch_alter_table("verification", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("link_digest", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True)
        )
        batch_op.add_column(sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_verification_link_digest"), ["link_digest"], unique=True
        )


def downgrade() -> None:
    with op.batch_alter_table("verification", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_verification_link_digest"))
        batch_op.drop_column("sent_at")
        batch_op.drop_column("link_digest")

    # SQLite rebuilds the table to drop a column and cannot carry an expression index over.
    op.drop_index("ix_request_effective_due", table_name="request")
    with op.batch_alter_table("request", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_request_status_token_digest"))
        batch_op.drop_column("status_token_digest")
    op.create_index(
        "ix_request_effective_due",
        "request",
        [sa.text("coalesce(extended_due_on, due_on)"), "reference"],
        unique=False,
    )

    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_column("lease_until")
