"""rate limits shared by every web process

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-28 10:10:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "rate_hit",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("bucket", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_rate_hit_bucket_at", "rate_hit", ["bucket", "at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_rate_hit_bucket_at", table_name="rate_hit")
    op.drop_table("rate_hit")
