"""The DPO's desk over HTTP: due-date order with traffic lights, filters, the request page,
and the actions as forms."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pyotp
from sqlmodel import select

from dsr.domain.vocabulary import Role
from dsr.models import Outbox, Request
from tests.e2e.web import csrf_of
from tests.helpers import staff_token, web_request
from tests.staff import _db, _sign_in, _staff


async def _letter(
    client: Any,
    token: dict[str, str],
    days_ago: int,
    kind: str = "access",
    email: str = "erika@example.org",
) -> str:
    arrived = datetime.now(UTC) - timedelta(days=days_ago)
    response = await client.post(
        "/api/v1/requests",
        json=web_request(
            kind=kind,
            channel="letter",
            received_at=arrived.isoformat(),
            subject={"name": "Erika", "email": email},
        ),
        headers=token,
    )
    assert response.status_code == 201, response.text
    return str(response.json()["reference"])


async def _dpo_session(client: Any, settings: Any) -> None:
    password, secret = await _staff(settings, "dana", Role.DPO)
    assert (await _sign_in(client, "dana", password, pyotp.TOTP(secret).now())).status_code == 303


async def test_open_requests_by_due_date_with_traffic_lights(console: Any) -> None:
    client, settings = console
    agent = await staff_token(settings, "anna", Role.AGENT)
    fresh = await _letter(client, agent, 1)
    overdue = await _letter(client, agent, 40)
    amber = await _letter(client, agent, 28, kind="erasure")
    await _dpo_session(client, settings)
    page = (await client.get("/dpo")).text
    order = re.findall(r'<a href="/dpo/requests/(DSR-\d{4}-\d{6})"', page)
    assert order[:3] == [overdue, amber, fresh]
    assert re.search(
        rf'<tr class="light-overdue">\s*<td>.*?</td>\s*<td><a href="/dpo/requests/{overdue}"',
        page,
        re.S,
    )
    assert re.search(
        rf'<tr class="light-(soon|week)">\s*<td>.*?</td>\s*<td><a href="/dpo/requests/{amber}"',
        page,
        re.S,
    )
    assert re.search(
        rf'<tr class="light-ok">\s*<td>.*?</td>\s*<td><a href="/dpo/requests/{fresh}"', page, re.S
    )
    only_erasure = (await client.get("/dpo", params={"kind": "erasure"})).text
    assert amber in only_erasure and fresh not in only_erasure
    found = (await client.get("/dpo", params={"q": fresh.lower()})).text
    assert fresh in found and overdue not in found
    by_agent = (await client.get("/dpo", params={"agent": "anna"})).text
    assert fresh in by_agent


async def test_the_request_page_extends_and_refuses_with_reasons(console: Any) -> None:
    client, settings = console
    agent = await staff_token(settings, "anna", Role.AGENT)
    first = await _letter(client, agent, 20, email="repeat@example.org")
    second = await _letter(client, agent, 2, email="repeat@example.org")
    await _dpo_session(client, settings)
    page = await client.get(f"/dpo/requests/{first}")
    assert "Antrag eingegangen" in page.text and "Verlauf" in page.text
    extended = await client.post(
        f"/dpo/requests/{first}/actions/extend",
        data={"_csrf_token": csrf_of(page.text), "reason": "Zwölf Systeme, zwei Papierarchive."},
    )
    assert "Frist verlängert: Das Schreiben geht an die Person." in extended.text
    assert "(verlängert)" in extended.text
    assert "Frist verlängert" in extended.text

    page = await client.get(f"/dpo/requests/{second}")
    assert first in page.text  # the earlier request of the same person is shown beside "refuse"
    missing = await client.post(
        f"/dpo/requests/{second}/actions/reject",
        data={"_csrf_token": csrf_of(page.text), "ground": "excessive"},
    )
    assert "Pflichtangabe fehlt." in missing.text
    asked = {
        "_csrf_token": csrf_of(page.text),
        "ground": "excessive",
        "reason": "Gleicher Antrag wie vor 18 Tagen.",
    }
    step = await client.post(f"/dpo/requests/{second}/actions/reject", data=asked)
    assert f"Lehnt Antrag {second} ab" in step.text and "Ja, ablehnen" in step.text
    assert "Gleicher Antrag wie vor 18 Tagen." in step.text  # carried to the second step
    refused = await client.post(
        f"/dpo/requests/{second}/actions/reject", data={**asked, "confirmed": "1"}
    )
    assert "Antrag abgelehnt: Das Ablehnungsschreiben geht an die Person." in refused.text
    assert "Abgelehnt (Art. 12 Abs. 5 Satz 2 lit. b DSGVO)" in refused.text  # outcome, ground
    register = await client.get("/dpo/register.csv")
    (row,) = [line for line in register.text.splitlines() if line.startswith(second)]
    assert row.endswith(",rejected,refused,excessive")
    database = await _db(settings)
    try:
        async with database.session_scope() as session:
            subjects = sorted(m.subject for m in (await session.exec(select(Outbox))).all())
            rejected = (
                await session.exec(select(Request).where(Request.reference == second))
            ).one()
    finally:
        await database.dispose()
    assert rejected.status == "rejected"
    assert any("unsere Entscheidung" in s for s in subjects) and any(
        "mehr Zeit" in s for s in subjects
    )


async def test_statistics_and_the_register_without_personal_data(console: Any) -> None:
    client, settings = console
    agent = await staff_token(settings, "anna", Role.AGENT)
    late = await _letter(client, agent, 40, email="stats.person@example.org")
    await _letter(client, agent, 2, kind="erasure", email="stats.person@example.org")
    await _dpo_session(client, settings)
    page = await client.get("/dpo/stats")
    assert page.status_code == 200
    assert "<svg" in page.text and 'aria-label="Eingegangene Anträge je Monat"' in page.text
    flat = page.text.replace("\n", "").replace("  ", "")
    assert re.search(r'<span class="kpi">2</span> jetzt offen', flat)
    assert re.search(r'<span class="kpi">1</span> jetzt überfällig', flat)
    assert re.search(r'<span class="kpi">–</span> fristgerecht beantwortet', flat)  # none closed
    assert "table-scroll" not in page.text  # no scroll region that a keyboard cannot reach
    quarter = (await client.get("/dpo/stats", params={"months": "3"})).text
    assert quarter.count("<rect") == 3 and '<option value="3" selected>' in quarter
    assert (await client.get("/dpo/stats", params={"months": "7"})).text.count("<rect") == 12
    register = await client.get("/dpo/register.csv")
    assert register.headers["content-type"].startswith("text/csv")
    lines = register.text.strip().splitlines()
    assert (
        lines[0]
        == "reference,kind,channel,received_on,due_on,extended_due_on,closed_on,status,outcome,"
        "refusal_ground"
    )
    assert len(lines) == 3 and lines[1].startswith(f"{late},access,letter,")
    assert "stats.person" not in register.text and "Erika" not in register.text
