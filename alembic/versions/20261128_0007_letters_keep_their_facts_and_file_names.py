"""letters keep their facts and file names

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28 04:09:01.834003
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("artifact", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("filename", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True)
        )

    with op.batch_alter_table("letter", schema=None) as batch_op:
        batch_op.add_column(sa.Column("context_enc", sa.Text(), nullable=True))
        batch_op.add_column(
            sa.Column("template_sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("letter", schema=None) as batch_op:
        batch_op.drop_column("template_sha256")
        batch_op.drop_column("context_enc")

    with op.batch_alter_table("artifact", schema=None) as batch_op:
        batch_op.drop_column("filename")
