"""The DPO previews an access package, withholds a row and a column with Art. 15(4) reasons,
and releases: the person's download lacks exactly those, the letter says why, and the audit
trail records each step without personal data."""

from __future__ import annotations

import csv
import io
import json
import re
from typing import Any

import docx
import pyotp
import pytest
from sqlmodel import col, select

from dsr.db import Database
from dsr.domain.vocabulary import Role
from dsr.letters import office
from dsr.models import Event, Redaction, Request
from dsr.settings import Settings
from tests.e2e import test_fanout_api
from tests.e2e.test_fanout_api import _download_link_and_code, _last_mail_text, _verified, _zip
from tests.e2e.web import csrf_of
from tests.staff import _sign_in, _staff

world = test_fanout_api.world  # the demo shop, its worker and the app


@pytest.fixture(autouse=True)
def _no_pdf(monkeypatch: pytest.MonkeyPatch) -> None:
    """The letter stays DOCX: these tests are about its text, not about LibreOffice."""
    monkeypatch.setattr(office, "soffice", lambda: None)


EMAIL = "soeren.noacktaesche.1@example.org"
NOTE = "Bestellung für die Nachbarin Frau Beispiel"


async def _sign_in_dpo(client: Any, settings: Settings) -> None:
    password, secret = await _staff(settings, "dana", Role.DPO)
    assert (await _sign_in(client, "dana", password, pyotp.TOTP(secret).now())).status_code == 303


async def _events(settings: Settings, reference: str) -> list[Event]:
    database = Database.from_settings(settings)
    try:
        async with database.session_scope() as session:
            request = (
                await session.exec(select(Request).where(Request.reference == reference))
            ).one()
            return list(
                (
                    await session.exec(
                        select(Event).where(Event.request_id == request.id).order_by(col(Event.at))
                    )
                ).all()
            )
    finally:
        await database.dispose()


async def _withhold(client: Any, reference: str, **fields: str) -> Any:
    page = await client.get(f"/dpo/requests/{reference}/preview")
    return await client.post(
        f"/dpo/requests/{reference}/redactions",
        data={"_csrf_token": csrf_of(page.text), **fields},
    )


async def _person_download(client: Any, settings: Settings) -> dict[str, bytes]:
    token, code = _download_link_and_code(await _last_mail_text(settings))
    page = await client.get(token)
    got = await client.post(token, data={"_csrf_token": csrf_of(page.text), "code": code})
    assert got.status_code == 200, got.text
    return _zip(got.content)


def _letter_text(files: dict[str, bytes], reference: str) -> str:
    (name,) = [n for n in files if n.startswith(f"{reference}-Auskunft")]
    return "\n".join(p.text for p in docx.Document(io.BytesIO(files[name])).paragraphs)


async def test_a_redacted_release(world: Any) -> None:
    client, runner, settings = world
    reference = await _verified(settings, "access", EMAIL)
    await runner.drain()
    await _sign_in_dpo(client, settings)
    request_page = await client.get(f"/dpo/requests/{reference}")
    assert "Vorschau und Schwärzung vor der Freigabe" in request_page.text

    preview = await client.get(f"/dpo/requests/{reference}/preview")
    assert preview.status_code == 200
    assert (
        EMAIL in preview.text and "Bestellungen" in preview.text and "Kontaktdaten" in preview.text
    )
    assert "Auskunft nach Art. 15 DSGVO" in preview.text  # the letter's draft
    assert "Wir haben nichts geschwärzt und nichts zurückgehalten." in preview.text
    pin = re.search(r"<td>(\d{4})</td>", preview.text)  # the customer's phone PIN, shown
    section = preview.text.split("<h3>Bestellungen</h3>")[1].split("<h3>")[0]
    orders = re.findall(r"<tr><td>\d+</td><td>\d+</td><td>1</td><td>([\d-]+)</td>", section)
    assert pin and len(orders) >= 2

    page = await client.get(f"/dpo/requests/{reference}/preview")
    for bad, error in (
        ({"store": "shop", "table": "orders", "row": "2", "reason": "because"}, "invalid_value"),
        ({"store": "shop", "table": "orders", "row": "999", "reason": "third_party"}, "invalid"),
        ({"store": "shop", "table": "nope", "row": "1", "reason": "third_party"}, "invalid"),
        ({"store": "shop", "table": "orders", "column": "nope", "reason": "third_party"}, "inv"),
        ({"store": "shop", "table": "orders", "row": "1", "reason": "other"}, "required"),
        ({"store": "shop", "table": "orders", "reason": "third_party"}, "required"),
        ({"store": "shop", "table": "orders", "row": "x1", "reason": "third_party"}, "invalid"),
        (
            {"store": "shop", "table": "orders", "row": "1", "reason": "other", "note": "\x07"},
            "inv",
        ),
    ):
        answer = await client.post(
            f"/dpo/requests/{reference}/redactions",
            data={"_csrf_token": csrf_of(page.text), **bad},
            follow_redirects=False,
        )
        assert answer.status_code == 303 and f"e={error}" in answer.headers["location"], bad
    shown = await client.get(f"/dpo/requests/{reference}/preview?e=invalid_value")
    assert "Ungültiger Wert." in shown.text
    assert "Nichts zurückgehalten." in (await client.get(f"/dpo/requests/{reference}/preview")).text

    row = await _withhold(
        client, reference, store="shop", table="orders", row="2", reason="third_party", note=NOTE
    )
    assert "Zurückgehalten. Paket und Schreiben lassen es weg." in row.text
    column = await _withhold(
        client,
        reference,
        store="shop",
        table="customers",
        column="phone_pin",
        reason="trade_secret",
    )
    assert "Eintrag Nr. 2" in column.text and "Spalte „Telefon-PIN“" in column.text
    assert (
        "Kundendatenbank › Bestellungen: 1 Datensatz zurückgehalten, zum Schutz anderer "
        f"Personen, deren Daten darin stehen (Art. 15 Abs. 4 DSGVO). Unsere Begründung: {NOTE}"
    ) in column.text  # the letter's draft says it
    assert (
        "Kundendatenbank › Kundenkonto: die Spalte „Telefon-PIN“ zurückgehalten, zum Schutz "
        "unserer Geschäftsgeheimnisse (Art. 15 Abs. 4 DSGVO)."
    ) in column.text

    page = await client.get(f"/dpo/requests/{reference}/preview")
    released = await client.post(
        f"/dpo/requests/{reference}/actions/release",
        data={"_csrf_token": csrf_of(page.text), "confirmed": "1"},
    )
    assert "Abgeschlossen" in released.text
    files = await _person_download(client, settings)
    data = json.loads(files["data.json"])
    tables = data["stores"]["shop"]["tables"]
    assert [o["ordered_on"] for o in tables["orders"]] == [
        day for number, day in enumerate(orders, start=1) if number != 2
    ]
    assert all("phone_pin" not in c for c in tables["customers"])
    assert tables["customers"][0]["email"] == EMAIL
    orders_csv = list(
        csv.reader(io.StringIO(files["shop/orders.csv"].decode("utf-8-sig")), delimiter=";")
    )
    assert len(orders_csv) == len(orders)  # header + every order but the withheld one
    assert orders_csv[0][:4] == ["ID", "Kunden-ID", "Bestellt am", "Lieferanschrift"]
    customers_csv = files["shop/customers.csv"].decode("utf-8-sig")
    assert "Telefon-PIN" not in customers_csv and pin.group(1) not in customers_csv.split(";")
    index = files["index.html"].decode()
    assert "Telefon-PIN" not in index and EMAIL in index
    letter = " ".join(_letter_text(files, reference).split())
    assert "Bestellungen: 1 Datensatz zurückgehalten" in letter
    assert NOTE in letter and "Geschäftsgeheimnisse" in letter
    assert "nichts geschwärzt" not in letter

    events = await _events(settings, reference)
    actions = [e.action for e in events]
    assert actions.count("package.previewed") >= 3 and "package.redacted" in actions
    added = [e.payload for e in events if e.action == "redaction.added"]
    assert added == [
        {
            "store": "shop",
            "table": "orders",
            "row": 2,
            "column": None,
            "reason": "third_party",
            "note_given": True,
        },
        {
            "store": "shop",
            "table": "customers",
            "row": None,
            "column": "phone_pin",
            "reason": "trade_secret",
            "note_given": False,
        },
    ]
    trail = json.dumps([e.payload for e in events], ensure_ascii=False)
    assert NOTE not in trail and EMAIL not in trail and "Beispiel" not in trail
    database = Database.from_settings(settings)
    try:
        async with database.session_scope() as session:
            stored = (await session.exec(select(Redaction))).all()
    finally:
        await database.dispose()
    assert len(stored) == 2 and all(NOTE not in (r.note_enc or "") for r in stored)
    assert stored[0].note_enc or stored[1].note_enc  # the note is kept, encrypted

    page = await client.get(f"/dpo/requests/{reference}")
    assert "Vorschau und Schwärzung" not in page.text  # released: no preview offered
    late = await client.post(
        f"/dpo/requests/{reference}/redactions",
        data={
            "_csrf_token": csrf_of(page.text),
            "store": "shop",
            "table": "orders",
            "row": "1",
            "reason": "third_party",
        },
    )
    assert late.status_code == 409  # released: the preview is gone, nothing changes


async def test_a_redaction_can_be_taken_back_before_release(world: Any) -> None:
    client, runner, settings = world
    reference = await _verified(settings, "access", EMAIL)
    await runner.drain()
    await _sign_in_dpo(client, settings)
    await _withhold(
        client,
        reference,
        store="shop",
        table="customers",
        column="email",
        reason="other",
        note="Test",
    )
    page = await client.get(f"/dpo/requests/{reference}/preview")
    (redaction,) = re.findall(r"/redactions/([0-9a-f-]{36})/remove", page.text)
    restored = await client.post(
        f"/dpo/requests/{reference}/redactions/{redaction}/remove",
        data={"_csrf_token": csrf_of(page.text)},
    )
    assert "Zurückgenommen" in restored.text and "Nichts zurückgehalten." in restored.text
    page = await client.get(f"/dpo/requests/{reference}/preview")
    await client.post(
        f"/dpo/requests/{reference}/actions/release",
        data={"_csrf_token": csrf_of(page.text), "confirmed": "1"},
    )
    files = await _person_download(client, settings)
    assert (
        json.loads(files["data.json"])["stores"]["shop"]["tables"]["customers"][0]["email"] == EMAIL
    )
    assert "Wir haben nichts geschwärzt und nichts zurückgehalten." in " ".join(
        _letter_text(files, reference).split()
    )
    actions = [e.action for e in await _events(settings, reference)]
    assert "redaction.removed" in actions and "package.redacted" not in actions
