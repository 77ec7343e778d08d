"""The DPO's triage list over HTTP: mail the poller did not file, filed with one click as
the request it is, or dismissed as not a request."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Any

import pyotp
from sqlmodel import select

from dsr.config import load_config
from dsr.domain.vocabulary import Role
from dsr.models import MailMessage, Outbox, Request
from dsr.rendering import new_environment
from dsr.security.vault import Vault
from dsr.services.mail_intake import Arrival, MailIntake
from dsr.settings import Settings
from tests.e2e.web import csrf_of
from tests.helpers import staff_token
from tests.staff import _db, _sign_in, _staff

ARRIVED = datetime(2026, 11, 29, 22, 45, tzinfo=UTC)  # 23:45 in Berlin


def _mail(sender: str, subject: str, body: str) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["Subject"] = subject
    message["Message-ID"] = f"<{abs(hash(subject))}@sender.example>"
    message.set_content(body)
    return bytes(message)


async def _arrive(settings: Settings, uid: int, raw: bytes) -> None:
    database = await _db(settings)
    config = load_config(settings.config, required=True)
    vault = Vault.from_secrets(settings.encryption_keys, settings.hmac_key)
    try:
        async with database.session_scope() as session:
            intake = MailIntake.for_settings(session, settings, config, vault, new_environment())
            await intake.take(Arrival("INBOX", 7, uid, ARRIVED, raw, len(raw)))
    finally:
        await database.dispose()


async def test_the_dpo_files_or_dismisses_mail_from_the_triage_list(console: Any) -> None:
    client, settings = console
    settings = settings.model_copy(update={"config": settings.var_dir.parent / "dsr.yaml"})
    await _arrive(settings, 1, _mail("ruth@example.net", "Frage", "Was passiert mit mir?"))
    await _arrive(settings, 2, _mail("sales@vendor.example", "Angebot", "Günstige Drucker!"))
    password, secret = await _staff(settings, "dana", Role.DPO)
    assert (await _sign_in(client, "dana", password, pyotp.TOTP(secret).now())).status_code == 303

    page = await client.get("/dpo/triage")
    assert page.status_code == 200
    assert "ruth@example.net" in page.text and "Frage" in page.text
    assert "2026-11-29 23:45" in page.text  # arrival, in Berlin
    assert "Keine Anfrage erkannt" in page.text
    english = await client.get("/dpo/triage", params={"lang": "en"})
    assert "No request recognised" in english.text and "Not a request" in english.text
    ids = re.findall(r'action="/dpo/triage/([0-9a-f-]{36})/dismiss"', page.text)
    assert len(ids) == 2
    token = csrf_of(page.text)

    filed = await client.post(
        f"/dpo/triage/{ids[0]}/file",
        data={"_csrf_token": token, "kind": "erasure"},
        follow_redirects=False,
    )
    assert filed.status_code == 303
    reference = filed.headers["location"].rsplit("/", 1)[1]
    detail = await client.get(f"/dpo/requests/{reference}")
    assert "Filed from the triage list" in detail.text  # the timeline (English: ?lang=en stuck)
    assert f"/dpo/triage/{ids[0]}/original" in detail.text  # the mail in the request's file
    original = await client.get(f"/dpo/triage/{ids[0]}/original")
    assert original.headers["content-type"] == "application/octet-stream"
    assert original.headers["content-disposition"].startswith("attachment;")
    assert b"Was passiert mit mir?" in original.content
    dismissed = await client.post(
        f"/dpo/triage/{ids[1]}/dismiss", data={"_csrf_token": token}, follow_redirects=False
    )
    assert dismissed.headers["location"] == "/dpo/triage"
    again = await client.post(
        f"/dpo/triage/{ids[1]}/file",
        data={"_csrf_token": token, "kind": "access"},
        follow_redirects=False,
    )
    assert again.headers["location"] == "/dpo/triage?e=invalid"  # decided already
    page = await client.get("/dpo/triage")
    assert "ruth@example.net" not in page.text.split("<details>")[0]

    database = await _db(settings)
    try:
        async with database.session_scope() as session:
            (request,) = (await session.exec(select(Request))).all()
            assert request.reference == reference
            assert (request.kind, request.channel) == ("erasure", "email")
            assert request.received_at == ARRIVED
            assert request.status == "awaiting_verification"
            outcomes = sorted((await session.exec(select(MailMessage.outcome))).all())
            assert outcomes == ["dismissed", "filed"]
            (code,) = (await session.exec(select(Outbox))).all()
            assert code.request_id == request.id and code.thread_enc
    finally:
        await database.dispose()


async def test_agents_do_not_see_the_triage_list(console: Any) -> None:
    client, settings = console
    token = await staff_token(settings, "anna", Role.AGENT)
    response = await client.get("/dpo/triage", headers=token)
    assert response.status_code in (401, 403)


async def test_two_clicks_at_once_file_one_request(console: Any) -> None:
    import asyncio

    client, settings = console
    settings = settings.model_copy(update={"config": settings.var_dir.parent / "dsr.yaml"})
    await _arrive(settings, 1, _mail("twice@example.net", "Frage", "Was wissen Sie?"))
    password, secret = await _staff(settings, "dana", Role.DPO)
    assert (await _sign_in(client, "dana", password, pyotp.TOTP(secret).now())).status_code == 303
    page = await client.get("/dpo/triage")
    (mail_id,) = re.findall(r'action="/dpo/triage/([0-9a-f-]{36})/dismiss"', page.text)
    token = csrf_of(page.text)
    answers = await asyncio.gather(
        *(
            client.post(
                f"/dpo/triage/{mail_id}/file",
                data={"_csrf_token": token, "kind": kind},
                follow_redirects=False,
            )
            for kind in ("access", "erasure", "access", "objection")
        )
    )
    locations = sorted(a.headers["location"] for a in answers)
    assert locations.count("/dpo/triage?e=invalid") == 3
    database = await _db(settings)
    try:
        async with database.session_scope() as session:
            assert len((await session.exec(select(Request))).all()) == 1
            assert len((await session.exec(select(Outbox))).all()) == 1
    finally:
        await database.dispose()
