"""The dev mail catcher: an aiosmtpd server on 127.0.0.1:1025 that keeps what it receives in
memory, shown at /dev/mail in demo mode. Tests use the same class as their SMTP server."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.smtp import SMTP, Envelope, Session

from dsr.models.base import utcnow


@dataclass(frozen=True, slots=True)
class CaughtMail:
    received: datetime
    sender: str
    recipients: tuple[str, ...]
    message: EmailMessage

    @property
    def subject(self) -> str:
        return str(self.message["Subject"] or "")

    @property
    def to(self) -> str:
        return ", ".join(self.recipients)

    def part(self, subtype: str) -> str:
        body = self.message.get_body(preferencelist=(subtype,))
        return "" if body is None else str(body.get_content())

    @property
    def text(self) -> str:
        return self.part("plain")


@dataclass
class MailCatcher:
    """An SMTP server on the running event loop."""

    host: str = "127.0.0.1"
    port: int = 1025
    mails: list[CaughtMail] = field(default_factory=list)
    smtputf8: bool = True  # addresses with non-ASCII local parts (RFC 6531)
    _server: asyncio.AbstractServer | None = None

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or envelope.content or b""
        raw = content if isinstance(content, bytes) else content.encode()
        parsed = message_from_bytes(raw, policy=policy.default)
        self.mails.append(
            CaughtMail(
                received=utcnow(),
                sender=str(envelope.mail_from),
                recipients=tuple(str(r) for r in envelope.rcpt_tos),
                message=parsed,
            )
        )
        return "250 Message accepted for delivery"

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            lambda: SMTP(self, hostname="dsr-catcher", loop=loop, enable_SMTPUTF8=self.smtputf8),
            self.host,
            self.port,
        )
        if self.port == 0:
            sockets: Any = self._server.sockets
            self.port = sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    @property
    def url(self) -> str:
        return f"smtp://{self.host}:{self.port}"
