"""identity pause

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28 03:02:47.181447
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


OLD_DUE = "coalesce(extended_due_on, due_on)"
NEW_DUE = "coalesce(paused_due_on, extended_due_on, due_on)"


def _due_index(expression: str) -> None:
    op.create_index(
        "ix_request_effective_due", "request", [sa.text(expression), "reference"], unique=False
    )


def upgrade() -> None:
    op.drop_index("ix_request_effective_due", table_name="request")
    with op.batch_alter_table("request", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("paused_days", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(sa.Column("paused_due_on", sa.Date(), nullable=True))
    _due_index(NEW_DUE)


def downgrade() -> None:
    # SQLite rebuilds the table to drop a column and cannot carry an expression index over.
    op.drop_index("ix_request_effective_due", table_name="request")
    with op.batch_alter_table("request", schema=None) as batch_op:
        batch_op.drop_column("paused_due_on")
        batch_op.drop_column("paused_days")
    _due_index(OLD_DUE)
