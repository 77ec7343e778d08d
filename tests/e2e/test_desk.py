"""The DPO's desk over HTTP: a letter recorded with a back-dated receipt and its scan,
verified from the desk (over the API, by an integrating system), approved and completed;
search by person, assignment, encrypted notes and audited attachments."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pyotp
import pytest
from sqlmodel import select

from dsr.config import load_config
from dsr.connectors.registry import build_connectors
from dsr.db import Database
from dsr.domain.deadlines import receipt_date, response_deadline
from dsr.domain.vocabulary import Language, Role
from dsr.models import Artifact, Event, Note, Request
from dsr.models.base import utcnow
from dsr.rendering import long_date
from dsr.security.vault import Vault
from dsr.services.casework import ATTACHMENT_MAX
from dsr.workflows.runner import Runner
from tests.e2e.web import csrf_of
from tests.helpers import staff_token, web_request
from tests.staff import _sign_in, _staff

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
TZ = "Europe/Berlin"
EML = (
    b"From: Frau X <x@example.org>\r\nTo: datenschutz@example.com\r\n"
    b"Subject: Auskunft\r\n\r\nBitte um Auskunft nach Art. 15.\r\n"
)


def _today() -> date:
    return receipt_date(utcnow(), TZ)


async def _record_letter(
    client: Any, token: dict[str, str], days_ago: int, kind: str = "erasure", **subject: str
) -> dict[str, Any]:
    arrived = datetime.now(UTC) - timedelta(days=days_ago)
    response = await client.post(
        "/api/v1/requests",
        headers=token,
        json=web_request(
            kind=kind,
            channel="letter",
            received_at=arrived.isoformat(),
            subject={"name": "Briefschreiberin", **subject},
        ),
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def _rows(settings: Any, model: Any, *where: Any) -> list[Any]:
    database = Database.from_settings(settings)
    try:
        async with database.session_scope() as session:
            return list((await session.exec(select(model).where(*where))).all())
    finally:
        await database.dispose()


async def _drain(settings: Any) -> None:
    config = load_config(settings.config, required=True)
    connectors = build_connectors(config, b"k", "http://testserver.local")
    vault = Vault.from_secrets(settings.encryption_keys, settings.hmac_key)
    runner = Runner(Database.from_settings(settings), config, connectors, vault)
    try:
        await runner.drain()
    finally:
        for connector in connectors.values():
            await connector.close()
        await runner.db.dispose()


async def _dpo_session(client: Any, settings: Any) -> None:
    password, secret = await _staff(settings, "dana", Role.DPO)
    assert (await _sign_in(client, "dana", password, pyotp.TOTP(secret).now())).status_code == 303


async def _post(client: Any, page: str, action: str, **fields: Any) -> Any:
    csrf = csrf_of((await client.get(page)).text)
    return await client.post(action, data={"_csrf_token": csrf, **fields}, follow_redirects=False)


async def test_an_integrating_system_drives_a_letter_from_receipt_to_completion(
    console: Any,
) -> None:
    client, settings = console
    app_settings = client.app.state.settings
    agent = await staff_token(settings, "anna", Role.AGENT)
    dpo = await staff_token(settings, "dana", Role.DPO)
    admin = await staff_token(settings, "adam", Role.ADMIN)
    created = await _record_letter(client, agent, 6, customer_number="K100001")
    reference = created["reference"]
    arrived = _today() - timedelta(days=6)
    assert created["status"] == "received"
    assert date.fromisoformat(created["received_on"]) in (arrived, arrived + timedelta(days=1))
    assert (
        created["due_on"]
        == response_deadline(date.fromisoformat(created["received_on"]), "DE-NW").isoformat()
    )

    # without a verification, approval is refused
    early = await client.post(f"/api/v1/requests/{reference}/actions/approve", headers=dpo, json={})
    assert early.status_code == 409

    url = f"/api/v1/requests/{reference}/verification"
    seen = {"method": "document", "seen_on": (_today() - timedelta(days=1)).isoformat()}
    for token, status in ((agent, 403), (admin, 403), ({}, 401)):
        refused = await client.post(url, headers=token, json=seen)
        assert refused.status_code == status, refused.text
    for body in (
        {"method": "passport_scan"},
        {"method": "document"},  # when was it seen?
        {"method": "document", "seen_on": (_today() + timedelta(days=1)).isoformat()},
        {"method": "document", "seen_on": seen["seen_on"], "seen_by": "nobody"},
        {"method": "kba", "facts": {"mother_maiden_name": "x"}},
    ):
        bad = await client.post(url, headers=dpo, json=body)
        assert bad.status_code == 400, (body, bad.text)
    assert (await client.get(f"/api/v1/requests/{reference}", headers=dpo)).json()[
        "status"
    ] == "received"

    verified = await client.post(url, headers=dpo, json={**seen, "seen_by": "anna"})
    assert verified.status_code == 200, verified.text
    assert verified.json() == {
        "result": "verified",
        "level": "document",
        "matched": {},
        "status": "verified",
        "verification_level": "document",
    }
    again = await client.post(url, headers=dpo, json=seen)
    assert again.status_code == 409

    await _drain(app_settings)
    approved = await client.post(
        f"/api/v1/requests/{reference}/actions/approve", headers=dpo, json={}
    )
    assert approved.status_code == 200, approved.text
    await _drain(app_settings)
    detail = (await client.get(f"/api/v1/requests/{reference}", headers=dpo)).json()
    assert detail["status"] == "awaiting_review", detail
    assert any(t["action"] == "erase" and t["status"] == "done" for t in detail["tasks"])
    released = await client.post(
        f"/api/v1/requests/{reference}/actions/release", headers=dpo, json={}
    )
    assert released.status_code == 200, released.text
    detail = released.json()
    # An ID document proves a name, not the customer number the letter gives: that number
    # is no key (else one's own ID and another's number would reach that customer's rows).
    assert (detail["status"], detail["outcome"]) == ("completed", "no_data")
    seen_events = [e for e in detail["timeline"] if e["action"] == "verification.document_seen"]
    assert len(seen_events) == 1
    assert seen_events[0]["payload"]["seen_on"] == seen["seen_on"]
    assert seen_events[0]["payload"]["seen_by"].startswith("staff:")
    assert seen_events[0]["actor"].startswith("staff:")


async def test_the_desk_records_a_postal_request_with_its_scan_and_refuses_bad_input(
    console: Any,
) -> None:
    client, settings = console
    await _dpo_session(client, settings)
    arrived = _today() - timedelta(days=12)
    fields = {
        "kind": "access",
        "channel": "letter",
        "received_on": arrived.isoformat(),
        "language": "de",
        "name": "Paula Post",
        "email": "paula.post@example.org",
        "postal_address": "Hauptstraße 1, 45127 Essen",
    }

    async def send(content: bytes, name: str, media_type: str, **changed: str) -> Any:
        csrf = csrf_of((await client.get("/dpo/intake")).text)
        return await client.post(
            "/dpo/intake",
            data={"_csrf_token": csrf, **fields, **changed},
            files={"attachment": (name, content, media_type)},
            follow_redirects=False,
        )

    tomorrow = (_today() + timedelta(days=1)).isoformat()
    for content, name, media_type, changed in (
        (PDF, "brief.pdf", "application/pdf", {"received_on": tomorrow}),
        (PDF, "brief.pdf", "application/pdf", {"received_on": "2020-01-01"}),
        (PDF, "brief.pdf", "application/pdf", {"channel": "phone"}),
        (b"MZ\x90\x00 not a scan", "brief.pdf", "application/pdf", {}),
        (PDF + b"0" * (ATTACHMENT_MAX - len(PDF) + 1), "big.pdf", "application/pdf", {}),
        # one part of an address alone would land beside the old postcode and city
        (
            PDF,
            "brief.pdf",
            "application/pdf",
            {
                "kind": "rectification",
                "change_field": "postal_address.street",
                "change_value": "Neue Straße 5",
            },
        ),
    ):
        refused = await send(content, name, media_type, **changed)
        assert refused.status_code == 400, (changed, name, refused.status_code)
        assert 'role="alert"' in refused.text
    assert await _rows(settings, Request) == []
    assert await _rows(settings, Artifact) == []

    recorded = await send(PDF, "Brief Paula Post.pdf", "application/pdf")
    assert recorded.status_code == 303, recorded.text
    reference = re.search(r"/dpo/requests/(DSR-\d{4}-\d{6})", recorded.headers["location"])
    assert reference
    page = (await client.get(recorded.headers["location"])).text
    assert "Antrag erfasst." in page
    stored = (await _rows(settings, Request))[0]
    assert receipt_date(stored.received_at, TZ) == arrived
    assert stored.due_on == response_deadline(arrived, "DE-NW")
    [scan] = await _rows(settings, Artifact, Artifact.kind == "attachment")
    assert scan.media_type == "application/pdf" and scan.filename is None
    assert b"%PDF" not in (scan.content_enc or b"")
    link = re.search(r'href="(/dpo/attachments/[0-9a-f-]+)"', page)
    assert link, page
    download = await client.get(link.group(1))
    assert download.status_code == 200 and download.content == PDF
    assert reference.group(1) in download.headers["content-disposition"]
    assert "Paula" not in download.headers["content-disposition"]
    viewed = await _rows(settings, Event, Event.action == "attachment.viewed")
    assert len(viewed) == 1 and viewed[0].actor.startswith("staff:")
    assert "Anhang geöffnet" in (await client.get(recorded.headers["location"])).text

    # verified at the desk: an ID document seen today, by the DPO
    done = await _post(
        client,
        recorded.headers["location"],
        f"/dpo/requests/{reference.group(1)}/verification",
        method="document",
        seen_on=_today().isoformat(),
        seen_by="dana",
    )
    assert done.status_code == 303 and "d=verified" in done.headers["location"]
    page = (await client.get(f"/dpo/requests/{reference.group(1)}")).text
    seen = long_date(_today(), Language.DE)
    assert re.search(rf"Ausweis vorgelegt am {seen} bei dana\s*<span[^>]*>— dana", page), page


async def test_notes_are_encrypted_search_finds_people_and_requests_are_assigned(
    console: Any,
) -> None:
    client, settings = console
    agent = await staff_token(settings, "anna", Role.AGENT)
    dpo = await staff_token(settings, "dana-api", Role.DPO)
    first = await _record_letter(
        client,
        agent,
        3,
        kind="access",
        email="closed.person@example.org",
        phone="+49 201 5550123",
        customer_number="K-777 001",
    )
    closed = first["reference"]
    other = await _record_letter(client, agent, 2, kind="access", email="other@example.org")
    withdrawn = await client.post(
        f"/api/v1/requests/{closed}/actions/withdraw", headers=dpo, json={}
    )
    assert withdrawn.json()["status"] == "withdrawn"
    await _dpo_session(client, settings)

    async def listed(**fields: str) -> list[str]:
        response = await _post(client, "/dpo", "/dpo", **fields)
        assert response.status_code == 200, response.text
        return re.findall(r'<a href="/dpo/requests/(DSR-\d{4}-\d{6})"', response.text)

    # an exact reference finds a closed request; so do its e-mail, phone and customer number
    assert (await client.get(f"/dpo?q={closed}")).text.count(f"/dpo/requests/{closed}") == 1
    assert await listed(person="Closed.Person@example.org") == [closed]
    assert await listed(person="0201 5550123") == [closed]
    assert await listed(person="k777001") == [closed]
    assert await listed(person="nobody@example.org") == []
    assert other["reference"] in await listed(status="all")
    assert closed not in await listed()  # open only, by default
    assert closed in await listed(status="all")
    yesterday = (_today() - timedelta(days=1)).isoformat()
    assert closed not in await listed(status="all", **{"from": yesterday})
    assert closed in await listed(status="all", to=yesterday)
    bad_date = await _post(client, "/dpo", "/dpo", **{"from": "31.12.2026"})
    assert bad_date.status_code == 400

    # assignment: "mine" lists what is given to me
    page = f"/dpo/requests/{other['reference']}"
    assert other["reference"] not in await listed(assigned="mine")
    given = await _post(client, page, f"{page}/assign", assignee="dana")
    assert given.status_code == 303 and "d=assigned" in given.headers["location"]
    assert await listed(assigned="mine") == [other["reference"]]
    assert other["reference"] not in await listed(assigned="none")
    wrong = await _post(client, page, f"{page}/assign", assignee="adam-unknown")
    assert "e=invalid_username" in wrong.headers["location"]

    # notes: in clear on the page, encrypted in the database and absent from the audit trail
    secret = "Qvxnote: Herr Nachbar rief an, Akte im Keller"
    noted = await _post(client, page, f"{page}/notes", note=secret)
    assert noted.status_code == 303
    shown = (await client.get(page)).text
    assert "Qvxnote: Herr Nachbar rief an, Akte im Keller" in shown
    assert re.search(r"Qvxnote.*?— dana", shown, re.S)
    [note] = await _rows(settings, Note)
    assert "Qvxnote" not in note.text_enc and "Nachbar" not in note.text_enc
    events = await _rows(settings, Event)
    assert not any("Qvxnote" in str(e.payload) for e in events)
    assert any(e.action == "notes.viewed" for e in events)
    empty = await _post(client, page, f"{page}/notes", note="   ")
    assert "e=required" in empty.headers["location"]

    # the person's e-mail, saved as it came (.eml); a program is no attachment
    csrf = csrf_of((await client.get(page)).text)
    for name, content, expected in (
        ("Mail von Frau X.eml", EML, "d=attached"),
        ("scan.pdf", b"MZ\x90\x00\x03 a program", "e=unsupported_media_type"),
    ):
        sent = await client.post(
            f"{page}/attachments",
            data={"_csrf_token": csrf},
            files={"attachment": (name, content, "application/octet-stream")},
            follow_redirects=False,
        )
        assert expected in sent.headers["location"], (name, sent.headers["location"])
    [mail] = await _rows(settings, Artifact, Artifact.kind == "attachment")
    assert mail.media_type == "message/rfc822"
    shown = (await client.get(page)).text
    assert f"{other['reference']}-1.eml" in shown and "Frau X" not in shown


async def test_a_phone_check_over_the_api_shows_its_result_and_who_made_it(
    console: Any,
) -> None:
    client, settings = console
    agent = await staff_token(settings, "anna", Role.AGENT)
    dpo = await staff_token(settings, "dpo-api", Role.DPO)
    reference = (await _record_letter(client, agent, 1, customer_number="K100001"))["reference"]
    facts = {"customer_number": "K100001", "phone_pin": "x-wrong", "last_invoice_amount": "0,01"}
    checked = await client.post(
        f"/api/v1/requests/{reference}/verification",
        headers=dpo,
        json={"method": "kba", "facts": facts},
    )
    assert checked.status_code == 200, checked.text
    assert checked.json()["result"] == "not_matched"
    assert checked.json()["status"] == "received"
    assert checked.json()["matched"] == {
        "customer_number": True,
        "phone_pin": False,
        "last_invoice_amount": False,
    }
    detail = (await client.get(f"/api/v1/requests/{reference}", headers=dpo)).json()
    kba = [e for e in detail["timeline"] if e["action"] == "verification.kba_checked"]
    assert "x-wrong" not in json.dumps(detail["timeline"]) and len(kba) == 1
    await _dpo_session(client, settings)
    page = (await client.get(f"/dpo/requests/{reference}")).text
    assert re.search(r"KBA: 1 von 3 Angaben stimmen\s*<span[^>]*>— dpo-api", page), page


async def test_an_answer_to_a_letter_without_e_mail_is_not_called_sent(console: Any) -> None:
    """A request by post has no address for the download link: the answer is not marked
    sent and no download is recorded as offered; the request waits for the DPO to post it."""
    client, settings = console
    app_settings = client.app.state.settings
    agent = await staff_token(settings, "anna", Role.AGENT)
    dpo = await staff_token(settings, "dana", Role.DPO)
    created = await _record_letter(client, agent, 2, kind="access")
    reference = created["reference"]
    seen = {"method": "document", "seen_on": _today().isoformat(), "seen_by": "anna"}
    verified = await client.post(
        f"/api/v1/requests/{reference}/verification", headers=dpo, json=seen
    )
    assert verified.status_code == 200, verified.text
    await _drain(app_settings)
    detail = (await client.get(f"/api/v1/requests/{reference}", headers=dpo)).json()
    if detail["status"] == "awaiting_review":
        released = await client.post(
            f"/api/v1/requests/{reference}/actions/release", headers=dpo, json={}
        )
        assert released.status_code == 200, released.text
        detail = released.json()
    assert detail["status"] == "completed", detail
    assert detail["letters"] and all(letter["sent_at"] is None for letter in detail["letters"])
    actions = [event["action"] for event in detail["timeline"]]
    assert "download.offered" not in actions and "letter.sent" not in actions
    assert detail["needs_attention"] is True, actions  # before the DPO: it goes by post


def test_search_dates_and_row_numbers_out_of_range_are_refused_not_a_crash() -> None:
    from dsr.domain.errors import InvalidInput
    from dsr.services.release import _row
    from dsr.services.search import _day

    for value in ("0001-01-01", "9999-12-31"):
        with pytest.raises(InvalidInput):
            _day(value, "from")
    assert _day("2026-11-30", "from") == date(2026, 11, 30)
    for row in ("²", "١", "-1", "1e3"):
        with pytest.raises(InvalidInput):
            _row(row)
    assert _row("12") == 12
