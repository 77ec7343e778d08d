"""what the DPO withholds from an access package before release (Art. 15(4))

Revision ID: 0019_release
Revises: 0018_desk
Create Date: 2026-12-02 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0019_release"
down_revision: str | None = "0018_desk"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "redaction",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("request_id", sa.Uuid(), nullable=False),
        sa.Column("store", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("table_key", sqlmodel.sql.sqltypes.AutoString(length=160), nullable=False),
        sa.Column("row", sa.Integer(), nullable=True),
        sa.Column("column", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("note_enc", sa.Text(), nullable=True),
        sa.Column("created_by", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["request_id"], ["request.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_redaction_request_id", "redaction", ["request_id"])


def downgrade() -> None:
    op.drop_index("ix_redaction_request_id", table_name="redaction")
    op.drop_table("redaction")
