"""The mailbox poller: read each new message once, file it, then move it away.

One instance reads at a time (a lease row, renewed per message; on PostgreSQL several
workers tick, one wins). Per message: record and file it in one transaction; only after the
commit is it moved to the processed folder. If the poller dies in between, the next poll
finds the message recorded and only moves it; nothing is filed twice.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta

import structlog
from imapclient.exceptions import IMAPClientError
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from dsr.config import MailboxConfig
from dsr.db import Database
from dsr.domain.errors import ConfigError
from dsr.models import MailboxLease, MailMessage
from dsr.models.base import utcnow
from dsr.notify.imap import ImapMailbox, Mailbox
from dsr.services.mail_intake import Arrival, MailIntake

log = structlog.get_logger("dsr.mailbox")

LEASE = timedelta(minutes=2)
NAME = "mailbox"


def new_owner() -> str:
    return f"{socket.gethostname()[:30]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@dataclass(frozen=True, slots=True)
class PollReport:
    taken: int = 0  # recorded now (filed, linked, triaged or ignored)
    moved: int = 0
    held_elsewhere: bool = False


@dataclass(slots=True)
class MailboxPoller:
    database: Database
    config: MailboxConfig
    intake: Callable[[AsyncSession], MailIntake]
    connect: Callable[[MailboxConfig], Awaitable[Mailbox]] = ImapMailbox.connect
    owner: str = field(default_factory=new_owner)
    lease: timedelta = LEASE
    committed: Callable[[int], Awaitable[None]] | None = None  # tests: "die here"

    async def poll(self) -> PollReport:
        """Take and move every message in the folder (up to ``batch``)."""
        if not await self._hold():
            return PollReport(held_elsewhere=True)
        taken = moved = 0
        try:
            mailbox = await self.connect(self.config)
            try:
                validity = await mailbox.uidvalidity()
                for uid in (await mailbox.uids())[: self.config.batch]:
                    if not await self._hold():
                        break  # our lease ran out and someone else reads now
                    new = await self._take(mailbox, validity, uid)
                    if new is None:
                        continue
                    taken += new
                    await mailbox.move(uid)
                    await self._moved(validity, uid)
                    moved += 1
            finally:
                await mailbox.close()
        except (OSError, IMAPClientError, ConfigError) as exc:
            log.warning("mailbox unreachable", error_type=type(exc).__name__)
        finally:
            await self._release()
        if taken or moved:
            log.info("mailbox polled", taken=taken, moved=moved)
        return PollReport(taken=taken, moved=moved)

    async def _take(self, mailbox: Mailbox, validity: int, uid: int) -> int | None:
        """1 when the message was recorded now, 0 when it was before (only the move is
        left), None when it is gone."""
        key = Arrival(self.config.folder, validity, uid, utcnow(), None, 0)
        async with self.database.session_scope() as session:
            if await self.intake(session).recorded(key) is not None:
                return 0
        fetched = await mailbox.fetch(uid)
        if fetched is None:
            return None
        arrival = Arrival(
            self.config.folder, validity, uid, fetched.received_at, fetched.raw, fetched.size
        )
        try:
            async with self.database.session_scope() as session:
                await self.intake(session).take(arrival)
        except IntegrityError:
            return 0  # recorded by another reader meanwhile
        except Exception as exc:  # noqa: BLE001 - one bad message must not stop the others
            log.error("mail not taken; left in the mailbox", error_type=type(exc).__name__)
            return None
        if self.committed is not None:
            await self.committed(uid)
        return 1

    async def _moved(self, validity: int, uid: int) -> None:
        async with self.database.session_scope() as session:
            await session.exec(
                update(MailMessage)
                .where(
                    col(MailMessage.folder) == self.config.folder,
                    col(MailMessage.uidvalidity) == validity,
                    col(MailMessage.uid) == uid,
                )
                .values(moved_at=utcnow())
            )

    async def _hold(self) -> bool:
        """Take or renew the lease; False while another reader holds it."""
        now = utcnow()
        async with self.database.session_scope() as session:
            result = await session.exec(
                update(MailboxLease)
                .where(
                    col(MailboxLease.name) == NAME,
                    (col(MailboxLease.lease_until).is_(None))
                    | (col(MailboxLease.lease_until) < now)
                    | (col(MailboxLease.owner) == self.owner),
                )
                .values(owner=self.owner, lease_until=now + self.lease)
            )
            if result.rowcount == 1:
                return True
        try:
            async with self.database.session_scope() as session:
                session.add(MailboxLease(name=NAME, owner=self.owner, lease_until=now + self.lease))
        except IntegrityError:
            return False
        return True

    async def _release(self) -> None:
        async with self.database.session_scope() as session:
            await session.exec(
                update(MailboxLease)
                .where(col(MailboxLease.name) == NAME, col(MailboxLease.owner) == self.owner)
                .values(owner=None, lease_until=None)
            )
