"""SMTP delivery with aiosmtplib, configured by one URL.

``smtp://host:25``, ``smtp://user:pass@host:587?starttls=true`` or ``smtps://host:465``.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage
from urllib.parse import parse_qs, unquote, urlsplit

import aiosmtplib

from dsr.domain.errors import ConfigError


@dataclass(frozen=True, slots=True)
class SmtpConfig:
    host: str
    port: int
    username: str | None = None
    password: str | None = None
    implicit_tls: bool = False
    starttls: bool = False
    timeout: float = 20.0

    @classmethod
    def from_url(cls, url: str) -> SmtpConfig:
        parts = urlsplit(url)
        if parts.scheme not in {"smtp", "smtps"} or not parts.hostname:
            raise ConfigError("DSR_SMTP_URL must look like smtp://host:port or smtps://host:port")
        query = {key: values[-1].lower() for key, values in parse_qs(parts.query).items()}
        implicit = parts.scheme == "smtps"
        try:
            port = parts.port or (465 if implicit else 25)
        except ValueError as exc:
            raise ConfigError("DSR_SMTP_URL has an invalid port") from exc
        return cls(
            host=parts.hostname,
            port=port,
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            implicit_tls=implicit,
            starttls=query.get("starttls") in {"1", "true", "yes"},
            timeout=float(query.get("timeout", "20")),
        )


async def send_message(config: SmtpConfig, message: EmailMessage) -> None:
    """Hand one message to the server; raises ``aiosmtplib.SMTPException`` or ``OSError``."""
    await aiosmtplib.send(
        message,
        hostname=config.host,
        port=config.port,
        username=config.username,
        password=config.password,
        use_tls=config.implicit_tls,
        start_tls=config.starttls,
        timeout=config.timeout,
    )
