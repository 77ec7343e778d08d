"""The dev mail catcher: an aiosmtpd server (``DSR_SMTP_URL``'s port, 1025 by default) that keeps
what it receives, shown at /dev/mail in demo mode. Tests use the same class as their SMTP server.

Given a directory (``var/mail`` in demo mode) it writes each mail there as an ``.eml`` file,
with the envelope in ``X-Caught-*`` headers on top, and reads them back when it starts again:
mail survives a restart of ``dsr serve`` and opens in any mail program.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.smtp import SMTP, Envelope, Session

from dsr.models.base import utcnow

_SENDER = "X-Caught-Sender"
_RECIPIENTS = "X-Caught-Recipients"
_RECEIVED = "X-Caught-At"


@dataclass(frozen=True, slots=True)
class Attachment:
    filename: str
    content_type: str
    content: bytes


@dataclass(frozen=True, slots=True)
class CaughtMail:
    received: datetime
    sender: str
    recipients: tuple[str, ...]
    message: EmailMessage
    key: str = ""

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

    @property
    def html(self) -> str:
        return self.part("html")

    @property
    def attachments(self) -> list[Attachment]:
        found = []
        for part in self.message.iter_attachments():
            payload = part.get_payload(decode=True)
            found.append(
                Attachment(
                    filename=part.get_filename() or "attachment",
                    content_type=part.get_content_type(),
                    content=payload if isinstance(payload, bytes) else b"",
                )
            )
        return found

    def to_file(self) -> bytes:
        envelope = (
            f"{_SENDER}: {self.sender}\r\n"
            f"{_RECIPIENTS}: {', '.join(self.recipients)}\r\n"
            f"{_RECEIVED}: {self.received.isoformat()}\r\n"
        )
        return envelope.encode() + self.message.as_bytes(policy=policy.SMTP)

    @classmethod
    def from_file(cls, path: Path) -> CaughtMail:
        message = message_from_bytes(path.read_bytes(), policy=policy.default)
        envelope = {name: str(message[name] or "") for name in (_SENDER, _RECIPIENTS, _RECEIVED)}
        for name in envelope:
            del message[name]
        return cls(
            received=datetime.fromisoformat(envelope[_RECEIVED]),
            sender=envelope[_SENDER],
            recipients=tuple(r.strip() for r in envelope[_RECIPIENTS].split(",") if r.strip()),
            message=message,
            key=path.stem,
        )


@dataclass
class MailCatcher:
    """An SMTP server on the running event loop."""

    host: str = "127.0.0.1"
    port: int = 1025
    directory: Path | None = None
    mails: list[CaughtMail] = field(default_factory=list)
    smtputf8: bool = True  # addresses with non-ASCII local parts (RFC 6531)
    _server: asyncio.AbstractServer | None = None

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or envelope.content or b""
        raw = content if isinstance(content, bytes) else content.encode()
        parsed = message_from_bytes(raw, policy=policy.default)
        received = utcnow()
        mail = CaughtMail(
            received=received,
            sender=str(envelope.mail_from),
            recipients=tuple(str(r) for r in envelope.rcpt_tos),
            message=parsed,
            key=f"{received:%Y%m%dT%H%M%S%f}-{uuid.uuid4().hex[:8]}",
        )
        if self.directory is not None:
            self.directory.mkdir(parents=True, exist_ok=True)
            (self.directory / f"{mail.key}.eml").write_bytes(mail.to_file())
        self.mails.append(mail)
        return "250 Message accepted for delivery"

    def find(self, key: str) -> CaughtMail | None:
        return next((mail for mail in self.mails if mail.key == key), None)

    def load(self) -> None:
        """Read the mail kept in ``directory`` by an earlier run, oldest first."""
        if self.directory is None or not self.directory.is_dir():
            return
        known = {mail.key for mail in self.mails}
        for path in sorted(self.directory.glob("*.eml")):
            if path.stem not in known:
                self.mails.append(CaughtMail.from_file(path))

    async def start(self) -> None:
        self.load()
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
    def running(self) -> bool:
        return self._server is not None

    @property
    def url(self) -> str:
        return f"smtp://{self.host}:{self.port}"
