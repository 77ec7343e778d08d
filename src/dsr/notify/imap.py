"""The watched mailbox over IMAP (imapclient, run in a worker thread: it is blocking).

A port with a real adapter: the poller sees UIDs, the folder's UIDVALIDITY, a message's
bytes with its INTERNALDATE, and a move to the processed folder. TLS always, but to a
mailbox on this machine (the tests' own Dovecot may use plain IMAP on 127.0.0.1).
"""

from __future__ import annotations

import asyncio
import os
import ssl
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol
from urllib.parse import urlsplit

from imapclient import IMAPClient

from dsr.config import MailboxConfig
from dsr.domain.errors import ConfigError

TIMEOUT = 60.0


@dataclass(frozen=True, slots=True)
class Fetched:
    uid: int
    received_at: datetime  # INTERNALDATE, UTC
    size: int
    raw: bytes | None  # None when larger than the configured limit (not fetched)


class Mailbox(Protocol):
    async def uidvalidity(self) -> int: ...

    async def uids(self) -> list[int]: ...

    async def fetch(self, uid: int) -> Fetched | None: ...

    async def move(self, uid: int) -> None: ...

    async def close(self) -> None: ...


class ImapMailbox:
    """One connection, logged in, with ``folder`` selected."""

    def __init__(self, client: IMAPClient, config: MailboxConfig) -> None:
        self._client = client
        self._config = config
        self._selected: dict[bytes, Any] = {}

    @classmethod
    async def connect(cls, config: MailboxConfig) -> ImapMailbox:
        user = os.environ.get(config.user_env, "")
        password = os.environ.get(config.password_env, "")
        if not user or not password:
            raise ConfigError(f"mailbox: set {config.user_env} and {config.password_env}")
        client = await asyncio.to_thread(_login, config, user, password)
        mailbox = cls(client, config)
        await asyncio.to_thread(mailbox._prepare)
        return mailbox

    def _prepare(self) -> None:
        if not self._client.folder_exists(self._config.processed_folder):
            self._client.create_folder(self._config.processed_folder)
        self._selected = self._client.select_folder(self._config.folder)

    async def uidvalidity(self) -> int:
        return int(self._selected[b"UIDVALIDITY"])

    async def uids(self) -> list[int]:
        found = await asyncio.to_thread(self._client.search, "ALL")
        return sorted(int(uid) for uid in found)

    async def fetch(self, uid: int) -> Fetched | None:
        head = await asyncio.to_thread(self._client.fetch, [uid], ["INTERNALDATE", "RFC822.SIZE"])
        if uid not in head:
            return None  # moved or expunged by someone else meanwhile
        size = int(head[uid][b"RFC822.SIZE"])
        received_at = _utc(head[uid][b"INTERNALDATE"])
        raw = None
        if size <= self._config.max_bytes:
            body = await asyncio.to_thread(self._client.fetch, [uid], ["BODY.PEEK[]"])
            if uid not in body:
                return None
            raw = bytes(body[uid][b"BODY[]"])
        return Fetched(uid=uid, received_at=received_at, size=size, raw=raw)

    async def move(self, uid: int) -> None:
        await asyncio.to_thread(self._move, uid)

    def _move(self, uid: int) -> None:
        target = self._config.processed_folder
        if self._client.has_capability("MOVE"):
            self._client.move([uid], target)
            return
        self._client.copy([uid], target)
        self._client.delete_messages([uid])
        if self._client.has_capability("UIDPLUS"):
            self._client.uid_expunge([uid])
        else:
            self._client.expunge()

    async def close(self) -> None:
        await asyncio.to_thread(_logout, self._client)


def _login(config: MailboxConfig, user: str, password: str) -> IMAPClient:
    parts = urlsplit(config.url)
    secure = parts.scheme == "imaps"
    context = ssl.create_default_context(cafile=str(config.ca_file) if config.ca_file else None)
    client = IMAPClient(
        parts.hostname or "",
        port=parts.port or (993 if secure else 143),
        ssl=secure,
        ssl_context=context,
        timeout=TIMEOUT,
    )
    client.normalise_times = False  # INTERNALDATE with its offset, converted in _utc
    if "starttls=true" in (parts.query or ""):
        client.starttls(context)
    client.login(user, password)
    return client


def _logout(client: IMAPClient) -> None:
    try:
        client.logout()
    except (OSError, IMAPClient.Error):
        client.shutdown()


def _utc(value: datetime) -> datetime:
    """INTERNALDATE (with the server's offset) in UTC."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)
