"""Requests by e-mail against a real Dovecot and a real SMTP server: a mailbox of requests
in six languages, reminders, replies, auto-replies, bounces, spam and broken mail."""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from email.utils import make_msgid

import pytest
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from dsr.config import DsrConfig, MailboxConfig
from dsr.db import Database
from dsr.domain.deadlines import receipt_date, response_deadline
from dsr.models import Event, MailLink, MailMessage, Outbox, Request
from dsr.notify.catcher import MailCatcher
from dsr.notify.imap import ImapMailbox, Mailbox
from dsr.notify.outbox import deliver_due
from dsr.notify.smtp import SmtpConfig
from dsr.rendering import new_environment
from dsr.security.vault import Vault
from dsr.services.mail_intake import MailIntake
from dsr.settings import Settings
from dsr.workflows.mailbox import MailboxPoller
from tests.imap import ImapAccount
from tests.unit.test_mail_requests import CASES

ARRIVED = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


@dataclass
class Desk:
    settings: Settings
    database: Database
    vault: Vault
    mailbox: ImapAccount
    smtp: MailCatcher

    def poller(self, config: MailboxConfig | None = None, **kwargs: object) -> MailboxPoller:
        config = config or self.mailbox.config
        dsr_config = DsrConfig(mailbox=config)
        mail = new_environment()

        def intake(session: AsyncSession) -> MailIntake:
            return MailIntake.for_settings(session, self.settings, dsr_config, self.vault, mail)

        return MailboxPoller(self.database, config, intake, **kwargs)  # type: ignore[arg-type]

    async def deliver(self) -> None:
        while (
            await deliver_due(
                self.database,
                self.vault.cipher,
                SmtpConfig.from_url(self.smtp.url),
                self.settings.mail_from,
            )
        ).sent:
            pass

    async def rows(self) -> list[MailMessage]:
        async with self.database.session_scope() as session:
            return list(
                (await session.exec(select(MailMessage).order_by(col(MailMessage.uid)))).all()
            )

    async def requests(self) -> list[Request]:
        async with self.database.session_scope() as session:
            return list(
                (await session.exec(select(Request).order_by(col(Request.reference)))).all()
            )


@pytest.fixture
async def desk(
    settings: Settings, mailbox: ImapAccount, smtp_server: MailCatcher
) -> AsyncIterator[Desk]:
    database = Database.from_settings(settings)
    vault = Vault.from_secrets(settings.encryption_keys, settings.hmac_key)
    yield Desk(settings, database, vault, mailbox, smtp_server)
    await database.dispose()


def mail(
    sender: str,
    subject: str,
    body: str,
    *,
    name: str | None = None,
    headers: dict[str, str] | None = None,
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = f"{name} <{sender}>" if name else sender
    message["To"] = "datenschutz@example.org"
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain="sender.example")
    for key, value in (headers or {}).items():
        message[key] = value
    message.set_content(body)
    return message


async def test_a_mailbox_in_six_languages_is_filed_triaged_and_ignored(desk: Desk) -> None:
    for index, (_, subject, body, _) in enumerate(CASES):
        desk.mailbox.append(bytes(mail(f"person{index}@example.net", subject, body)), ARRIVED)
    autoreply = mail(
        "away@example.net",
        "Abwesenheitsnotiz",
        "Ich bin bis Montag nicht da. Auskunft erteilt ...",
        headers={"Auto-Submitted": "auto-replied"},
    )
    desk.mailbox.append(bytes(autoreply), ARRIVED)
    spam = mail(
        "win@spam.example",
        "Auskunft über Ihren Gewinn",
        "Sie haben gewonnen",
        headers={"X-Spam-Flag": "YES"},
    )
    desk.mailbox.append(bytes(spam), ARRIVED)
    desk.mailbox.append(bounce(), ARRIVED)

    report = await desk.poller().poll()

    total = len(CASES) + 3
    assert report.taken == total and report.moved == total
    assert desk.mailbox.count("INBOX") == 0
    assert desk.mailbox.count("Processed") == total
    rows = await desk.rows()
    requests = await desk.requests()
    by_sender: dict[str, list[str]] = {}
    async with desk.database.session_scope() as session:
        for request in requests:
            subject = desk.vault.open_subject(
                await session.get_one(dsr_subject(), request.subject_id)
            )
            by_sender.setdefault(subject.email or "", []).append(request.kind)
    for index, (_, _, _, kinds) in enumerate(CASES):
        row = rows[index]
        filed = sorted(by_sender.get(f"person{index}@example.net", []))
        if 0 < len(kinds) <= 3:
            assert row.outcome == "filed", CASES[index]
            assert filed == sorted(k.value for k in kinds)
        else:
            assert row.outcome == "triage", CASES[index]
            assert row.reason in ("no_kind", "too_many_kinds")
            assert filed == []
    assert [(r.outcome, r.reason) for r in rows[-3:]] == [
        ("ignored", "auto_reply"),
        ("ignored", "spam"),
        ("ignored", "bounce"),
    ]
    for request in requests:
        assert request.channel == "email"
        assert request.status == "awaiting_verification"
        assert receipt_date(request.received_at, "Europe/Berlin") == date(2026, 11, 30)

    # every filed request sent one code to the sender, in the thread of the person's mail
    await desk.deliver()
    assert len(desk.smtp.mails) == len(requests)
    originals = {f"person{i}@example.net" for i, case in enumerate(CASES) if 0 < len(case[3]) <= 3}
    assert {m.to for m in desk.smtp.mails} == originals
    for caught in desk.smtp.mails:
        assert caught.message["In-Reply-To"].startswith("<")
        assert caught.message["References"] == caught.message["In-Reply-To"]
        assert caught.message["Auto-Submitted"] == "auto-generated"
        assert re.search(r"\b\d{6}\b", caught.text)
    german = next(m for m in desk.smtp.mails if m.to == "person0@example.net")
    english = next(m for m in desk.smtp.mails if m.to == "person11@example.net")
    assert "Bestätigungscode" in german.subject
    assert "confirmation code" in english.subject


def dsr_subject() -> type:
    from dsr.models import Subject

    return Subject


def bounce() -> bytes:
    return (
        b"From: MAILER-DAEMON@mx.example.net\r\nTo: datenschutz@example.org\r\n"
        b"Subject: Undelivered Mail Returned to Sender\r\nMessage-ID: <b1@mx.example.net>\r\n"
        b"MIME-Version: 1.0\r\n"
        b'Content-Type: multipart/report; report-type=delivery-status; boundary="b"\r\n\r\n'
        b"--b\r\nContent-Type: text/plain\r\n\r\nAuskunft: delivery failed.\r\n"
        b"--b\r\nContent-Type: message/delivery-status\r\n\r\nStatus: 5.1.1\r\n--b--\r\n"
    )


async def test_receipt_is_the_arrival_day_in_berlin(desk: Desk) -> None:
    late = datetime(2026, 6, 30, 23, 30, tzinfo=UTC)  # 01:30 on 1 July in Berlin
    desk.mailbox.append(
        bytes(mail("late@example.net", "Auskunft", "Auskunft nach Art. 15 DSGVO bitte.")), late
    )
    await desk.poller().poll()
    (request,) = await desk.requests()
    assert request.received_at == late
    assert receipt_date(request.received_at, "Europe/Berlin") == date(2026, 7, 1)
    assert request.due_on == response_deadline(late, "DE-NW", timezone="Europe/Berlin")
    assert request.due_on == date(2026, 8, 3)  # 1 August is a Saturday


async def test_a_reply_with_the_code_confirms_and_a_reminder_flags(desk: Desk) -> None:
    first = mail(
        "erika@example.net",
        "Löschung",
        "Bitte löschen Sie meine Daten.\nMit freundlichen Grüßen\nErika Muster",
    )
    desk.mailbox.append(bytes(first), ARRIVED)
    await desk.poller().poll()
    await desk.deliver()
    (code_mail,) = desk.smtp.mails
    assert code_mail.message["In-Reply-To"] == first["Message-ID"]
    code = re.search(r"(?<![\d-])(\d{6})(?![\d-])", code_mail.text)  # not the reference's
    assert code is not None
    (request,) = await desk.requests()

    # a reply from someone else with the code does not confirm
    stranger = mail(
        "mallory@example.net",
        f"Re: {code_mail.subject}",
        f"Code {code.group(1)}",
        headers={"In-Reply-To": code_mail.message["Message-ID"]},
    )
    desk.mailbox.append(bytes(stranger), ARRIVED)
    # the person's reply with the code confirms, quoted text aside
    reply = mail(
        "erika@example.net",
        f"Re: {code_mail.subject}",
        f"Hier der Code: {code.group(1)}\n\n> {code_mail.text[:200]}",
        headers={
            "In-Reply-To": code_mail.message["Message-ID"],
            "References": f"{first['Message-ID']} {code_mail.message['Message-ID']}",
        },
    )
    desk.mailbox.append(bytes(reply), ARRIVED)
    await desk.poller().poll()
    (request,) = await desk.requests()
    assert request.status == "verified"
    assert request.verification_level == "email"
    assert request.needs_attention  # the stranger's mail put it in front of the DPO

    # a reminder by reference: linked, flagged, never a new request
    async with desk.database.session_scope() as session:
        from sqlalchemy import update

        await session.exec(update(Request).values(needs_attention=False))
    reminder = mail(
        "someone.else@example.net",
        f"Mahnung {request.reference}",
        "Ich warte noch immer auf eine Antwort.",
    )
    desk.mailbox.append(bytes(reminder), ARRIVED + timedelta(days=20))
    await desk.poller().poll()
    requests = await desk.requests()
    assert len(requests) == 1 and requests[0].needs_attention
    rows = await desk.rows()
    assert [r.outcome for r in rows] == ["filed", "linked", "linked", "linked"]
    async with desk.database.session_scope() as session:
        links = (await session.exec(select(MailLink.role).order_by(col(MailLink.role)))).all()
        assert sorted(links) == ["filed", "reminder", "reply", "reply"]
        flagged = (await session.exec(select(Event).where(Event.action == "request.flagged"))).all()
        assert [e.payload["reason"] for e in flagged] == ["mail_reply", "mail_reminder"]
    await desk.deliver()
    assert len(desk.smtp.mails) == 2  # the code, then the acknowledgement; nothing to others
    assert {m.to for m in desk.smtp.mails} == {"erika@example.net"}


async def test_a_reminder_by_sender_links_to_the_open_request(desk: Desk) -> None:
    desk.mailbox.append(
        bytes(
            mail(
                "jan@example.net",
                "Inzageverzoek",
                "Ik wil inzage in mijn gegevens (artikel 15 AVG).",
            )
        ),
        ARRIVED,
    )
    desk.mailbox.append(
        bytes(
            mail(
                "jan@example.net",
                "Herinnering",
                "Ik heb nog geen antwoord ontvangen op mijn inzageverzoek.",
            )
        ),
        ARRIVED + timedelta(days=35),
    )
    await desk.poller().poll()
    (request,) = await desk.requests()
    assert request.needs_attention
    assert [r.outcome for r in await desk.rows()] == ["filed", "linked"]


async def test_bad_mail_goes_to_triage_and_is_never_lost(desk: Desk) -> None:
    small = desk.mailbox.config.model_copy(update={"max_bytes": 20_000})
    bad = [
        (
            "charset",
            b"From: a@example.net\r\n"
            b"Subject: Auskunft\r\n"
            b"MIME-Version: 1.0\r\n"
            b"Content-Type: text/plain; charset=x-unknown-8\r\n\r\n"
            b"Auskunft \xfc\xe4 bitte\r\n",
        ),
        (
            "html_only",
            b"From: b@example.net\r\n"
            b"Subject: Auskunft\r\n"
            b"MIME-Version: 1.0\r\n"
            b"Content-Type: text/html; charset=utf-8\r\n\r\n"
            b"<p>Bitte um <b>Auskunft</b> nach Art. 15</p><script>alert(1)</script>\r\n",
        ),
        ("nested", nested(12)),
        ("winmail", with_attachment("d@example.net", "winmail.dat", "application/ms-tnef")),
        ("attachments", with_attachment("e@example.net", "ausweis.pdf", "application/pdf")),
        (
            "forged_sender",
            b"From: f@example.net\r\n"
            b"From: boss@example.org\r\n"
            b"Subject: Auskunft\r\n\r\n"
            b"Auskunft bitte\r\n",
        ),
        ("sender_invalid", b"From: not an address\r\nSubject: Auskunft\r\n\r\nAuskunft bitte\r\n"),
        ("too_large", bytes(mail("h@example.net", "Auskunft", "Auskunft bitte\n" + "x" * 30_000))),
        ("sender_invalid", b"\xff\xfe garbage without headers"),
    ]
    for _, raw in bad:
        desk.mailbox.append(raw, ARRIVED)
    await desk.poller(small).poll()
    rows = await desk.rows()
    assert [(r.outcome, r.reason) for r in rows] == [("triage", reason) for reason, _ in bad]
    assert await desk.requests() == []
    assert desk.mailbox.count("INBOX") == 0 and desk.mailbox.count("Processed") == len(bad)
    archived = [r for r in rows if r.reason != "too_large"]
    assert all(r.artifact_id is not None for r in archived)
    async with desk.database.session_scope() as session:
        assert (await session.exec(select(Outbox))).all() == []  # nobody was answered


def nested(depth: int) -> bytes:
    head = b"From: c@example.net\r\nSubject: Auskunft\r\nMIME-Version: 1.0\r\n"
    body = b"Content-Type: text/plain\r\n\r\nAuskunft bitte\r\n"
    for level in range(depth):
        boundary = f"b{level}".encode()
        body = (
            b'Content-Type: multipart/mixed; boundary="'
            + boundary
            + b'"\r\n\r\n--'
            + boundary
            + b"\r\n"
            + body
            + b"--"
            + boundary
            + b"--\r\n"
        )
    return head + body


def with_attachment(sender: str, filename: str, media_type: str) -> bytes:
    message = mail(sender, "Auskunft", "Auskunft nach Art. 15 bitte, Ausweis anbei.")
    maintype, _, subtype = media_type.partition("/")
    message.add_attachment(b"\x00\x01binary", maintype=maintype, subtype=subtype, filename=filename)
    return bytes(message)


class Died(BaseException):
    """The poller process ends here (after the commit, before the move)."""


async def test_a_poller_killed_between_filing_and_moving_files_nothing_twice(desk: Desk) -> None:
    for index in range(3):
        desk.mailbox.append(
            bytes(mail(f"k{index}@example.net", "Auskunft", "Auskunft bitte (Art. 15)")), ARRIVED
        )

    async def die(uid: int) -> None:
        if uid == 2:
            raise Died

    with pytest.raises(Died):
        await desk.poller(committed=die).poll()
    assert len(await desk.requests()) == 2
    assert desk.mailbox.count("INBOX") == 2  # the second was filed but not moved

    report = await desk.poller().poll()
    assert report.taken == 1 and report.moved == 2
    requests = await desk.requests()
    assert len(requests) == 3
    assert desk.mailbox.count("INBOX") == 0 and desk.mailbox.count("Processed") == 3
    async with desk.database.session_scope() as session:
        assert len((await session.exec(select(Outbox))).all()) == 3  # one code each


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_two_pollers_on_postgresql_never_read_one_message(desk: Desk) -> None:
    count = 12
    for index in range(count):
        desk.mailbox.append(
            bytes(mail(f"p{index}@example.net", "Auskunft", "Auskunft bitte (Art. 15)")), ARRIVED
        )
    fetched: Counter[int] = Counter()

    async def counting(config: MailboxConfig) -> Mailbox:
        real = await ImapMailbox.connect(config)
        original = real.fetch

        async def fetch(uid: int):  # type: ignore[no-untyped-def]
            fetched[uid] += 1
            await asyncio.sleep(0)
            return await original(uid)

        real.fetch = fetch  # type: ignore[method-assign]
        return real

    second = Database.from_settings(desk.settings)  # another process's pool
    try:
        one = desk.poller(connect=counting)
        other = desk.poller(connect=counting)
        other.database = second

        async def keep_polling(poller: MailboxPoller) -> None:
            while desk.mailbox.count("INBOX"):
                await poller.poll()
                await asyncio.sleep(0.01)

        await asyncio.gather(keep_polling(one), keep_polling(other))
    finally:
        await second.dispose()
    assert sorted(fetched) == list(range(1, count + 1))
    assert set(fetched.values()) == {1}
    assert len(await desk.requests()) == count


async def test_the_retention_purge_forgets_the_mail_of_a_closed_request(desk: Desk) -> None:
    from sqlalchemy import update

    from dsr.models import Artifact
    from dsr.workflows.sweeps import Sweeps

    desk.mailbox.append(
        bytes(mail("old@example.net", "Auskunft", "Auskunft bitte (Art. 15)")), ARRIVED
    )
    await desk.poller().poll()
    long_ago = datetime(2020, 1, 1, tzinfo=UTC)
    async with desk.database.session_scope() as session:
        await session.exec(update(Request).values(status="completed", closed_at=long_ago))
    async with desk.database.session_scope() as session:
        sweeps = Sweeps(session, DsrConfig(), desk.vault, new_environment(), "", "dsr@example.org")
        assert await sweeps.purge_closed(datetime.now(UTC)) == 1
    (row,) = await desk.rows()
    assert (row.sender_enc, row.subject_enc, row.message_id_enc, row.artifact_id) == (None,) * 4
    assert row.outcome == "filed"  # the record of what happened stays
    async with desk.database.session_scope() as session:
        assert (await session.exec(select(Artifact).where(Artifact.kind == "mail"))).all() == []


async def test_a_new_uidvalidity_does_not_file_a_message_again(desk: Desk) -> None:
    from dsr.services.mail_intake import Arrival

    raw = bytes(mail("again@example.net", "Auskunft", "Auskunft bitte (Art. 15)"))
    config, env = DsrConfig(mailbox=desk.mailbox.config), new_environment()
    for validity in (1, 2):  # the server renumbered the folder before the move
        async with desk.database.session_scope() as session:
            intake = MailIntake.for_settings(session, desk.settings, config, desk.vault, env)
            await intake.take(Arrival("INBOX", validity, 5, ARRIVED, raw, len(raw)))
    assert len(await desk.requests()) == 1
    assert len(await desk.rows()) == 1


async def test_the_scheduler_tick_polls_the_mailbox(desk: Desk) -> None:
    from dsr.notify.smtp import SmtpConfig
    from dsr.scheduler import Jobs, build_scheduler
    from dsr.workflows.runner import Runner

    desk.mailbox.append(
        bytes(mail("tick@example.net", "Löschung", "Bitte löschen (Art. 17).")), ARRIVED
    )
    runner = Runner(desk.database, DsrConfig(), {}, desk.vault)
    smtp = SmtpConfig.from_url(desk.smtp.url)
    jobs = Jobs(desk.database, desk.vault, smtp, "dsr@example.org", runner, mailbox=desk.poller())
    job = build_scheduler(jobs, 5).get_job("mailbox")
    assert job is not None and job.trigger.interval.total_seconds() == 60
    await jobs.poll_mailbox()
    assert [r.kind for r in await desk.requests()] == ["erasure"]
    without = Jobs(desk.database, desk.vault, smtp, "dsr@example.org", runner)
    assert build_scheduler(without, 5).get_job("mailbox") is None
