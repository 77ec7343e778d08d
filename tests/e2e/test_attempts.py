"""Every attempt at a secret counts, whatever the answer, and limits follow the person: the
e-mail code over the JSON API, phone checks across requests and agents, and staff sign-in
that answers the same for unknown, locked and known accounts. (The same limits under
concurrency, over real HTTP, are in ``test_attempt_races.py``.)"""

from __future__ import annotations

import re
from typing import Any

import pyotp
import pytest
from sqlmodel import col, select

from dsr.db import Database
from dsr.domain.vocabulary import Role
from dsr.models import Event, Request, Verification
from dsr.services import staff_auth
from dsr.settings import Settings
from tests.e2e.test_console import _agent_session, _intake, sqlite_value
from tests.e2e.web import Client, Mailroom, csrf_of
from tests.helpers import staff_token, web_request
from tests.staff import _sign_in, _staff

REFERENCE = re.compile(r"DSR-\d{4}-\d{6}")


@pytest.fixture
def mailroom(web_settings: Settings, smtp_server: Any) -> Mailroom:
    return Mailroom(web_settings, smtp_server)


async def test_wrong_codes_over_the_api_count_and_then_the_right_code_is_refused(
    web_client: Client, web_settings: Settings, mailroom: Mailroom, db: Database
) -> None:
    """Before: each 400 rolled back the counter and its event, and after any number of wrong
    codes the right one answered 200 verified."""
    created = await web_client.post("/api/v1/requests", json=web_request())
    assert created.status_code == 201
    reference = created.json()["reference"]
    await mailroom.deliver()
    code = mailroom.code()
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for _ in range(5):
        answer = await web_client.post(f"/api/v1/requests/{reference}/verify", json={"code": wrong})
        assert answer.status_code == 400
    right = await web_client.post(f"/api/v1/requests/{reference}/verify", json={"code": code})
    assert right.status_code == 400
    async with db.session_scope() as session:
        request = (await session.exec(select(Request))).one()
        verification = (await session.exec(select(Verification))).one()
    assert request.status == "awaiting_verification"
    assert (verification.attempts, verification.result) == (5, "failed")
    dpo = await staff_token(web_settings, "dana", Role.DPO)
    detail = await web_client.get(f"/api/v1/requests/{reference}", headers=dpo)
    failed = [
        e["payload"] for e in detail.json()["timeline"] if e["action"] == "verification.failed"
    ]
    assert failed == [{"method": "email_code", "attempts": n} for n in range(1, 6)]


async def test_the_link_counts_as_an_attempt_and_is_dead_after_five_wrong_codes(
    web_client: Client, mailroom: Mailroom, db: Database
) -> None:
    created = await web_client.post("/api/v1/requests", json=web_request())
    reference = created.json()["reference"]
    await mailroom.deliver()
    link = mailroom.link()
    for _ in range(5):
        await web_client.post(f"/api/v1/requests/{reference}/verify", json={"code": "000000"})
    assert (await web_client.get(link)).status_code == 404
    form = await web_client.get("/request")
    confirmed = await web_client.post(
        link, data={"_csrf_token": csrf_of(form.text)}, follow_redirects=False
    )
    assert confirmed.status_code == 400
    async with db.session_scope() as session:
        assert (await session.exec(select(Request))).one().status == "awaiting_verification"


async def _events(settings: Settings, action: str) -> list[Event]:
    database = Database.from_url(settings.database_url)
    try:
        async with database.session_scope() as session:
            query = select(Event).where(Event.action == action).order_by(col(Event.id))
            return list((await session.exec(query)).all())
    finally:
        await database.dispose()


def _customer_one(settings: Settings) -> tuple[str, str]:
    """Customer 1's phone PIN and the date of their last invoice, from the shop."""
    (pin,) = sqlite_value(settings, "select phone_pin from customers where id = 1")
    (issued,) = sqlite_value(settings, "select max(issued_on) from invoices where customer_id = 1")
    return str(pin), str(issued)


def _wrong_pins(pin: str, count: int) -> list[str]:
    return [guess for guess in (f"{n:04d}" for n in range(count + 1)) if guess != pin][:count]


async def test_failed_checks_follow_the_customer_across_requests_and_agents(
    console: Any,
) -> None:
    """Before: three checks per request, so every new request for the same customer gave
    three more guesses."""
    client, settings = console
    pin, issued = _customer_one(settings)
    guesses = iter(_wrong_pins(pin, 5))
    await _agent_session(client, settings, "anna")
    references = []
    for checks in (3, 2):  # a first request used up, then a second one
        page = await _intake(client, customer_number="K100001", phone_pin=next(guesses))
        reference = REFERENCE.search(page.text).group(0)  # type: ignore[union-attr]
        references.append(reference)
        for _ in range(checks - 1):
            form = await client.get(f"/console/requests/{reference}")
            page = await client.post(
                f"/console/requests/{reference}/check",
                data={
                    "_csrf_token": csrf_of(form.text),
                    "customer_number": "K100001",
                    "phone_pin": next(guesses),
                },
            )
        assert "Telefon-PIN: <strong>stimmt nicht</strong>" in page.text
    await client.post("/logout", data={"_csrf_token": csrf_of(page.text)})

    await _agent_session(client, settings, "bert")  # a third request, another agent, the truth
    third = await _intake(
        client, customer_number="k-100 001", phone_pin=pin, last_invoice_date=issued
    )
    assert "keine weiteren Prüfungen am Telefon möglich" in third.text
    assert "<strong>stimmt" not in third.text  # nothing about any fact
    assert "Bestätigt" not in third.text

    checked = await _events(settings, "verification.kba_checked")
    assert len(checked) == 5
    assert len(await _events(settings, "verification.kba_locked")) == 1
    assert len(await _events(settings, "verification.kba_refused")) == 1
    database = Database.from_url(settings.database_url)
    try:
        async with database.session_scope() as session:
            levels = (await session.exec(select(Request.verification_level))).all()
    finally:
        await database.dispose()
    assert set(levels) == {"none"}

    await client.post("/logout", data={"_csrf_token": csrf_of(third.text)})
    password, secret = await _staff(settings, "dora", Role.DPO)
    await _sign_in(client, "dora", password, pyotp.TOTP(secret).now())
    desk = await client.get("/dpo")
    assert "Prüfung am Telefon nach zu vielen Fehlversuchen gesperrt" in desk.text
    assert references[1] in desk.text.split("gesperrt (letzte 24 Stunden)")[1].split("</div>")[0]


async def test_an_agent_cannot_learn_a_pin_by_enumeration(console: Any) -> None:
    """Before: the per-fact answers named the right PIN as soon as it was tried, and a new
    request (or a second agent) gave more tries."""
    client, settings = console
    pin, _ = _customer_one(settings)
    guesses = [*_wrong_pins(pin, 9), pin, *_wrong_pins(pin, 15)[9:]]
    await _agent_session(client, settings, "anna")
    answers = []
    for guess in guesses:
        page = await _intake(client, customer_number="K100001", phone_pin=guess)
        found = re.search(r"Telefon-PIN: <strong>(stimmt(?: nicht)?)</strong>", page.text)
        answers.append(found.group(1) if found else "—")
    assert answers == ["stimmt nicht"] * 5 + ["—"] * (len(guesses) - 5)
    assert "stimmt" not in answers


async def test_unknown_locked_and_known_accounts_get_the_same_answer_and_the_same_work(
    console: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before: a locked account said so (an unknown one never did) and answered without
    hashing the password (13 ms against 620 ms)."""
    client, settings = console
    password, secret = await _staff(settings, "dana", Role.DPO)
    hashed: list[str] = []
    real = staff_auth.verify_password

    def counting(stored: str, given: str) -> bool:
        hashed.append(given)
        return real(stored, given)

    monkeypatch.setattr(staff_auth, "verify_password", counting)

    def answer(html: str, name: str) -> str:
        html = re.sub(r'name="_csrf_token" value="[^"]+"', "", html)
        return html.replace(f'value="{name}"', 'value=""')

    wrong = answer((await _sign_in(client, "dana", "not-the-password", "000000")).text, "dana")
    unknown = answer(
        (await _sign_in(client, "nobody", "not-the-password", "000000")).text, "nobody"
    )
    for _ in range(4):
        await _sign_in(client, "dana", "not-the-password", "000000")
    locked = await _sign_in(client, "dana", password, pyotp.TOTP(secret).now())
    assert locked.status_code == 400
    assert wrong == unknown == answer(locked.text, "dana")
    assert "Nach fünf Fehlversuchen in Folge wird ein Konto für 15 Minuten gesperrt" in wrong
    assert len(hashed) == 7  # one password hash per sign-in, whoever signs in
