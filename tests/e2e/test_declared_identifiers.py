"""Identifier types declared in ``dsr.yaml`` (a loyalty card) are taken by the API and, when
asked for, by the web form: normalised, stored encrypted, and refused when undeclared."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import yaml
from litestar.testing import AsyncTestClient
from sqlmodel import select

from dsr.app import create_app
from dsr.db import Database
from dsr.models import Request, Subject
from dsr.security.vault import Vault
from dsr.settings import Settings
from tests.e2e.web import Client, submit

CONFIG = {
    "identifiers": [
        {"name": "loyalty_id", "label": {"de": "Kundenkarte", "en": "Loyalty card"}, "form": True},
        {"name": "contract_no", "label": "Vertragsnummer", "normalize": "digits"},
    ]
}


@pytest.fixture
async def declared(web_settings: Settings, tmp_path: Path) -> AsyncIterator[Client]:
    (tmp_path / "dsr.yaml").write_text(yaml.safe_dump(CONFIG, allow_unicode=True))
    settings = web_settings.model_copy(update={"config": tmp_path / "dsr.yaml"})
    async with AsyncTestClient(
        app=create_app(settings), base_url="http://testserver.local"
    ) as client:
        yield client


async def _claimed(db: Database, settings: Settings) -> list[dict[str, str]]:
    vault = Vault.from_secrets(settings.encryption_keys, settings.hmac_key)
    async with db.session_scope() as session:
        subjects = (await session.exec(select(Subject))).all()
        assert all("L-77" not in (s.identifiers_enc or "") for s in subjects)  # encrypted
        return [vault.open_subject(s).claimed() for s in subjects]


async def test_the_api_takes_declared_identifiers_and_refuses_others(
    declared: Client, db: Database, web_settings: Settings
) -> None:
    body = {
        "kind": "access",
        "subject": {
            "name": "Erika Mustermann",
            "email": "erika@example.org",
            "identifiers": {"loyalty_id": " l-77 ", "contract_no": "12-34 56"},
        },
    }
    created = await declared.post("/api/v1/requests", json=body)
    assert created.status_code == 201, created.text
    assert await _claimed(db, web_settings) == [{"loyalty_id": "L-77", "contract_no": "123456"}]

    for n, (identifiers, field) in enumerate(
        [
            ({"ssn": "123"}, "subject.identifiers.ssn"),
            ({"loyalty_id": "x" * 65}, "subject.identifiers.loyalty_id"),
            ({"loyalty_id": "L-1\x00"}, "subject.identifiers.loyalty_id"),
        ]
    ):
        subject = {**body["subject"], "email": f"erika{n}@example.org", "identifiers": identifiers}
        refused = await declared.post("/api/v1/requests", json={**body, "subject": subject})
        assert refused.status_code == 400, refused.text
        assert field in refused.text
    async with db.session_scope() as session:
        assert len((await session.exec(select(Request))).all()) == 1  # nothing else stored


async def test_the_form_asks_for_a_declared_identifier_only_when_configured(
    declared: Client, web_client: Client, db: Database, web_settings: Settings
) -> None:
    page = await declared.get("/request")
    assert 'name="identifier_loyalty_id"' in page.text and "Kundenkarte" in page.text
    assert "identifier_contract_no" not in page.text  # not asked for on the form
    plain = await web_client.get("/request")
    assert "identifier_" not in plain.text  # no identifiers declared: no field

    too_long = await submit(declared, identifier_loyalty_id="L" * 65)
    assert too_long.status_code == 400
    assert 'href="#identifier_loyalty_id"' in too_long.text and "Kundenkarte" in too_long.text
    sent = await submit(declared, identifier_loyalty_id="l-77")
    assert sent.status_code == 303, sent.text  # to the status page
    assert await _claimed(db, web_settings) == [{"loyalty_id": "L-77"}]


async def test_the_agent_records_a_declared_identifier_the_caller_gives(
    settings: Settings, tmp_path: Path, db: Database
) -> None:
    from dsr import demo
    from tests.e2e.test_console import _agent_session, _intake
    from tests.stores import TODAY

    shop = f"sqlite:///{tmp_path / 'shop.db'}"
    await demo.load_shop(shop, 3, TODAY, progress=False)
    raw = demo.demo_config(shop, tmp_path, None, "http://testserver.local")
    raw["stores"] = [s for s in raw["stores"] if s["type"] == "sql"]
    (tmp_path / "dsr.yaml").write_text(yaml.safe_dump({**raw, **CONFIG}, allow_unicode=True))
    app_settings = settings.model_copy(update={"config": tmp_path / "dsr.yaml"})
    async with AsyncTestClient(
        app=create_app(app_settings), base_url="http://testserver.local"
    ) as client:
        await _agent_session(client, settings, "anna")
        page = await client.get("/console/new")
        assert 'name="identifier_contract_no"' in page.text  # every declared type, for agents
        refused = await _intake(client, customer_number="K100001", identifier_loyalty_id="L" * 80)
        assert refused.status_code == 400 and 'href="#identifier_loyalty_id"' in refused.text
        recorded = await _intake(
            client, customer_number="K100001", identifier_contract_no="Nr. 55-01"
        )
        assert recorded.status_code == 200, recorded.text
    assert await _claimed(db, settings) == [{"contract_no": "5501"}]
