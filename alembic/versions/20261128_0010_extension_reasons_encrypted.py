"""extension reasons encrypted

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-28 08:40:00

The DPO's reasons for an extension (free text about the person's case) were stored in
clear. Existing reasons are encrypted with the current key (``DSR_ENCRYPTION_KEYS``, or the
demo's ``var/secrets.json``), which is read only if there is anything to encrypt.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LABEL = "request.extension_reason"
DUE = "coalesce(paused_due_on, extended_due_on, due_on)"  # as in 0006


def _without_due_index(work) -> None:  # type: ignore[no-untyped-def]
    """SQLite rebuilds the table to drop a column and cannot carry an expression index over."""
    op.drop_index("ix_request_effective_due", table_name="request")
    work()
    op.create_index(
        "ix_request_effective_due", "request", [sa.text(DUE), "reference"], unique=False
    )


def _cipher():  # type: ignore[no-untyped-def]
    from dsr.security.fields import FieldCipher
    from dsr.settings import Settings, with_secrets

    return FieldCipher.from_config(with_secrets(Settings()).encryption_keys)


def _move(source: str, target: str, convert: str) -> None:
    bind = op.get_bind()
    rows = bind.execute(
        sa.text(f"SELECT id, {source} FROM request WHERE {source} IS NOT NULL")  # noqa: S608
    ).all()
    if not rows:
        return
    cipher = _cipher()
    change = cipher.encrypt if convert == "encrypt" else cipher.decrypt
    for request_id, value in rows:
        bind.execute(
            sa.text(f"UPDATE request SET {target} = :value WHERE id = :id"),  # noqa: S608
            {"value": change(LABEL, value), "id": request_id},
        )


def _replace(old: str, new: str, convert: str) -> None:
    def work() -> None:
        with op.batch_alter_table("request", schema=None) as batch_op:
            batch_op.add_column(sa.Column(new, sa.Text(), nullable=True))
        _move(old, new, convert)
        with op.batch_alter_table("request", schema=None) as batch_op:
            batch_op.drop_column(old)

    _without_due_index(work)


def upgrade() -> None:
    _replace("extension_reason", "extension_reason_enc", "encrypt")


def downgrade() -> None:
    _replace("extension_reason_enc", "extension_reason", "decrypt")
