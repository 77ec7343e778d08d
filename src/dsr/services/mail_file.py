"""A request's file of e-mails: what the DPO's page lists, and what the retention purge
forgets."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from dsr.models import MailLink, MailMessage, Request
from dsr.security.vault import Vault
from dsr.services.mail_intake import SUBJECT


@dataclass(frozen=True, slots=True)
class FiledMail:
    id: uuid.UUID
    received_at: datetime
    role: str  # filed, reply, reminder
    subject: str
    attachments: int


async def mails_of(session: AsyncSession, vault: Vault, request: Request) -> list[FiledMail]:
    """The mails in a request's file, oldest first: the one it came from, replies, reminders."""
    rows = await session.exec(
        select(MailMessage, MailLink.role)
        .join(MailLink, col(MailLink.mail_id) == col(MailMessage.id))
        .where(MailLink.request_id == request.id)
        .order_by(col(MailMessage.received_at))
    )
    return [
        FiledMail(
            id=row.id,
            received_at=row.received_at,
            role=role,
            subject=vault.cipher.decrypt(SUBJECT, row.subject_enc) or "",
            attachments=row.attachments,
        )
        for row, role in rows.all()
    ]


async def forget_mails(session: AsyncSession, request_id: uuid.UUID) -> None:
    """The retention purge: the mails in a request's file keep only their key and outcome
    (sender, subject, Message-ID and the original go; the original is deleted with the
    request's other artifacts)."""
    in_file = select(MailLink.mail_id).where(MailLink.request_id == request_id)
    await session.exec(
        update(MailMessage)
        .where(col(MailMessage.id).in_(in_file))
        .values(
            sender_enc=None,
            subject_enc=None,
            message_id_enc=None,
            message_id_digest=None,
            artifact_id=None,
        )
    )
