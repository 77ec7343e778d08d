"""Personal data is not in the database in clear: neither in the SQLite file nor in PostgreSQL."""

from __future__ import annotations

import asyncio
from pathlib import Path

from litestar.testing import AsyncTestClient
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlmodel import SQLModel

from dsr.db import Database
from dsr.domain.vocabulary import Role
from dsr.models import Subject
from dsr.security.vault import Vault
from dsr.settings import Settings
from tests.helpers import staff_token, web_request

NAME = "Zacharias Quellenmeyer"
EMAIL = "zacharias.quellenmeyer@example.org"
PHONE_DIGITS = "2011234567"
DETAILS = "Meine Kundennummer steht auf der Rechnung vom Mai"
REASON = "Herr Quellenmeyer hat vier Verträge und zwei Papierakten"


async def _create(client: AsyncTestClient, settings: Settings | None = None) -> None:  # type: ignore[type-arg]
    body = web_request(
        kind="rectification",
        subject={
            "name": NAME,
            "email": EMAIL,
            "phone": "0201 1234567",
            "customer_number": "K-4711",
        },
        details=DETAILS,
        changes=[
            {
                "field": "postal_address",
                "address": {"street": "Quellenweg 9", "postcode": "45127", "city": "Essen"},
            }
        ],
    )
    response = await client.post("/api/v1/requests", json=body)
    assert response.status_code == 201, response.text
    if settings is not None:  # the DPO's reasons for an extension are about the person too
        reference = response.json()["reference"]
        dpo = await staff_token(settings, "dana", Role.DPO)
        extended = await client.post(
            f"/api/v1/requests/{reference}/actions/extend",
            json={"reason": REASON},
            headers=dpo,
        )
        assert extended.status_code == 200, extended.text
        detail = await client.get(f"/api/v1/requests/{reference}", headers=dpo)
        assert detail.json()["extension_reason"] == REASON


def _clear_values() -> list[str]:
    return [
        NAME,
        "Quellenmeyer",
        EMAIL,
        "zacharias",
        PHONE_DIGITS,
        "K4711",
        "Quellenweg",
        "Rechnung vom Mai",
        "vier Verträge",
    ]


async def _dump_every_row(database_url: str) -> str:
    """Every row of every table as text, the way a `pg_dump` or `.dump` would show it."""
    database = Database.from_url(database_url)
    chunks: list[str] = []
    try:
        async with database.engine.connect() as connection:
            for table in SQLModel.metadata.sorted_tables:
                rows = await connection.execute(text(f'SELECT * FROM "{table.name}"'))
                chunks += [repr(tuple(row)) for row in rows]
    finally:
        await database.dispose()
    return "\n".join(chunks)


async def test_no_identifier_is_stored_in_clear(
    client: AsyncTestClient, settings: Settings
) -> None:  # type: ignore[type-arg]
    await _create(client, settings)
    dump = await _dump_every_row(settings.database_url)
    assert "v1." in dump  # the ciphertexts are there
    for value in _clear_values():
        assert value.lower() not in dump.lower(), value

    if make_url(settings.database_url).get_backend_name() == "sqlite":
        await asyncio.sleep(0)
        raw = b"".join(
            path.read_bytes()
            for path in Path(make_url(settings.database_url).database or "").parent.glob("dsr.db*")
        )
        for value in _clear_values():
            assert value.encode() not in raw, value


async def test_the_stored_subject_opens_with_the_keys_and_is_findable_by_blind_index(
    client: AsyncTestClient,
    settings: Settings,
    db: Database,  # type: ignore[type-arg]
) -> None:
    await _create(client)
    vault = Vault.from_secrets(settings.encryption_keys, settings.hmac_key)
    async with db.session_scope() as session:
        found = (
            await session.exec(
                Subject.__table__.select().where(  # type: ignore[attr-defined]
                    Subject.__table__.c.email_bidx == vault.index("email", EMAIL)  # type: ignore[attr-defined]
                )
            )
        ).all()
        assert len(found) == 1
        subject = await session.get_one(Subject, found[0].id)
        identity = vault.open_subject(subject)
    assert (identity.name, identity.email, identity.phone, identity.customer_number) == (
        NAME,
        EMAIL,
        "+492011234567",
        "K4711",
    )
