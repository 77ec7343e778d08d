"""the ground of a refused request, beside its outcome

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-01 19:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Before: a rejected request's outcome was its ground ("excessive", "expired", ...).
OLD_REFUSALS = ("manifestly_unfounded", "excessive")


def upgrade() -> None:
    # A plain ADD COLUMN (SQLite too): batch mode would rebuild the table and trip over the
    # expression index ix_request_effective_due.
    op.add_column("request", sa.Column("refusal_ground", sa.String(length=64), nullable=True))
    request = sa.table(
        "request",
        sa.column("status", sa.String),
        sa.column("outcome", sa.String),
        sa.column("refusal_ground", sa.String),
    )
    op.execute(
        request.update()
        .where(request.c.outcome.in_(OLD_REFUSALS))
        .values(refusal_ground=request.c.outcome, outcome="refused")
    )
    op.execute(
        request.update()
        .where(request.c.outcome.in_(("unverifiable", "expired")))
        .values(refusal_ground="unverifiable", outcome="unverifiable")
    )
    op.execute(
        request.update().where(request.c.outcome == "data_provided").values(outcome="provided")
    )


def downgrade() -> None:
    request = sa.table(
        "request", sa.column("outcome", sa.String), sa.column("refusal_ground", sa.String)
    )
    op.execute(
        request.update()
        .where(request.c.outcome == "refused")
        .values(outcome=request.c.refusal_ground)
    )
    op.drop_column("request", "refusal_ground")  # SQLite >= 3.35 drops a column natively
