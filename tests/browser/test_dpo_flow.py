"""The DPO signs in with TOTP, sees an overdue request in red at the top, extends another with
a reason, and reviews and releases an access package — in Debian's chromium."""

from __future__ import annotations

import json
import re
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.browser.conftest import first_sign_in, screenshot


def _api(
    server: str, path: str, body: dict[str, Any] | None = None, token: str | None = None
) -> Any:
    headers = {
        "content-type": "application/json",
        **({"authorization": f"Bearer {token}"} if token else {}),
    }
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        f"{server}{path}", data=data, headers=headers, method="POST" if body is not None else "GET"
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def _letter(server: str, token: str, days_ago: int, email: str) -> str:
    arrived = (datetime.now(UTC) - timedelta(days=days_ago)).isoformat()
    body = {
        "kind": "access",
        "channel": "letter",
        "received_at": arrived,
        "subject": {"name": "Brief", "email": email},
    }
    return str(_api(server, "/api/v1/requests", body, token)["reference"])


def _code(server: str) -> str:
    for _ in range(50):
        with urllib.request.urlopen(f"{server}/dev/mail", timeout=10) as response:
            match = re.search(r"Bestätigungscode:\s*(\d{6})", response.read().decode())
        if match:
            return match.group(1)
        time.sleep(0.2)
    raise AssertionError("no code arrived")


def test_dpo_desk(browser: Any, demo_server_on: tuple[str, str]) -> None:
    server, loaded = demo_server_on
    dana = re.search(
        r"dana\s+\(dpo\s*\) password (\S+)\s+TOTP secret (\S+)\s+API token (\S+)", loaded
    )
    anna = re.search(r"anna\s+\(agent\) password \S+\s+TOTP secret \S+\s+API token (\S+)", loaded)
    customer = re.search(r": (\S+@example\.org)\n\s+customer number K100001,", loaded)
    assert dana and anna and customer, loaded
    overdue = _letter(server, anna.group(1), 40, "late@example.net")
    recent = _letter(server, anna.group(1), 3, "recent@example.net")
    soon = _letter(server, anna.group(1), 28, "soon@example.net")
    access = _api(
        server,
        "/api/v1/requests",
        {"kind": "access", "subject": {"name": "Kunde", "email": customer.group(1)}},
    )["reference"]
    _api(server, f"/api/v1/requests/{access}/verify", {"code": _code(server)})

    page = browser.new_page(locale="de-DE", viewport={"width": 1280, "height": 900})
    first_sign_in(page, server, "dana", dana.group(1), dana.group(2))
    page.wait_for_url(re.compile(r".*/dpo/?$"))

    first = page.locator("table.list tbody tr").first
    assert overdue in first.inner_text() and "überfällig" in first.inner_text()
    assert first.get_attribute("class") == "light-overdue"
    second = page.locator("table.list tbody tr").nth(1)
    assert soon in second.inner_text() and second.get_attribute("class") in {
        "light-soon",
        "light-week",
    }
    assert (
        first.locator("td").first.evaluate("cell => getComputedStyle(cell).backgroundColor")
        == "rgb(253, 236, 234)"
    )
    screenshot(page, "dpo-1-dashboard")

    page.get_by_role("link", name=recent).click()
    page.get_by_label("Auf drei Monate verlängern: Gründe (gehen an die Person)").fill(
        "Daten in mehreren Archiven."
    )
    page.get_by_role("button", name="Frist verlängern").click()
    assert "(verlängert)" in page.inner_text("main")
    screenshot(page, "dpo-2-extended")

    page.goto(f"{server}/dpo/requests/{access}")
    for _ in range(50):  # the in-process worker runs the fan-out
        if page.locator("input[name=note]").count():
            break
        page.wait_for_timeout(300)
        page.reload()
    page.get_by_label("Nicht gefunden").first.check()
    page.locator("input[name=note]").first.fill("Keine Papierakte vorhanden.")
    page.get_by_role("button", name="Aufgabe abschließen").first.click()
    for _ in range(50):
        if page.get_by_role("link", name="Auskunftspaket prüfen (ZIP)").count():
            break
        page.wait_for_timeout(300)
        page.reload()
    screenshot(page, "dpo-3-review")
    with page.expect_download() as download:
        page.get_by_role("link", name="Auskunftspaket prüfen (ZIP)").click()
    assert download.value.suggested_filename == f"{access}.zip"
    page.get_by_role("button", name="An die Person freigeben").click()
    page.get_by_role("button", name="Ja, an die Person freigeben").click()
    assert "Abgeschlossen" in page.inner_text("main")
    assert "An die Person freigegeben" in page.inner_text("main")
    screenshot(page, "dpo-4-released")

    page.get_by_role("link", name="Statistik").click()
    assert page.locator("svg.chart rect").count() == 12
    screenshot(page, "dpo-5-stats")
