"""The scheduler tick (APScheduler 3): idempotent jobs whose state lives in the database,
so any number of instances can run it side by side."""

from __future__ import annotations

from dataclasses import dataclass

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from dsr.db import Database
from dsr.notify.outbox import deliver_due
from dsr.notify.smtp import SmtpConfig
from dsr.security.fields import FieldCipher


@dataclass(frozen=True, slots=True)
class Jobs:
    database: Database
    cipher: FieldCipher
    smtp: SmtpConfig
    sender_address: str

    async def deliver_mail(self) -> None:
        await deliver_due(self.database, self.cipher, self.smtp, self.sender_address)


def build_scheduler(jobs: Jobs, interval_seconds: float) -> AsyncIOScheduler:
    scheduler = AsyncIOScheduler(timezone="UTC")
    scheduler.add_job(
        jobs.deliver_mail,
        "interval",
        seconds=interval_seconds,
        id="outbox",
        coalesce=True,
        max_instances=1,
        misfire_grace_time=max(int(interval_seconds * 4), 10),
    )
    return scheduler
