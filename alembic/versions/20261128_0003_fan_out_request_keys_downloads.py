"""fan-out: request keys, downloads

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 02:00:53.739458
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "download",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("request_id", sa.Uuid(), nullable=False),
        sa.Column("artifact_id", sa.Uuid(), nullable=False),
        sa.Column("link_digest", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("code_hash", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["artifact_id"],
            ["artifact.id"],
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["request.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("download", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_download_link_digest"), ["link_digest"], unique=True)
        batch_op.create_index(batch_op.f("ix_download_request_id"), ["request_id"], unique=False)

    with op.batch_alter_table("request", schema=None) as batch_op:
        batch_op.add_column(sa.Column("keys_enc", sa.Text(), nullable=True))
    with op.batch_alter_table("task", schema=None) as batch_op:
        batch_op.add_column(sa.Column("note_enc", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("task", schema=None) as batch_op:
        batch_op.drop_column("note_enc")
    # SQLite rebuilds the table to drop a column and cannot carry an expression index over.
    op.drop_index("ix_request_effective_due", table_name="request")
    with op.batch_alter_table("request", schema=None) as batch_op:
        batch_op.drop_column("keys_enc")
    op.create_index(
        "ix_request_effective_due",
        "request",
        [sa.text("coalesce(extended_due_on, due_on)"), "reference"],
        unique=False,
    )

    with op.batch_alter_table("download", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_download_request_id"))
        batch_op.drop_index(batch_op.f("ix_download_link_digest"))

    op.drop_table("download")
