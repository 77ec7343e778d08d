"""requests by e-mail: messages read from the mailbox, their links, the poller's lease, the
thread an outgoing mail answers

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-01 20:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "mail_message",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("folder", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("uidvalidity", sa.BigInteger(), nullable=False),
        sa.Column("uid", sa.BigInteger(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("message_id_digest", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("message_id_enc", sa.Text(), nullable=True),
        sa.Column("sender_enc", sa.Text(), nullable=True),
        sa.Column("subject_enc", sa.Text(), nullable=True),
        sa.Column("language", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("kinds", sa.JSON(), nullable=False),
        sa.Column("outcome", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("attachments", sa.Integer(), nullable=False),
        sa.Column("artifact_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("moved_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["artifact_id"], ["artifact.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("folder", "uidvalidity", "uid"),
    )
    op.create_index("ix_mail_message_message_id_digest", "mail_message", ["message_id_digest"])
    op.create_index("ix_mail_message_outcome", "mail_message", ["outcome"])
    op.create_table(
        "mail_link",
        sa.Column("mail_id", sa.Uuid(), nullable=False),
        sa.Column("request_id", sa.Uuid(), nullable=False),
        sa.Column("role", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.ForeignKeyConstraint(["mail_id"], ["mail_message.id"]),
        sa.ForeignKeyConstraint(["request_id"], ["request.id"]),
        sa.PrimaryKeyConstraint("mail_id", "request_id"),
    )
    op.create_index("ix_mail_link_request_id", "mail_link", ["request_id"])
    op.create_table(
        "mailbox_lease",
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("owner", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("name"),
    )
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("thread_enc", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("thread_enc")
    op.drop_table("mailbox_lease")
    op.drop_index("ix_mail_link_request_id", table_name="mail_link")
    op.drop_table("mail_link")
    op.drop_index("ix_mail_message_outcome", table_name="mail_message")
    op.drop_index("ix_mail_message_message_id_digest", table_name="mail_message")
    op.drop_table("mail_message")
