"""The DPO records a letter that arrived ten days ago with its scan, sees the deadline
counted from that day, records "ID document seen", approves the erasure; and finds a
withdrawn request by the person's e-mail address — in Debian's chromium."""

from __future__ import annotations

import json
import re
import urllib.request
from datetime import UTC, datetime, timedelta
from typing import Any

from dsr.domain.deadlines import receipt_date, response_deadline
from dsr.domain.vocabulary import Language
from dsr.models.base import utcnow
from dsr.rendering import long_date
from tests.browser.conftest import first_sign_in, screenshot
from tests.browser.test_languages_and_site import AXE, _serious

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _problems(page: Any) -> list[str]:
    """axe-core's serious and critical findings (where it is installed: the whole walk
    must not depend on it; tests/browser/test_languages_and_site.py requires it)."""
    return _serious(page, AXE.read_text(encoding="utf-8")) if AXE.is_file() else []


def _api(server: str, path: str, body: dict[str, Any], token: str) -> Any:
    request = urllib.request.Request(
        f"{server}{path}",
        data=json.dumps(body).encode(),
        headers={"content-type": "application/json", "authorization": f"Bearer {token}"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def test_a_postal_request_recorded_verified_and_approved_at_the_desk(
    browser: Any, demo_server_on: tuple[str, str]
) -> None:
    server, loaded = demo_server_on
    dana = re.search(
        r"dana\s+\(dpo\s*\) password (\S+)\s+TOTP secret (\S+)\s+API token (\S+)", loaded
    )
    customer = re.search(r": (\S+@example\.org)\n\s+customer number K100001,", loaded)
    assert dana and customer, loaded
    gone = _api(
        server,
        "/api/v1/requests",
        {
            "kind": "access",
            "channel": "email",
            "received_at": (datetime.now(UTC) - timedelta(days=2)).isoformat(),
            "subject": {"name": "Ehemalige", "email": "ehemalige.kundin@example.net"},
        },
        dana.group(3),
    )["reference"]
    _api(server, f"/api/v1/requests/{gone}/actions/withdraw", {}, dana.group(3))

    # bypass_csp lets the test inject axe-core; the pages themselves are unchanged.
    page = browser.new_page(
        locale="de-DE", viewport={"width": 1366, "height": 900}, bypass_csp=True
    )
    first_sign_in(page, server, "dana", dana.group(1), dana.group(2))
    page.wait_for_url(re.compile(r".*/dpo/?$"))

    # the letter arrived ten days ago: the deadline counts from then, not from today
    today = receipt_date(utcnow(), "Europe/Berlin")
    arrived = today - timedelta(days=10)
    page.get_by_role("link", name="Brief oder E-Mail erfassen").first.click()
    page.get_by_label("Art des Antrags").select_option("erasure")
    page.get_by_label("Brief", exact=True).check()
    page.get_by_label("Eingegangen am (Tag des Eingangs; die Frist läuft ab diesem Tag)").fill(
        arrived.isoformat()
    )
    page.get_by_label("Name", exact=True).fill("Karla Kundin")
    page.get_by_label("E-Mail-Adresse", exact=True).fill(customer.group(1))
    page.get_by_label("Kundennummer").fill("K100001")
    page.get_by_label("Postanschrift").fill("Hauptstraße 1\n45127 Essen")
    page.locator("#attachment").set_input_files(
        {"name": "brief.pdf", "mimeType": "application/pdf", "buffer": PDF}
    )
    assert _problems(page) == []
    screenshot(page, "desk-1-intake")
    page.get_by_role("button", name="Antrag erfassen").click()
    page.wait_for_url(re.compile(r".*/dpo/requests/DSR-\d{4}-\d{6}\?d=recorded"))
    reference = re.search(r"DSR-\d{4}-\d{6}", page.url)
    assert reference
    main = page.inner_text("main")
    assert "Antrag erfasst." in main
    assert long_date(arrived, Language.DE) in main
    due = response_deadline(arrived, "DE-NW")
    assert due != response_deadline(today, "DE-NW")
    assert long_date(due, Language.DE) in main
    assert "Anhang hinzugefügt – PDF" in main
    assert _problems(page) == []
    with page.expect_download() as download:
        page.get_by_role("link", name=f"{reference.group(0)}-1.pdf").click()
    assert download.value.suggested_filename == f"{reference.group(0)}-1.pdf"

    page.get_by_label("Ausweis vorgelegt am").fill((today - timedelta(days=1)).isoformat())
    page.get_by_label("Vorgelegt bei").select_option("dana")
    page.get_by_role("button", name="Erfassen: Ausweis vorgelegt").click()
    main = page.inner_text("main")
    assert "Identität bestätigt." in main
    seen = long_date(today - timedelta(days=1), Language.DE)
    assert f"Ausweis vorgelegt am {seen} bei dana" in main
    assert "Identität am Schreibtisch prüfen" not in main  # verified: nothing more to do
    screenshot(page, "desk-2-verified")

    for _ in range(50):  # the in-process worker looks the person up first
        if "nachschlagen" in page.inner_text("main") and "erledigt" in page.inner_text("main"):
            break
        page.wait_for_timeout(300)
        page.reload()
    page.get_by_role("button", name="Bearbeitung freigeben").click()
    page.get_by_role("button", name="Ja, freigeben").click()  # the step that says what happens
    assert "Antrag freigegeben" in page.inner_text("main")
    screenshot(page, "desk-3-approved")

    # search by e-mail finds the withdrawn request, which the open list does not show
    page.get_by_role("link", name="Schreibtisch").click()
    assert gone not in page.inner_text("main")
    page.get_by_label("Person (E-Mail, Telefon oder Kundennummer)").fill(
        "Ehemalige.Kundin@example.net"
    )
    page.get_by_role("button", name="Filtern").click()
    rows = page.locator("table.list tbody tr")
    assert rows.count() == 1
    assert gone in rows.first.inner_text() and "Zurückgezogen" in rows.first.inner_text()
    assert "ehemalige" not in page.url.lower()
    screenshot(page, "desk-4-search")
