"""declared identifier types a person gives (encrypted)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 19:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("subject") as batch:
        batch.add_column(sa.Column("identifiers_enc", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("subject") as batch:
        batch.drop_column("identifiers_enc")
