"""The requester's journey over HTTP, with a real SMTP server receiving the e-mails."""

from __future__ import annotations

import hashlib
import io
import re
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import docx
import pytest
from sqlalchemy import update
from sqlmodel import select

from dsr.db import Database
from dsr.domain.vocabulary import Language, Role
from dsr.letters.render import DOCX, soffice
from dsr.models import Outbox, Request, Verification
from dsr.models.base import utcnow
from dsr.notify.catcher import MailCatcher
from dsr.rendering import long_date
from dsr.settings import Settings
from tests.e2e.web import Client, Mailroom, post_form, submit
from tests.helpers import staff_token


@pytest.fixture
def mailroom(web_settings: Settings, smtp_server: MailCatcher) -> Mailroom:
    return Mailroom(web_settings, smtp_server)


async def _status_of(db: Database) -> Request:
    async with db.session_scope() as session:
        rows = (await session.exec(select(Request))).all()
    assert len(rows) == 1
    return rows[0]


async def test_submit_confirm_by_code_and_follow_the_status(
    web_client: Client, mailroom: Mailroom, db: Database
) -> None:
    response = await submit(web_client)
    assert response.status_code == 303
    status_path = response.headers["location"].split("?")[0]
    assert re.fullmatch(r"/status/[A-Za-z0-9_-]{43}", status_path)

    page = await web_client.get(response.headers["location"])
    assert page.status_code == 200
    assert "Wir haben Ihnen eine E-Mail mit einem Bestätigungscode geschickt." in page.text
    assert "Wartet auf Ihre Bestätigung" in page.text
    assert "Erika" not in page.text and "erika.mustermann" not in page.text

    assert (await mailroom.deliver()).sent == 1
    mail = mailroom.last()
    assert mail.recipients == ("erika.mustermann@example.org",)
    assert mail.subject.startswith("Ihr Bestätigungscode für den Antrag DSR-")
    assert mail.message.get_body(("html",)) is not None
    assert "Erika" not in mail.text  # nothing the requester typed is echoed to the address
    assert status_path in mail.text

    confirmed = await post_form(
        web_client, status_path, f"{status_path}/verify", code=mailroom.code()
    )
    assert confirmed.status_code == 303
    after = await web_client.get(confirmed.headers["location"])
    assert "Danke, Ihre E-Mail-Adresse ist bestätigt." in after.text
    assert "Bestätigt, wird als Nächstes bearbeitet" in after.text
    request = await _status_of(db)
    assert (request.status, request.verification_level) == ("verified", "email")


async def test_the_link_in_the_e_mail_confirms_once(
    web_client: Client, mailroom: Mailroom, db: Database
) -> None:
    await submit(web_client)
    await mailroom.deliver()
    link = mailroom.link()
    page = await web_client.get(link)
    assert "Bitte bestätigen Sie, dass Sie den Antrag DSR-" in page.text
    confirmed = await post_form(web_client, link, link)
    assert confirmed.status_code == 200
    assert "Danke, Ihre E-Mail-Adresse ist bestätigt." in confirmed.text
    assert (await _status_of(db)).status == "verified"

    replay = await web_client.get(link)
    assert "Dieser Link ist nicht mehr gültig." in replay.text
    replay_post = await web_client.post(link, data={"_csrf_token": "x"})
    assert replay_post.status_code in (400, 403)


async def test_five_wrong_codes_use_up_the_code_and_a_new_one_works(
    web_client: Client, mailroom: Mailroom, db: Database
) -> None:
    response = await submit(web_client)
    status_path = response.headers["location"].split("?")[0]
    await mailroom.deliver()
    right = mailroom.code()
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    for attempt in range(1, 6):
        answer = await post_form(web_client, status_path, f"{status_path}/verify", code=wrong)
        assert answer.status_code == 400
        expected = "Dieser Code stimmt nicht." if attempt < 5 else "Zu viele falsche Versuche."
        assert expected in answer.text
    sixth = await post_form(web_client, status_path, f"{status_path}/verify", code=right)
    assert sixth.status_code == 400 and "Zu viele falsche Versuche." in sixth.text
    assert (await _status_of(db)).status == "awaiting_verification"

    resent = await post_form(web_client, status_path, f"{status_path}/resend")
    assert resent.status_code == 303
    await mailroom.deliver()
    new_code = mailroom.code()
    if new_code != right:  # the old code stopped working
        stale = await post_form(web_client, status_path, f"{status_path}/verify", code=right)
        assert stale.status_code == 400
    ok = await post_form(web_client, status_path, f"{status_path}/verify", code=new_code)
    assert ok.status_code == 303
    assert (await _status_of(db)).status == "verified"


async def test_an_expired_code_is_refused(
    web_client: Client, mailroom: Mailroom, db: Database
) -> None:
    response = await submit(web_client)
    status_path = response.headers["location"].split("?")[0]
    await mailroom.deliver()
    async with db.session_scope() as session:
        await session.exec(update(Verification).values(expires_at=utcnow() - timedelta(seconds=1)))
    answer = await post_form(web_client, status_path, f"{status_path}/verify", code=mailroom.code())
    assert answer.status_code == 400
    assert "Dieser Code ist abgelaufen." in answer.text
    assert "Dieser Link ist nicht mehr gültig." in (await web_client.get(mailroom.link())).text


async def test_resending_is_limited_to_once_a_minute(
    web_client: Client, mailroom: Mailroom
) -> None:
    response = await submit(web_client)
    status_path = response.headers["location"].split("?")[0]
    first = await post_form(web_client, status_path, f"{status_path}/resend")
    assert first.status_code == 303
    second = await post_form(web_client, status_path, f"{status_path}/resend")
    assert second.status_code == 429
    assert int(second.headers["retry-after"]) > 0
    assert "Zu viele Anfragen." in second.text


async def test_withdraw_with_confirmation_and_an_e_mail(
    web_client: Client, mailroom: Mailroom, db: Database
) -> None:
    response = await submit(web_client)
    status_path = response.headers["location"].split("?")[0]
    ask = await web_client.get(f"{status_path}/withdraw")
    assert "Ja, Antrag zurückziehen" in ask.text
    done = await post_form(web_client, f"{status_path}/withdraw", f"{status_path}/withdraw")
    assert done.status_code == 303
    page = await web_client.get(done.headers["location"])
    assert "Ihr Antrag wurde zurückgezogen." in page.text
    assert "Diesen Antrag zurückziehen" not in page.text
    assert (await _status_of(db)).status == "withdrawn"
    assert (await mailroom.deliver()).sent == 2  # the code, then the confirmation
    assert mailroom.last().subject.endswith("wurde zurückgezogen")


async def test_mail_waits_while_smtp_is_down_and_is_delivered_exactly_once(
    web_client: Client, mailroom: Mailroom, smtp_server: MailCatcher, db: Database
) -> None:
    port = smtp_server.port
    await smtp_server.stop()
    await submit(web_client)
    report = await mailroom.deliver()
    assert (report.sent, report.failed) == (0, 1)
    async with db.session_scope() as session:
        row = (await session.exec(select(Outbox))).one()
    assert (row.status, row.attempts, row.last_error) == ("pending", 1, "SMTPConnectError")
    assert row.next_attempt_at is not None and row.next_attempt_at > utcnow()

    assert (await mailroom.deliver()).sent == 0  # not due yet: backoff
    restarted = MailCatcher(port=port)
    await restarted.start()
    mailroom.catcher = restarted
    try:
        later = utcnow() + timedelta(minutes=5)
        assert (await mailroom.deliver(now=later)).sent == 1
        assert (await mailroom.deliver(now=later + timedelta(hours=2))).sent == 0
        assert len(restarted.mails) == 1
        assert restarted.mails[0].message["Message-ID"] == row.message_id
    finally:
        await restarted.stop()


async def test_the_json_twin_verifies_with_the_code(
    web_client: Client, mailroom: Mailroom, db: Database
) -> None:
    await submit(web_client)
    await mailroom.deliver()
    reference = (await _status_of(db)).reference
    wrong = await web_client.post(
        f"/api/v1/requests/{reference}/verify",
        json={"code": "000000" if mailroom.code() != "000000" else "111111"},
    )
    assert wrong.status_code == 400
    assert wrong.json()["errors"] == [
        {
            "field": "code",
            "code": "wrong_code",
            "message": "Dieser Code stimmt nicht. Bitte prüfen Sie ihn und versuchen Sie es "
            "erneut.",
        }
    ]
    right = await web_client.post(
        f"/api/v1/requests/{reference}/verify", json={"code": mailroom.code()}
    )
    assert right.status_code == 200
    assert right.json() == {"status": "verified", "verification_level": "email"}
    again = await web_client.post(
        f"/api/v1/requests/{reference}/verify", json={"code": mailroom.code()}
    )
    assert again.status_code == 400


async def test_api_web_requests_get_a_status_link_and_a_code(
    web_client: Client, mailroom: Mailroom
) -> None:
    from tests.helpers import web_request

    created = await web_client.post("/api/v1/requests", json=web_request())
    assert created.status_code == 201
    status_url = created.json()["status_url"]
    assert re.fullmatch(r"http://127\.0\.0\.1:8000/status/[A-Za-z0-9_-]{43}", status_url)
    path = status_url.removeprefix("http://127.0.0.1:8000")
    assert created.json()["reference"] in (await web_client.get(path)).text


async def test_with_the_pause_policy_the_days_waiting_for_the_person_are_added(
    web_settings: Settings, smtp_server: MailCatcher, db: Database, tmp_path: Any
) -> None:
    import time_machine
    from litestar.testing import AsyncTestClient

    from dsr.app import create_app
    from dsr.domain.deadlines import paused_deadline

    (tmp_path / "pause.yaml").write_text("policies: {pause_for_identity: true}\n")
    settings = web_settings.model_copy(update={"config": tmp_path / "pause.yaml"})
    mailroom = Mailroom(settings, smtp_server)
    with time_machine.travel(datetime(2026, 11, 2, 9, 0, tzinfo=UTC), tick=False) as traveller:
        async with AsyncTestClient(
            app=create_app(settings), base_url="http://testserver.local"
        ) as client:
            response = await submit(client)
            status_path = response.headers["location"].split("?")[0]
            traveller.shift(timedelta(days=5))  # the person answers five days later
            await post_form(client, status_path, f"{status_path}/resend")
            await mailroom.deliver()
            confirmed = await post_form(
                client, status_path, f"{status_path}/verify", code=mailroom.code()
            )
            assert confirmed.status_code == 303
    request = await _status_of(db)
    assert request.due_on == date(2026, 12, 2)  # the unpaused deadline stays
    assert request.paused_days == 5
    assert request.paused_due_on == paused_deadline(date(2026, 12, 2), 5) == date(2026, 12, 7)
    assert request.effective_due_on == date(2026, 12, 7)


@pytest.mark.pdf
async def test_confirming_sends_the_acknowledgement_letter_which_the_dpo_can_download_and_redo(
    web_client: Client, mailroom: Mailroom, db: Database, web_settings: Settings
) -> None:
    response = await submit(web_client)
    status_path = response.headers["location"].split("?")[0]
    await mailroom.deliver()
    await post_form(web_client, status_path, f"{status_path}/verify", code=mailroom.code())
    assert (await mailroom.deliver()).sent == 1

    # The person receives the letter attached to a short e-mail: PDF/A where LibreOffice is
    # installed, else the Word document.
    mail = mailroom.last()
    assert mail.subject.startswith("Ihr Antrag DSR-") and mail.subject.endswith("unser Schreiben")
    (attachment,) = list(mail.message.iter_attachments())
    pdf = soffice() is not None
    assert attachment.get_content_type() == ("application/pdf" if pdf else DOCX)
    suffix = "pdf" if pdf else "docx"
    assert re.fullmatch(
        rf"DSR-\d{{4}}-\d{{6}}-Eingangsbestaetigung\.{suffix}", attachment.get_filename()
    )
    sent = attachment.get_content()
    assert sent.startswith(b"%PDF" if pdf else b"PK")
    request = await _status_of(db)

    # The DPO sees it on the request, downloads the archived DOCX, a PDF, and renders it again.
    dpo = await staff_token(web_settings, "dana", Role.DPO)
    detail = (await web_client.get(f"/api/v1/requests/{request.reference}", headers=dpo)).json()
    (letter,) = detail["letters"]
    assert (letter["kind"], letter["channel"], letter["version"]) == ("acknowledgement", "email", 1)
    got = await web_client.get(f"/api/v1/letters/{letter['id']}", headers=dpo)
    assert got.status_code == 200 and letter["sha256"] == hashlib.sha256(got.content).hexdigest()
    if not pdf:
        assert got.content == sent  # the person got exactly the archived document
    text = "\n".join(p.text for p in docx.Document(io.BytesIO(got.content)).paragraphs)
    due = long_date(request.due_on, Language.DE)
    assert f"Unsere Antwort erhalten Sie spätestens am {due}." in text
    assert "Guten Tag Erika Mustermann," in text and request.reference in text
    agent = await staff_token(web_settings, "anna", Role.AGENT)
    assert (
        await web_client.get(f"/api/v1/letters/{letter['id']}", headers=agent)
    ).status_code == 403
    unknown = await web_client.get(f"/api/v1/letters/{uuid.uuid4()}", headers=dpo)
    assert unknown.status_code == 404
    if soffice() is not None:
        pdf = await web_client.get(f"/api/v1/letters/{letter['id']}?format=pdf", headers=dpo)
        assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
        assert pdf.headers["content-type"] == "application/pdf"
    bad = await web_client.get(f"/api/v1/letters/{letter['id']}?format=exe", headers=dpo)
    assert bad.status_code == 400
    again = await web_client.post(f"/api/v1/letters/{letter['id']}/render", headers=dpo)
    assert again.status_code == 201 and again.json()["version"] == 2
    detail = (await web_client.get(f"/api/v1/requests/{request.reference}", headers=dpo)).json()
    assert [(x["version"], x["sent_at"] is not None) for x in detail["letters"]] == [
        (1, True),
        (2, False),
    ]
    assert [e["action"] for e in detail["timeline"]].count("letter.created") == 2


async def test_a_message_that_cannot_be_built_fails_alone_and_the_rest_go_out(
    mailroom: Mailroom, db: Database, web_settings: Settings
) -> None:
    from dsr.notify.outbox import enqueue
    from dsr.rendering import RenderedMail
    from dsr.security.vault import Vault

    vault = Vault.from_secrets(web_settings.encryption_keys, web_settings.hmac_key)
    mail = RenderedMail(subject="Test", text="Hallo", html="<p>Hallo</p>")
    async with db.session_scope() as session:
        bad = await enqueue(
            session, vault.cipher, to="b.a..7@example.org", mail=mail, sender_address="d@e.org"
        )
        good = await enqueue(
            session, vault.cipher, to="ok@example.org", mail=mail, sender_address="d@e.org"
        )
    report = await mailroom.deliver()
    assert (report.sent, report.failed) == (1, 1)
    assert mailroom.last().recipients == ("ok@example.org",)
    async with db.session_scope() as session:
        rows = {row.id: row for row in (await session.exec(select(Outbox))).all()}
    assert (rows[bad.id].status, rows[bad.id].last_error) == ("failed", "EmailSyntaxError")
    assert rows[good.id].status == "sent"
    assert (await mailroom.deliver()).sent == 0  # not retried forever
