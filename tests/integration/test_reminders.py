"""DPO reminders and the daily digest: each exactly once, also with two schedulers at once."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

from sqlmodel import select

from dsr.config import DsrConfig
from dsr.db import Database
from dsr.domain.identity import Identity
from dsr.models import Outbox, Request
from dsr.rendering import new_environment
from dsr.security.vault import Vault
from dsr.settings import Settings
from dsr.workflows import engine
from dsr.workflows.engine import SUBJECT
from dsr.workflows.reminders import Reminders, reminder_kind

RECEIVED = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)  # due Wednesday 2 December 2026
DUE = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)


def _reminders(session: object, settings: Settings) -> Reminders:
    vault = Vault.from_secrets(settings.encryption_keys, settings.hmac_key)
    return Reminders(
        session, DsrConfig(), vault, new_environment(), "http://dsr.test", "dsr@example.org"
    )  # type: ignore[arg-type]


async def _open_request(db: Database, settings: Settings) -> uuid.UUID:
    vault = Vault.from_secrets(settings.encryption_keys, settings.hmac_key)
    async with db.session_scope() as session:
        subject = vault.seal_subject(Identity(name="Erika", email="erika@example.org"))
        session.add(subject)
        await session.flush()
        request = await engine.open_request(
            session,
            engine.NewRequest(
                "DSR-2026-000001", "access", "web", "de", RECEIVED, DUE.date(), subject.id
            ),
            SUBJECT,
        )
        return request.id


async def _subjects(db: Database) -> list[str]:
    async with db.session_scope() as session:
        return [m.subject for m in (await session.exec(select(Outbox))).all()]


def test_which_reminder_a_day_gets() -> None:
    offsets = [1, 3, 7]
    days = (9, 7, 5, 3, 2, 1, 0, -1)
    kinds = [reminder_kind(d, offsets) for d in days]
    assert kinds == [
        None,
        "due_in_7",
        "due_in_7",
        "due_in_3",
        "due_in_3",
        "due_in_1",
        "due_in_1",
        "overdue",
    ]


async def test_walking_past_every_reminder_sends_each_once_and_none_after_closing(
    db: Database, settings: Settings
) -> None:
    request_id = await _open_request(db, settings)
    for days in range(-9, 4):
        async with db.session_scope() as session:
            await _reminders(session, settings).send_due(DUE + timedelta(days=days))
    assert await _subjects(db) == [
        "Erinnerung: Antrag DSR-2026-000001 ist am 2. Dezember 2026 fällig",
        "Erinnerung: Antrag DSR-2026-000001 ist am 2. Dezember 2026 fällig",
        "Erinnerung: Antrag DSR-2026-000001 ist am 2. Dezember 2026 fällig",
        "Überfällig: Antrag DSR-2026-000001 war am 2. Dezember 2026 fällig",
    ]
    async with db.session_scope() as session:
        request = await session.get_one(Request, request_id)
        await engine.apply(session, request, "withdraw", SUBJECT)
        assert await _reminders(session, settings).send_due(DUE + timedelta(days=10)) == 0
    async with db.session_scope() as session:
        recipients = {
            Vault.from_secrets(settings.encryption_keys, settings.hmac_key).cipher.decrypt(
                "outbox.recipient", m.recipient_enc
            )
            for m in (await session.exec(select(Outbox))).all()
        }
    assert recipients == {"dsb@example.org"}  # the DPO from dsr.yaml


async def test_a_late_start_sends_only_the_nearest_reminder(
    db: Database, settings: Settings
) -> None:
    await _open_request(db, settings)
    async with db.session_scope() as session:
        assert await _reminders(session, settings).send_due(DUE - timedelta(days=2)) == 1
    async with db.session_scope() as session:
        assert (
            await _reminders(session, settings).send_due(DUE - timedelta(days=1, hours=-1)) == 1
        )  # due_in_1
        assert await _reminders(session, settings).send_due(DUE - timedelta(days=1)) == 0


async def test_two_schedulers_at_once_still_send_one_of_each(
    db: Database, settings: Settings
) -> None:
    await _open_request(db, settings)

    async def tick() -> int:
        database = Database.from_settings(settings)
        try:
            async with database.session_scope() as session:
                return await _reminders(session, settings).send_due(DUE - timedelta(days=3))
        finally:
            await database.dispose()

    results = await asyncio.gather(*(tick() for _ in range(4)))
    assert sorted(results) == [0, 0, 0, 1]
    assert len(await _subjects(db)) == 1


async def test_the_digest_goes_out_once_a_day_after_half_past_seven(
    db: Database, settings: Settings
) -> None:
    await _open_request(db, settings)
    early = datetime(2026, 12, 1, 6, 0, tzinfo=UTC)  # 07:00 in Berlin
    async with db.session_scope() as session:
        assert not await _reminders(session, settings).send_digest(early)
    async with db.session_scope() as session:
        assert await _reminders(session, settings).send_digest(early + timedelta(hours=1))
    async with db.session_scope() as session:
        assert not await _reminders(session, settings).send_digest(early + timedelta(hours=5))
    (subject,) = await _subjects(db)
    assert subject == "Anträge am 1. Dezember 2026: 1 offen, 0 überfällig"


async def test_the_scheduler_tick_under_a_frozen_clock_reminds_once_each(
    db: Database, settings: Settings
) -> None:
    """Through the real scheduler job (``Jobs.sweep``), with time-machine moving the clock."""
    import time_machine

    from dsr.notify.smtp import SmtpConfig
    from dsr.scheduler import Jobs
    from dsr.workflows.runner import Runner

    vault = Vault.from_secrets(settings.encryption_keys, settings.hmac_key)
    runner = Runner(db, DsrConfig(), {}, vault)
    jobs = Jobs(
        db,
        vault,
        SmtpConfig.from_url("smtp://127.0.0.1:9"),
        "dsr@example.org",
        runner,
        "http://dsr.test",
    )
    with time_machine.travel(RECEIVED, tick=False) as traveller:
        await _open_request(db, settings)
        for _ in range(36):  # a month and a bit, one tick each morning at 09:00 UTC
            await jobs.sweep()
            traveller.shift(timedelta(days=1))
    subjects = await _subjects(db)
    reminders = [s for s in subjects if s.startswith(("Erinnerung", "Überfällig"))]
    digests = [s for s in subjects if s.startswith("Anträge am")]
    assert len(reminders) == 4  # 7, 3 and 1 days before, and once overdue
    assert len(digests) == 36  # one digest a day
