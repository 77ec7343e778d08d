"""Internationalised e-mail addresses (RFC 6531) end to end, with a real SMTP server: the domain
travels in its IDNA form, a non-ASCII local part by SMTPUTF8, and the code that arrives
confirms the request. A server without SMTPUTF8 fails such a message at once (no retries
forever) and still receives addresses whose only non-ASCII part is the domain."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlmodel import select

from dsr.db import Database
from dsr.models import Outbox, Request
from dsr.notify.catcher import MailCatcher
from dsr.settings import Settings
from tests.e2e.web import Client, Mailroom, post_form, submit
from tests.helpers import web_request


@pytest.fixture
def mailroom(web_settings: Settings, smtp_server: MailCatcher) -> Mailroom:
    return Mailroom(web_settings, smtp_server)


async def _only_request(db: Database) -> Request:
    async with db.session_scope() as session:
        return (await session.exec(select(Request))).one()


async def test_a_non_ascii_address_from_the_form_gets_its_code_and_confirms(
    web_client: Client, mailroom: Mailroom, db: Database
) -> None:
    response = await submit(web_client, email="Jürgen.Müller@Bücher.example")
    assert response.status_code == 303
    status_path = response.headers["location"].split("?")[0]
    assert (await mailroom.deliver()).sent == 1
    mail = mailroom.last()
    assert mail.recipients == ("jürgen.müller@xn--bcher-kva.example",)
    assert str(mail.message["To"]) == "jürgen.müller@xn--bcher-kva.example"
    confirmed = await post_form(
        web_client, status_path, f"{status_path}/verify", code=mailroom.code()
    )
    assert confirmed.status_code == 303
    request = await _only_request(db)
    assert (request.status, request.verification_level) == ("verified", "email")


async def test_a_non_ascii_address_through_the_api_confirms_with_its_code(
    web_client: Client, mailroom: Mailroom, db: Database
) -> None:
    body = web_request(subject={"name": "Δοκιμή", "email": "δοκιμή@παράδειγμα.δοκιμή"})
    created = await web_client.post("/api/v1/requests", json=body)
    assert created.status_code == 201, created.text
    assert (await mailroom.deliver()).sent == 1
    assert mailroom.last().recipients == ("δοκιμή@xn--hxajbheg2az3al.xn--jxalpdlp",)
    reference = created.json()["reference"]
    verified = await web_client.post(
        f"/api/v1/requests/{reference}/verify", json={"code": mailroom.code()}
    )
    assert (verified.status_code, verified.json()["status"]) == (200, "verified")


@pytest.fixture
async def ascii_only_server() -> AsyncIterator[MailCatcher]:
    catcher = MailCatcher(port=0, smtputf8=False)
    await catcher.start()
    yield catcher
    await catcher.stop()


async def test_a_server_without_smtputf8_fails_the_message_at_once_but_takes_idn_domains(
    settings: Settings, ascii_only_server: MailCatcher, db: Database
) -> None:
    from litestar.testing import AsyncTestClient

    from dsr.app import create_app

    web_settings = settings.model_copy(update={"smtp_url": ascii_only_server.url})
    mailroom = Mailroom(web_settings, ascii_only_server)
    async with AsyncTestClient(app=create_app(web_settings)) as client:
        for email in ("jürgen@example.org", "erika@bücher.example"):
            body = web_request(subject={"name": "Erika", "email": email})
            assert (await client.post("/api/v1/requests", json=body)).status_code == 201
    report = await mailroom.deliver()
    assert (report.sent, report.failed) == (1, 1)
    assert ascii_only_server.mails[0].recipients == ("erika@xn--bcher-kva.example",)
    async with db.session_scope() as session:
        rows = (await session.exec(select(Outbox))).all()
    assert sorted((row.status, row.last_error) for row in rows) == [
        ("failed", "SMTPNotSupported"),  # not retried for hours: an operator sees it at once
        ("sent", None),
    ]


async def test_with_an_smtp_server_without_smtputf8_such_addresses_are_refused_at_intake(
    settings: Settings, db: Database
) -> None:
    """DSR_SMTPUTF8=false: refused with a clear message rather than accepted and stuck."""
    from litestar.testing import AsyncTestClient

    from dsr.app import create_app

    app = create_app(settings.model_copy(update={"smtputf8": False}))
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as client:
        body = web_request(subject={"name": "Jürgen", "email": "jürgen@example.org"})
        refused = await client.post("/api/v1/requests", json=body)
        assert refused.status_code == 400
        assert refused.json()["errors"] == [
            {
                "field": "subject.email",
                "code": "email_not_deliverable",
                "message": "Unser Mailserver kann keine Adresse zustellen, die vor dem @ "
                "andere Buchstaben als a-z enthält. Bitte geben Sie eine andere Adresse an.",
            }
        ]
        english = await client.post(
            "/api/v1/requests", json=body, headers={"Accept-Language": "en"}
        )
        assert "Please give another address." in english.json()["errors"][0]["message"]
        form = await submit(client, email="jürgen@example.org")
        assert form.status_code == 400
        assert "Unser Mailserver kann keine Adresse zustellen" in form.text
        async with db.session_scope() as session:
            assert (await session.exec(select(Request))).all() == []
        idn_domain = web_request(subject={"name": "Erika", "email": "erika@bücher.example"})
        assert (await client.post("/api/v1/requests", json=idn_domain)).status_code == 201
