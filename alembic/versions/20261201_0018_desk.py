"""the DPO's desk: who works a request, and internal notes on it

Revision ID: 0018_desk
Revises: 0017
Create Date: 2026-12-01 23:50:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018_desk"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A plain ADD COLUMN (SQLite too): batch mode would rebuild the table and trip over the
    # expression index ix_request_effective_due.
    op.add_column("request", sa.Column("assigned_to", sa.Uuid(), nullable=True))
    op.create_index("ix_request_assigned_to", "request", ["assigned_to"])
    op.create_table(
        "note",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("request_id", sa.Uuid(), nullable=False),
        sa.Column("author", sa.Uuid(), nullable=False),
        sa.Column("text_enc", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["author"], ["staff.id"]),
        sa.ForeignKeyConstraint(["request_id"], ["request.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_note_request_id", "note", ["request_id"])


def downgrade() -> None:
    op.drop_index("ix_note_request_id", table_name="note")
    op.drop_table("note")
    op.drop_index("ix_request_assigned_to", table_name="request")
    op.drop_column("request", "assigned_to")  # SQLite >= 3.35 drops a column natively
