"""large artifacts in chunks

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-28 07:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "artifact_chunk",
        sa.Column("artifact_id", sa.Uuid(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("content_enc", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(["artifact_id"], ["artifact.id"]),
        sa.PrimaryKeyConstraint("artifact_id", "seq"),
    )
    with op.batch_alter_table("artifact", schema=None) as batch_op:
        batch_op.alter_column("content_enc", existing_type=sa.LargeBinary(), nullable=True)


def downgrade() -> None:
    # Chunked artifacts cannot be put back into one column without the key: they are dropped.
    op.drop_table("artifact_chunk")
    op.execute(
        "DELETE FROM download WHERE artifact_id IN"
        " (SELECT id FROM artifact WHERE content_enc IS NULL)"
    )
    op.execute("DELETE FROM artifact WHERE content_enc IS NULL AND kind != 'letter'")
    with op.batch_alter_table("artifact", schema=None) as batch_op:
        batch_op.alter_column("content_enc", existing_type=sa.LargeBinary(), nullable=False)
