"""The scheduler tick (APScheduler 3): idempotent jobs whose state lives in the database,
so any number of instances (web processes, ``dsr worker``) can run it side by side."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import structlog
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from jinja2 import Environment
from sqlmodel.ext.asyncio.session import AsyncSession

from dsr.config import DsrConfig
from dsr.connectors.base import Connector
from dsr.db import Database, claim_once
from dsr.letters.office import LetterOffice
from dsr.letters.render import remove_stale_scratch
from dsr.logging import error_fields
from dsr.models.base import utcnow
from dsr.notify.outbox import deliver_due
from dsr.notify.smtp import SmtpConfig
from dsr.rendering import new_environment
from dsr.security.attempts import forget_old_counters
from dsr.security.audit import chain_all, head_anchor, write_anchor
from dsr.security.ratelimit import forget_old_hits
from dsr.security.vault import Vault
from dsr.services.downloads import purge_expired
from dsr.services.mail_intake import MailIntake
from dsr.settings import Settings
from dsr.workflows.mailbox import MailboxPoller
from dsr.workflows.reminders import Reminders
from dsr.workflows.runner import Runner
from dsr.workflows.sweeps import Sweeps
from dsr.workflows.wakeup import AUDIT, MAIL, TASKS, Listener, Pump, pumping

log = structlog.get_logger("dsr.scheduler")


@dataclass(frozen=True, slots=True)
class Jobs:
    database: Database
    vault: Vault
    smtp: SmtpConfig
    sender_address: str
    runner: Runner
    base_url: str = ""
    mail: Environment = field(default_factory=new_environment)  # one, not one per tick
    anchor_path: Path | None = None  # DSR_AUDIT_ANCHOR_PATH
    mailbox: MailboxPoller | None = None  # dsr.yaml ``mailbox:``

    async def poll_mailbox(self) -> None:
        if self.mailbox is not None:
            await self.mailbox.poll()

    async def deliver_mail(self) -> None:
        await deliver_due(
            self.database,
            self.vault.cipher,
            self.smtp,
            self.sender_address,
            lease=self.runner.lease,
        )

    async def sweep(self) -> None:
        """Expired downloads, old rate-limit hits, unconfirmed requests, the retention purge,
        reminders, digest."""
        now = utcnow()
        config = self.runner.config
        async with self.database.session_scope() as session:
            await purge_expired(session, now)
            await forget_old_counters(session, now)
        await forget_old_hits(self.database.engine, now)
        async with self.database.session_scope() as session:
            await self._sweeps(session).expire_unverified(now)
        async with self.database.session_scope() as session:
            await self._sweeps(session).purge_closed(now)
        async with self.database.session_scope() as session:
            reminders = Reminders(
                session,
                config,
                self.vault,
                self.mail,
                self.base_url,
                self.sender_address,
                self.runner.timezone,
            )
            await reminders.send_due(now)
            await reminders.send_digest(now)
        await self.anchor_audit()

    def _sweeps(self, session: AsyncSession) -> Sweeps:
        config = self.runner.config
        return Sweeps(session, config, self.vault, self.mail, self.base_url, self.sender_address)

    async def chain_audit(self) -> None:
        """Give every event written since the last tick its place in the audit chain."""
        async with self.database.session_scope() as session:
            await chain_all(session)

    async def anchor_audit(self) -> bool:
        """Once a day (UTC), append the chain's head to ``anchor_path``: one instance does it,
        and a failed write is tried again next tick (the claim rolls back with it)."""
        if self.anchor_path is None:
            return False
        async with self.database.session_scope() as session:
            if not await claim_once(session, f"audit-anchor:{utcnow().date().isoformat()}"):
                return False
            anchor = await head_anchor(session)
            write_anchor(self.anchor_path, anchor)
        log.info("audit chain anchored", seq=anchor.seq)
        return True

    async def run_tasks(self) -> None:
        while await self.runner.run_once():  # keep going while there is work
            pass


def build_scheduler(jobs: Jobs, sweep_seconds: float) -> AsyncIOScheduler:
    """The time-based jobs: sweeps (and the daily anchor) and the mailbox. Tasks, mail and
    the audit chain run when they become ready (``pumps``)."""
    scheduler = AsyncIOScheduler(timezone="UTC")
    grace = max(int(sweep_seconds * 4), 10)
    for job_id, function, seconds in (
        ("sweep", jobs.sweep, sweep_seconds),
        *(
            [("mailbox", jobs.poll_mailbox, jobs.mailbox.config.poll_seconds)]
            if jobs.mailbox
            else []
        ),
    ):
        scheduler.add_job(
            _logged(job_id, function),
            "interval",
            name=job_id,
            seconds=seconds,
            id=job_id,
            coalesce=True,
            max_instances=1,
            misfire_grace_time=grace,
        )
    return scheduler


def pumps(jobs: Jobs, safety_seconds: float, listener: Listener | None = None) -> list[Pump]:
    """Tasks, outgoing mail and the audit chain: each run as soon as its work is committed,
    and every ``safety_seconds`` for work that became due with time."""
    return [
        Pump(
            TASKS,
            _logged("tasks", jobs.run_tasks),
            safety_seconds,
            before=listener.keep_alive if listener else None,
        ),
        Pump(MAIL, _logged("outbox", jobs.deliver_mail), safety_seconds),
        Pump(AUDIT, _logged("audit", jobs.chain_audit), safety_seconds),
    ]


def _logged(job_id: str, job: Callable[[], Awaitable[None]]) -> Callable[[], Awaitable[None]]:
    """The job, its failure logged as one structured line: the error's type and the
    statement's name, never a traceback (SQLAlchemy's carries the SQL and its parameters).
    The next tick tries again."""

    async def run() -> None:
        try:
            await job()
        except asyncio.CancelledError:  # shutting down mid-tick: the job's task ends here
            log.info("scheduler job stopped", job=job_id)
        except Exception as exc:  # noqa: BLE001 - any failure of a tick is logged, not raised
            log.error("scheduler job failed", job=job_id, **error_fields(exc))

    return run


@asynccontextmanager
async def running_worker(
    settings: Settings,
    config: DsrConfig,
    database: Database,
    vault: Vault,
    connectors: Mapping[str, Connector],
) -> AsyncIterator[Runner]:
    """The runner and the outbox on a scheduler tick, for as long as the context lasts."""
    mail = new_environment(config.site)

    def letters(session: AsyncSession) -> LetterOffice:
        return LetterOffice.for_settings(session, settings, config, vault, mail)

    runner = Runner(
        database,
        config,
        connectors,
        vault,
        timezone=settings.timezone,
        lease=timedelta(seconds=settings.lease_seconds),
        letters=letters,
    )
    mailbox = None
    if config.mailbox is not None:

        def intake(session: AsyncSession) -> MailIntake:
            return MailIntake.for_settings(session, settings, config, vault, mail)

        mailbox = MailboxPoller(database, config.mailbox, intake)
    jobs = Jobs(
        database,
        vault,
        SmtpConfig.from_url(settings.smtp_url),
        settings.mail_from,
        runner,
        settings.base_url.rstrip("/"),
        mail,
        settings.audit_anchor_path,
        mailbox,
    )
    remove_stale_scratch()  # letters in the clear that a killed worker's conversion left
    listener = Listener(database.engine)
    await listener.keep_alive()
    scheduler = build_scheduler(jobs, settings.sweep_seconds)
    scheduler.start()
    try:
        async with pumping(pumps(jobs, settings.tick_seconds, listener)):
            yield runner
    finally:
        scheduler.shutdown(wait=False)
        await listener.close()
