"""The staff console over HTTP: sign-in with password and TOTP, sessions, roles, phone intake."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import pyotp
from litestar.testing import AsyncTestClient
from sqlalchemy import update
from sqlmodel import select

from dsr.app import create_app
from dsr.domain.vocabulary import Role
from dsr.models import Event, Outbox, Request, Staff, StaffSession
from dsr.models.base import utcnow
from dsr.settings import Settings
from dsr.web.auth import TOKEN_CACHE_SECONDS, TokenCache
from dsr.workflows.engine import Actor
from tests.e2e.web import csrf_of
from tests.helpers import staff_token
from tests.staff import PASSWORD, _db, _sign_in, _staff

Client = AsyncTestClient  # type: ignore[type-arg]


async def test_first_sign_in_forces_a_new_password_and_totp_enrolment(console: Any) -> None:
    client, settings = console
    one_time, secret = await _staff(settings, "anna", Role.AGENT, enrolled=False)
    first = await _sign_in(client, "anna", one_time, "")
    assert (first.status_code, first.headers["location"]) == (303, "/login/setup")
    enrol_cookie = client.cookies.get("dsr_staff")
    assert (await client.get("/console", follow_redirects=False)).headers["location"] == "/login"

    setup = await client.get("/login/setup")
    assert "<svg" in setup.text and secret in setup.text  # the QR code, rendered in the page
    short = await client.post(
        "/login/setup",
        data={
            "_csrf_token": csrf_of(setup.text),
            "password": "short",
            "repeat": "short",
            "code": pyotp.TOTP(secret).now(),
        },
    )
    assert short.status_code == 400 and "Bitte mindestens 12 Zeichen." in short.text
    done = await client.post(
        "/login/setup",
        data={
            "_csrf_token": csrf_of(setup.text),
            "password": PASSWORD,
            "repeat": PASSWORD,
            "code": pyotp.TOTP(secret).now(),
        },
        follow_redirects=False,
    )
    assert (done.status_code, done.headers["location"]) == (303, "/console")
    assert client.cookies.get("dsr_staff") != enrol_cookie  # a new session id after set-up
    assert (await client.get("/console")).status_code == 200


async def test_password_and_totp_both_always_and_a_code_counts_once(console: Any) -> None:
    client, settings = console
    password, secret = await _staff(settings, "dana", Role.DPO)
    assert (await _sign_in(client, "dana", password, "")).status_code == 400
    assert (
        await _sign_in(client, "dana", "wrong-password-123", pyotp.TOTP(secret).now())
    ).status_code == 400
    code = pyotp.TOTP(secret).now()
    ok = await _sign_in(client, "dana", password, code)
    assert (ok.status_code, ok.headers["location"]) == (303, "/dpo")
    await client.post("/logout", data={"_csrf_token": csrf_of((await client.get("/console")).text)})
    replay = await _sign_in(client, "dana", password, code)
    assert (
        replay.status_code == 400
        and "Benutzername, Passwort oder Code stimmt nicht." in replay.text
    )


async def test_five_failures_lock_the_account_for_a_while(console: Any) -> None:
    client, settings = console
    password, secret = await _staff(settings, "dana", Role.DPO)
    for _ in range(5):
        assert (await _sign_in(client, "dana", "not-the-password", "000000")).status_code == 400
    locked = await _sign_in(client, "dana", password, pyotp.TOTP(secret).now())
    assert locked.status_code == 400 and "gesperrt" in locked.text
    database = await _db(settings)
    try:
        async with database.session_scope() as session:
            staff = (await session.exec(select(Staff).where(Staff.username == "dana"))).one()
            assert staff.locked_until is not None and staff.locked_until > utcnow() + timedelta(
                minutes=14
            )
            events = (
                await session.exec(select(Event).where(Event.action == "staff.sign_in_failed"))
            ).all()
    finally:
        await database.dispose()
    assert len(events) == 5 and events[-1].payload["locked"] is True


async def test_no_session_fixation_and_sessions_expire_when_idle(console: Any) -> None:
    client, settings = console
    password, secret = await _staff(settings, "dana", Role.DPO)
    client.cookies.set(
        "dsr_staff", "attacker-chosen-session-id-0123456789", domain="testserver.local"
    )
    assert (await client.get("/console", follow_redirects=False)).status_code == 303
    await _sign_in(client, "dana", password, pyotp.TOTP(secret).now())
    assert client.cookies.get("dsr_staff") != "attacker-chosen-session-id-0123456789"
    assert (await client.get("/dpo")).status_code == 200
    database = await _db(settings)
    try:
        async with database.session_scope() as session:
            await session.exec(
                update(StaffSession).values(last_seen_at=utcnow() - timedelta(minutes=31))
            )
    finally:
        await database.dispose()
    expired = await client.get("/console", follow_redirects=False)
    assert (expired.status_code, expired.headers["location"]) == (303, "/login")


async def test_forms_without_the_csrf_token_are_refused(console: Any) -> None:
    client, settings = console
    password, secret = await _staff(settings, "dana", Role.DPO)
    await client.get("/login")
    refused = await client.post(
        "/login", data={"username": "dana", "password": password, "code": pyotp.TOTP(secret).now()}
    )
    assert refused.status_code == 403


async def _agent_session(client: Client, settings: Settings, name: str) -> None:
    password, secret = await _staff(settings, name, Role.AGENT)
    assert (await _sign_in(client, name, password, pyotp.TOTP(secret).now())).status_code == 303


async def _intake(client: Client, **facts: str) -> Any:
    page = await client.get("/console/new")
    data = {
        "_csrf_token": csrf_of(page.text),
        "kind": "erasure",
        "name": "Sören Noack-Täsche",
        "answer_channel": "email",
        "change_field": "name",
        "change_value": "",
        "date_of_birth": "",
        **facts,
    }
    return await client.post("/console/new", data=data, follow_redirects=True)


async def test_two_matched_facts_verify_the_caller_without_showing_stored_values(
    console: Any,
) -> None:
    client, settings = console
    await _agent_session(client, settings, "anna")
    database = await _db(settings)
    page = await _intake(
        client,
        customer_number="k-100 001",
        phone_pin="9999",
        last_invoice_date="",
        last_invoice_amount="",
    )
    assert "Kundennummer: <strong>stimmt</strong>" in page.text
    assert (
        "Telefon-PIN: <strong>stimmt nicht</strong>" in page.text
        or "Telefon-PIN: <strong>stimmt</strong>" in page.text
    )
    reference = re.search(r"DSR-\d{4}-\d{6}", page.text).group(0)  # type: ignore[union-attr]
    try:
        async with database.session_scope() as session:
            request = (
                await session.exec(select(Request).where(Request.reference == reference))
            ).one()
    finally:
        await database.dispose()
    assert request.channel == "phone" and request.created_by is not None
    assert "K100001" not in page.text.replace("k-100 001", "")  # nothing from the record is echoed


async def test_name_and_birth_date_alone_never_verify(console: Any) -> None:
    client, settings = console
    await _agent_session(client, settings, "anna")
    page = await _intake(client, date_of_birth="1951-04-03")
    assert "Über einen hinterlegten Weg prüfen" in page.text  # not verified: offer channels on file
    assert "Eingegangen" in page.text


async def test_the_pin_and_an_invoice_fact_reach_level_kba_and_a_code_goes_to_the_file_address(
    console: Any,
) -> None:
    client, settings = console
    await _agent_session(client, settings, "anna")
    amount, issued = sqlite_value(
        settings,
        "select total, issued_on from invoices where customer_id = 2"
        " order by issued_on desc limit 1",
    )
    (pin,) = sqlite_value(settings, "select phone_pin from customers where id = 2")
    # Date and amount of one invoice are one document: whoever holds it knows both.
    same_document = await _intake(
        client,
        customer_number="K100002",
        last_invoice_amount=str(amount).replace(".", ","),
        last_invoice_date=issued,
    )
    assert "Datum der letzten Rechnung: <strong>stimmt</strong>" in same_document.text
    assert "Über einen hinterlegten Weg prüfen" in same_document.text  # not verified
    page = await _intake(client, customer_number="K100002", phone_pin=pin, last_invoice_date=issued)
    assert "Identität bestätigt" in page.text  # verified: status moved on
    database = await _db(settings)
    try:
        async with database.session_scope() as session:
            request = (
                await session.exec(
                    select(Request).where(Request.channel == "phone", Request.status != "received")
                )
            ).one()
            events = (
                await session.exec(select(Event).where(Event.action == "verification.kba_checked"))
            ).all()
    finally:
        await database.dispose()
    assert request.verification_level == "kba"
    assert [event.payload["facts"] for event in events] == [
        {"customer_number": True, "last_invoice_date": True, "last_invoice_amount": True},
        {"customer_number": True, "phone_pin": True, "last_invoice_date": True},
    ]

    other = await _intake(client, customer_number="K100003")
    assert "Über einen hinterlegten Weg prüfen" in other.text
    reference = re.search(r"DSR-\d{4}-\d{6}", other.text).group(0)  # type: ignore[union-attr]
    form = await client.get(f"/console/requests/{reference}")
    sent = await client.post(
        f"/console/requests/{reference}/code", data={"_csrf_token": csrf_of(form.text)}
    )
    assert "Ein Code ist an die hinterlegte E-Mail-Adresse unterwegs." in sent.text
    assert "example.org" not in sent.text.replace("dsb@example.org", "")
    database = await _db(settings)
    try:
        async with database.session_scope() as session:
            assert len((await session.exec(select(Outbox))).all()) == 1
    finally:
        await database.dispose()


async def test_an_agent_cannot_open_another_agents_request(console: Any) -> None:
    client, settings = console
    await _agent_session(client, settings, "anna")
    page = await _intake(client, customer_number="K100001")
    reference = re.search(r"DSR-\d{4}-\d{6}", page.text).group(0)  # type: ignore[union-attr]
    await client.post("/logout", data={"_csrf_token": csrf_of(page.text)})
    await _agent_session(client, settings, "bert")
    assert (
        await client.get(f"/console/requests/{reference}", headers={"accept": "text/html"})
    ).status_code == 404
    assert reference not in (await client.get("/console")).text


def sqlite_value(settings: Settings, query: str) -> tuple[Any, ...]:
    import sqlite3

    shop = Path(str(settings.var_dir).replace("/var", "")) / "shop.db"
    return tuple(sqlite3.connect(shop).execute(query).fetchone())


async def test_a_phone_change_of_e_mail_is_confirmed_through_the_address_on_file(
    console: Any,
) -> None:
    client, settings = console
    await _agent_session(client, settings, "anna")
    pin = sqlite_value(settings, "select phone_pin from customers where id = 1")[0]
    (issued,) = sqlite_value(settings, "select max(issued_on) from invoices where customer_id = 1")
    page = await client.get("/console/new")
    data = {
        "_csrf_token": csrf_of(page.text),
        "kind": "rectification",
        "change_field": "email",
        "change_value": "new.address@example.net",
        "name": "Sören Noack-Täsche",
        "answer_channel": "email",
        "customer_number": "K100001",
        "phone_pin": pin,
        "last_invoice_date": issued,
    }
    result = await client.post("/console/new", data=data)
    assert "über die hinterlegte E-Mail-Adresse bestätigt" in result.text
    database = await _db(settings)
    try:
        async with database.session_scope() as session:
            request = (await session.exec(select(Request))).one()
            mails = (await session.exec(select(Outbox))).all()
    finally:
        await database.dispose()
    assert request.status == "awaiting_verification"  # not verified by the phone check alone
    assert len(mails) == 1  # the code went to the old address, not the new one


async def test_deactivating_an_account_ends_its_sessions_and_api_tokens(
    console: Any, settings: Settings
) -> None:
    """At once in the process that deactivated it; within the token cache's few seconds in
    another process (here: a second app on the same database with its own cache)."""
    client, _ = console
    token = await staff_token(settings, "anna", Role.AGENT)
    password, secret = await _staff(settings, "root", Role.ADMIN)
    other_clock = [0.0]
    other_app = create_app(settings)
    other_app.state.tokens = TokenCache(clock=lambda: other_clock[0])
    async with AsyncTestClient(app=other_app) as other:
        assert (await client.get("/api/v1/requests", headers=token)).status_code == 200
        assert (await other.get("/api/v1/requests", headers=token)).status_code == 200

        await _sign_in(client, "root", password, pyotp.TOTP(secret).now())
        page = await client.get("/admin/staff")
        step = await client.post(
            "/admin/staff/anna/deactivate", data={"_csrf_token": csrf_of(page.text)}
        )
        assert "Deaktiviert anna: Sitzungen enden sofort" in step.text  # nothing done yet
        assert (await client.get("/api/v1/requests", headers=token)).status_code == 200
        done = await client.post(
            "/admin/staff/anna/deactivate",
            data={"_csrf_token": csrf_of(page.text), "confirmed": "1"},
            follow_redirects=False,
        )
        assert done.status_code == 303
        client.cookies.clear()
        assert (await client.get("/api/v1/requests", headers=token)).status_code == 401
        assert (await other.get("/api/v1/requests", headers=token)).status_code == 200
        other_clock[0] += TOKEN_CACHE_SECONDS
        assert (await other.get("/api/v1/requests", headers=token)).status_code == 401


def test_the_token_cache_keeps_valid_tokens_for_a_few_seconds_and_stays_small() -> None:
    now = [100.0]
    cache = TokenCache(seconds=5, size=3, clock=lambda: now[0])
    actor = Actor("staff", staff_id=uuid.uuid4(), role="dpo")
    cache.put("a", actor)
    now[0] += 4.9
    assert cache.get("a") is actor
    now[0] += 0.1
    assert cache.get("a") is None
    for key in "bcd":
        cache.put(key, actor)
    cache.put("e", actor)  # full: everything is looked up again
    assert [cache.get(key) for key in "bcde"] == [None, None, None, actor]
