"""The DPO's case desk over HTTP: the request as the person asked it (free text, old → new per
store and column, audited per view), a postal address in its parts written part by part into
two stores, and an auto-approved access refused before release."""

from __future__ import annotations

import io
import json
import sqlite3
from pathlib import Path
from typing import Any

import docx
import pyotp
import pytest
import yaml
from litestar.testing import AsyncTestClient
from sqlmodel import func, select

from dsr import demo
from dsr.app import create_app
from dsr.config import DsrConfig
from dsr.connectors.registry import build_connectors
from dsr.db import Database
from dsr.domain.vocabulary import Role
from dsr.models import Event, Letter, Request, Task
from dsr.security.vault import Vault
from dsr.settings import Settings
from dsr.workflows import engine
from dsr.workflows.engine import SUBJECT
from dsr.workflows.runner import Runner
from tests.e2e.web import csrf_of, submit
from tests.helpers import staff_token, web_request
from tests.staff import _sign_in, _staff
from tests.stores import TODAY

BILLING = {
    "name": "billing",
    "label": {"de": "Abrechnung", "en": "Billing"},
    "type": "sql",
    "tables": [
        {
            "name": "addresses",
            "identity": {"email": "email"},
            "columns": {
                "email": {"category": "contact", "field": "email"},
                "street": {"category": "contact", "field": "postal_address.street"},
                "postcode": {"category": "contact", "field": "postal_address.postcode"},
                "city": {"category": "contact", "field": "postal_address.city"},
            },
            "erase": "update",
        }
    ],
}


def billing_store(path: Path, customers: list[tuple[str, str, str, str]]) -> dict[str, Any]:
    """A second SQL store (a billing system) holding the customers' addresses once more."""
    with sqlite3.connect(path) as connection:
        connection.execute(
            "CREATE TABLE addresses (id INTEGER PRIMARY KEY, email TEXT, street TEXT, "
            "postcode TEXT, city TEXT)"
        )
        connection.executemany(
            "INSERT INTO addresses (email, street, postcode, city) VALUES (?, ?, ?, ?)",
            customers,
        )
    return {**BILLING, "url": f"sqlite:///{path}"}


def shop_customers(shop: Path) -> list[tuple[str, str, str, str]]:
    with sqlite3.connect(shop) as connection:
        return list(
            connection.execute("SELECT email, street, zip, city FROM customers ORDER BY id")
        )


@pytest.fixture
async def world(settings: Settings, tmp_path: Path) -> Any:
    """The demo shop and a billing store; the paper archive keeps an access in processing."""
    shop = tmp_path / "shop.db"
    await demo.load_shop(f"sqlite:///{shop}", 3, TODAY, progress=False)
    raw = demo.demo_config(f"sqlite:///{shop}", tmp_path, None, "http://testserver.local")
    raw["stores"] = [s for s in raw["stores"] if s["type"] in ("sql", "manual")]
    raw["stores"].insert(1, billing_store(tmp_path / "billing.db", shop_customers(shop)))
    (tmp_path / "dsr.yaml").write_text(yaml.safe_dump(raw, allow_unicode=True))
    app_settings = settings.model_copy(update={"config": tmp_path / "dsr.yaml"})
    config = DsrConfig.model_validate(raw)
    async with AsyncTestClient(
        app=create_app(app_settings), base_url="http://testserver.local"
    ) as client:
        connectors = build_connectors(config, b"k", "http://testserver.local")
        vault = Vault.from_secrets(settings.encryption_keys, settings.hmac_key)
        runner = Runner(Database.from_settings(settings), config, connectors, vault)
        yield client, runner, settings, tmp_path
        for connector in connectors.values():
            await connector.close()
        await runner.db.dispose()


async def _verify(settings: Settings, reference: str) -> None:
    """The person confirmed their e-mail address (the code step is tested elsewhere)."""
    database = Database.from_settings(settings)
    try:
        async with database.session_scope() as session:
            request = (
                await session.exec(select(Request).where(Request.reference == reference))
            ).one()
            await engine.apply(session, request, "verify", SUBJECT, level="email")
    finally:
        await database.dispose()


async def _dpo_session(client: Any, settings: Settings) -> None:
    """Signed in on the desk as a second DPO (``dana`` holds the API token)."""
    password, secret = await _staff(settings, "dora", Role.DPO)
    signed_in = await _sign_in(client, "dora", password, pyotp.TOTP(secret).now())
    assert signed_in.status_code == 303


async def _rows(settings: Settings, model: Any, *where: Any) -> list[Any]:
    database = Database.from_settings(settings)
    try:
        async with database.session_scope() as session:
            return list((await session.exec(select(model).where(*where))).all())
    finally:
        await database.dispose()


NEW_ADDRESS = {"street": "Rüttenscheider Straße 200", "postcode": "45131", "city": "Essen"}


async def test_a_free_form_or_invalid_address_is_refused_and_nothing_is_stored(
    client: Any, settings: Settings
) -> None:
    cases = [
        (
            {"field": "postal_address", "value": "Rüttenscheider Straße 200, 45131 Essen"},
            "changes.0.field",
            "address_structured",
            "in ihren Teilen",
        ),
        (
            {"field": "postal_address", "address": {**NEW_ADDRESS, "postcode": "4513"}},
            "changes.0.postal_address.postcode",
            "invalid_postcode",
            "fünf Ziffern",
        ),
        (
            {"field": "postal_address", "address": {**NEW_ADDRESS, "country": "Deutschland"}},
            "changes.0.postal_address.country",
            "invalid_country",
            "zwei Buchstaben",
        ),
        (
            {"field": "postal_address.street", "value": "Rüttenscheider Straße 200, 45131 Essen"},
            "changes.0.postal_address.street",
            "address_structured",
            "in ihren Teilen",
        ),
    ]
    for number, (change, field, code, german) in enumerate(cases):
        person = {"name": "Erika", "email": f"erika.{number}@example.org"}
        response = await client.post(
            "/api/v1/requests",
            json=web_request(kind="rectification", subject=person, changes=[change]),
        )
        assert response.status_code == 400, response.text
        errors = {e["field"]: e for e in response.json()["errors"]}
        assert errors[field]["code"] == code, errors
        assert german in errors[field]["message"]
    english = await client.post(
        "/api/v1/requests",
        json=web_request(kind="rectification", changes=[cases[0][0]]),
        headers={"accept-language": "en"},
    )
    assert "street and house number, postcode, city and country" in english.text
    assert not await _rows(settings, Request)


async def test_the_web_form_refuses_a_bad_postcode_in_german(web_client: Any, db: Any) -> None:
    response = await submit(
        web_client,
        kind="rectification",
        address_street="Rüttenscheider Straße 200",
        address_postcode="ABC",
        address_city="Essen",
    )
    assert response.status_code == 400
    assert "Bitte geben Sie eine gültige Postleitzahl an" in response.text
    assert 'id="address_postcode"' in response.text and 'value="Rüttenscheider' in response.text
    async with db.session_scope() as session:
        assert (await session.exec(select(func.count()).select_from(Request))).one() == 0


async def test_several_changes_shown_old_to_new_then_written_part_by_part(world: Any) -> None:
    client, runner, settings, tmp_path = world
    email, street, postcode, city = shop_customers(tmp_path / "shop.db")[0]
    body = web_request(
        kind="rectification",
        subject={"name": "Kunde", "email": email},
        details="Bitte auch die Rechnungsadresse ändern.",
        changes=[
            {"field": "postal_address", "address": NEW_ADDRESS, "current": "alte Anschrift"},
            {"field": "name", "value": "Erika Neu-Muster"},
        ],
    )
    created = await client.post("/api/v1/requests", json=body)
    assert created.status_code == 201, created.text
    reference = created.json()["reference"]
    await _verify(settings, reference)
    await runner.drain()
    dpo = await staff_token(settings, "dana", Role.DPO)
    plain = (await client.get(f"/api/v1/requests/{reference}", headers=dpo)).json()
    assert plain["asked"] is None  # polling the detail reads no store and audits no view
    detail = (
        await client.get(f"/api/v1/requests/{reference}?include=asked", headers=dpo)
    ).json()
    assert detail["status"] == "verified"
    asked = detail["asked"]
    assert asked["details"] == "Bitte auch die Rechnungsadresse ändern."
    assert [c["field"] for c in asked["changes"]] == [
        "postal_address.street",
        "postal_address.postcode",
        "postal_address.city",
        "name",
    ]
    diff = {
        (c["field"], col["store"], col["table"], col["column"]): (col["old"], col["new"])
        for c in asked["changes"]
        for col in c["columns"]
    }
    assert diff[("postal_address.street", "shop", "customers", "street")] == (
        [street],
        "Rüttenscheider Straße 200",
    )
    assert diff[("postal_address.postcode", "shop", "customers", "zip")] == ([postcode], "45131")
    assert diff[("postal_address.street", "billing", "addresses", "street")] == (
        [street],
        "Rüttenscheider Straße 200",
    )
    assert diff[("postal_address.city", "billing", "addresses", "city")] == ([city], "Essen")
    name_in_billing = next(
        col
        for c in asked["changes"]
        if c["field"] == "name"
        for col in c["columns"]
        if col["store"] == "billing"
    )
    assert name_in_billing["note"] == "not_mapped"  # the billing store holds no name
    archive = next(col for col in asked["changes"][0]["columns"] if col["store"] == "archive")
    assert archive["note"] == "not_shown"

    # The DPO's page shows the same, and each view is an audit event without the data.

    await _dpo_session(client, settings)
    page = (await client.get(f"/dpo/requests/{reference}")).text
    assert "Bitte auch die Rechnungsadresse ändern." in page
    assert "customers.street" in page and "addresses.street" in page
    assert street in page and "Rüttenscheider Straße 200" in page
    views = await _rows(settings, Event, Event.action == "request.asked_viewed")
    assert len(views) == 2
    for view in views:
        text = json.dumps(view.payload, ensure_ascii=False)
        for secret in (email, street, "Rüttenscheider", "Rechnungsadresse", "Erika"):
            assert secret not in text
        assert view.payload["changes"] == 4 and view.payload["free_text"] is True

    approved = await client.post(
        f"/api/v1/requests/{reference}/actions/approve", json={}, headers=dpo
    )
    assert approved.status_code == 200, approved.text
    await runner.drain()
    archive_task = (await _rows(settings, Task, Task.store == "archive"))[0]
    resolved = await client.post(
        f"/api/v1/requests/{reference}/actions/resolve_task",
        json={"task": str(archive_task.id), "note": "Akte berichtigt"},
        headers=dpo,
    )
    assert resolved.status_code == 200, resolved.text
    assert resolved.json()["status"] == "awaiting_review"
    released = await client.post(
        f"/api/v1/requests/{reference}/actions/release", json={}, headers=dpo
    )
    assert released.json()["status"] == "completed", released.text

    with sqlite3.connect(tmp_path / "shop.db") as connection:
        row = connection.execute(
            "SELECT name, street, zip, city, country FROM customers WHERE email = ?", (email,)
        ).fetchone()
    assert row == ("Erika Neu-Muster", "Rüttenscheider Straße 200", "45131", "Essen", "DE")
    with sqlite3.connect(tmp_path / "billing.db") as connection:
        billing = connection.execute(
            "SELECT street, postcode, city FROM addresses WHERE email = ?", (email,)
        ).fetchone()
        untouched = connection.execute(
            "SELECT count(*) FROM addresses WHERE street = 'Rüttenscheider Straße 200'"
        ).fetchone()
    assert billing == ("Rüttenscheider Straße 200", "45131", "Essen")
    assert untouched == (1,)  # the other customers' rows keep their addresses

    done = (await client.get(f"/dpo/requests/{reference}")).text
    assert "customers: city, name, street, zip" in done  # what each store wrote, per column
    assert "addresses: city, postcode, street" in done
    shop_task = (await _rows(settings, Task, Task.store == "shop", Task.action == "rectify"))[0]
    assert shop_task.result_summary["columns"] == {"customers": ["city", "name", "street", "zip"]}
    letter = (await _rows(settings, Letter, Letter.kind == "rectification"))[0]
    content = (await client.get(f"/api/v1/letters/{letter.id}", headers=dpo)).content
    text = "\n".join(p.text for p in docx.Document(io.BytesIO(content)).paragraphs)
    assert "Straße und Hausnummer: jetzt „Rüttenscheider Straße 200“" in text
    assert "Postleitzahl: jetzt „45131“" in text
    assert "Land" not in text.split("getan:")[1].split("Über die")[0]  # not asked, not claimed


async def test_an_auto_approved_access_can_be_refused_until_released(world: Any) -> None:
    client, runner, settings, tmp_path = world
    email = shop_customers(tmp_path / "shop.db")[1][0]
    first = await client.post(
        "/api/v1/requests",
        json=web_request(subject={"name": "Kunde", "email": email, "phone": "+49 201 555123"}),
    )
    reference = first.json()["reference"]
    await _verify(settings, reference)
    await runner.drain()  # auto-approved; the paper archive keeps it in processing
    dpo = await staff_token(settings, "dana", Role.DPO)
    assert (await client.get(f"/api/v1/requests/{reference}", headers=dpo)).json()[
        "status"
    ] == "processing"

    # The same person again, by phone number only: the page lists the earlier request.
    again = await client.post(
        "/api/v1/requests",
        json=web_request(subject={"name": "K", "email": "x@example.net", "phone": "0201555123"}),
    )

    await _dpo_session(client, settings)
    page = (await client.get(f"/dpo/requests/{again.json()['reference']}")).text
    earlier = page.split("Frühere Anträge dieser Person")[1].split("</section>")[0]
    assert f'href="/dpo/requests/{reference}"' in earlier

    page = (await client.get(f"/dpo/requests/{reference}")).text
    assert f'action="/dpo/requests/{reference}/actions/reject"' in page
    refused = await client.post(
        f"/dpo/requests/{reference}/actions/reject",
        data={
            "_csrf_token": csrf_of(page),
            "ground": "excessive",
            "reason": "Dritter gleichlautender Antrag in diesem Monat.",
            "confirmed": "1",  # past the step that says what will happen
        },
        follow_redirects=False,
    )
    assert refused.status_code == 303 and "n=reject" in refused.headers["location"]
    detail = (await client.get(f"/api/v1/requests/{reference}", headers=dpo)).json()
    assert detail["status"] == "rejected" and detail["refusal_ground"] == "excessive"
    assert any(letter["kind"] == "refusal" for letter in detail["letters"])


async def test_an_erasure_under_way_cannot_be_refused(world: Any) -> None:
    client, runner, settings, tmp_path = world
    email = shop_customers(tmp_path / "shop.db")[2][0]
    created = await client.post(
        "/api/v1/requests",
        json=web_request(kind="erasure", subject={"name": "Kunde", "email": email}),
    )
    reference = created.json()["reference"]
    await _verify(settings, reference)
    await runner.drain()
    dpo = await staff_token(settings, "dana", Role.DPO)
    await client.post(f"/api/v1/requests/{reference}/actions/approve", json={}, headers=dpo)
    await runner.drain()  # the shop is erased; the archive task waits
    refused = await client.post(
        f"/api/v1/requests/{reference}/actions/reject",
        json={"ground": "excessive", "reason": "zu spät"},
        headers=dpo,
    )
    assert refused.status_code == 409
    detail = (await client.get(f"/api/v1/requests/{reference}", headers=dpo)).json()
    assert detail["status"] == "processing"


async def test_an_agent_records_a_new_address_in_its_parts(console: Any) -> None:
    """On the phone too the address is asked for in its parts, and a change of it is
    confirmed through the e-mail address on file (an account-takeover route)."""
    client, settings = console
    password, secret = await _staff(settings, "anna", Role.AGENT)
    assert (await _sign_in(client, "anna", password, pyotp.TOTP(secret).now())).status_code == 303
    shop = Path(str(settings.var_dir).replace("/var", "")) / "shop.db"
    with sqlite3.connect(shop) as connection:
        pin, issued = connection.execute(
            "SELECT phone_pin, (SELECT max(issued_on) FROM invoices WHERE customer_id = 1) "
            "FROM customers WHERE id = 1"
        ).fetchone()
    form = {
        "kind": "rectification",
        "change_field": "name",
        "change_value": "",
        "address_street": "Rüttenscheider Straße 200, 45131 Essen",
        "name": "Sören Noack-Täsche",
        "answer_channel": "email",
        "customer_number": "K100001",
        "phone_pin": pin,
        "last_invoice_date": issued,
    }
    page = await client.get("/console/new")
    refused = await client.post("/console/new", data={"_csrf_token": csrf_of(page.text), **form})
    assert refused.status_code == 400 and "in ihren Teilen" in refused.text
    assert not await _rows(settings, Request)

    form |= {"address_street": NEW_ADDRESS["street"], "address_postcode": "45131"}
    page = await client.get("/console/new")
    result = await client.post("/console/new", data={"_csrf_token": csrf_of(page.text), **form})
    assert "über die hinterlegte E-Mail-Adresse bestätigt" in result.text
    (request,) = await _rows(settings, Request)
    assert request.status == "awaiting_verification"
    vault = Vault.from_secrets(settings.encryption_keys, settings.hmac_key)
    changes = vault.cipher.decrypt_json("request.changes", request.changes_enc)
    assert [(c["field"], c["value"]) for c in changes] == [
        ("postal_address.street", "Rüttenscheider Straße 200"),
        ("postal_address.postcode", "45131"),
    ]
