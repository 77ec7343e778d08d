"""E-mail to the person who made a request, in their language, through the outbox."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from jinja2 import Environment
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from dsr.config import Controller
from dsr.domain.vocabulary import Language
from dsr.models import MailLink, MailMessage, Request, Subject
from dsr.notify.outbox import Attachment, enqueue
from dsr.rendering import render_mail
from dsr.security.vault import Vault


@dataclass(frozen=True, slots=True)
class RequesterMail:
    environment: Environment
    vault: Vault
    controller: Controller
    sender_address: str

    async def send(
        self,
        session: AsyncSession,
        request: Request,
        template: str,
        subject: str,
        attachments: Sequence[Attachment] = (),
        **context: Any,
    ) -> bool:
        """Queue ``mail/<template>`` to the requester's address; False when there is none."""
        record = await session.get_one(Subject, request.subject_id)
        address = self.vault.open_subject(record).email
        if address is None:
            return False
        mail = render_mail(
            self.environment,
            template,
            Language(request.language),
            subject,
            reference=request.reference,
            controller=self.controller,
            **context,
        )
        await enqueue(
            session,
            self.vault.cipher,
            to=address,
            mail=mail,
            sender_address=self.sender_address,
            request_id=request.id,
            attachments=attachments,
            thread=await mail_thread(session, self.vault, request),
        )
        return True


async def mail_thread(session: AsyncSession, vault: Vault, request: Request) -> list[str]:
    """For a request filed from an e-mail: the Message-ID of that mail, so that what we
    write back arrives in the person's thread; [] for every other request."""
    if request.channel != "email":
        return []
    found = (
        await session.exec(
            select(MailMessage.message_id_enc)
            .join(MailLink, col(MailLink.mail_id) == col(MailMessage.id))
            .where(MailLink.request_id == request.id, MailLink.role == "filed")
            .limit(1)
        )
    ).first()
    message_id = vault.cipher.decrypt("mail.message_id", found) if found else None
    return [message_id] if message_id else []
