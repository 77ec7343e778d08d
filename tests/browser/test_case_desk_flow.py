"""The DPO works a case in Debian's chromium: a person asks on the web form for a new postal
address in its parts; the DPO sees old → new for each store and column (the shop and a
billing system), approves, and both databases hold the new address part by part. An
objection's own words are read on its page."""

from __future__ import annotations

import json
import re
import sqlite3
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.browser.conftest import first_sign_in, screenshot
from tests.browser.test_public_flow import _read_code
from tests.e2e.test_case_desk import BILLING

NEW = ("Rüttenscheider Straße 200", "45131", "Essen")
OBJECTION = "Ich widerspreche der Nutzung meiner Daten für Telefonwerbung."


def _add_billing(directory: Path) -> None:
    """A second SQL store: a billing system with the shop's customers' addresses."""
    shop = directory / "var" / "demo" / "shop.db"
    with sqlite3.connect(shop) as connection:
        rows = list(connection.execute("SELECT email, street, zip, city FROM customers"))
    billing = directory / "billing.db"
    with sqlite3.connect(billing) as connection:
        connection.execute(
            "CREATE TABLE addresses (id INTEGER PRIMARY KEY, email TEXT, street TEXT, "
            "postcode TEXT, city TEXT)"
        )
        connection.executemany(
            "INSERT INTO addresses (email, street, postcode, city) VALUES (?, ?, ?, ?)", rows
        )
    config = yaml.safe_load((directory / "dsr.yaml").read_text(encoding="utf-8"))
    config["stores"].insert(1, {**BILLING, "url": f"sqlite:///{billing}"})
    (directory / "dsr.yaml").write_text(yaml.safe_dump(config, allow_unicode=True))


@pytest.fixture
def demo_prepare() -> Callable[[Path], None]:
    return _add_billing


def _until(page: Any, ready: Callable[[], bool]) -> None:
    for _ in range(60):  # the in-process worker runs the tasks
        if ready():
            return
        page.wait_for_timeout(300)
        page.reload()
    raise AssertionError(page.inner_text("main"))


def _sign_in_dpo(page: Any, server: str, loaded: str) -> None:
    dana = re.search(r"dana\s+\(dpo\s*\) password (\S+)\s+TOTP secret (\S+)", loaded)
    assert dana, loaded
    first_sign_in(page, server, "dana", dana.group(1), dana.group(2))
    page.wait_for_url(re.compile(r".*/dpo/?$"))


def test_a_new_address_in_its_parts_reaches_two_stores(
    browser: Any, demo_server_on: tuple[str, str], tmp_path: Path
) -> None:
    server, loaded = demo_server_on
    email = re.search(r": (\S+@example\.org)\n\s+customer number K100001,", loaded)
    assert email, loaded
    with sqlite3.connect(tmp_path / "var" / "demo" / "shop.db") as connection:
        old = connection.execute(
            "SELECT street, zip, city FROM customers WHERE email = ?", (email.group(1),)
        ).fetchone()

    person = browser.new_page(locale="de-DE", viewport={"width": 1280, "height": 900})
    person.goto(f"{server}/request")
    person.get_by_label("Berichtigung Ihrer Daten").check()
    person.get_by_label("Straße und Hausnummer", exact=True).fill(NEW[0])
    person.get_by_label("Postleitzahl", exact=True).fill(NEW[1])
    person.get_by_label("Ort", exact=True).fill(NEW[2])
    person.get_by_label("Ihr Name").fill("Kundin Eins")
    person.get_by_label("Ihre E-Mail-Adresse").fill(email.group(1))
    person.locator("#details").fill("Bitte auch die Gesprächsaufzeichnungen vom Oktober.")
    screenshot(person, "case-1-form")
    person.get_by_role("button", name="Antrag absenden").click()
    person.wait_for_url(re.compile(r".*/status/[A-Za-z0-9_-]+\?n=sent"))
    reference = re.search(r"DSR-\d{4}-\d{6}", person.locator("h1").inner_text())
    assert reference
    person.get_by_label("Bestätigungscode aus der E-Mail").fill(_read_code(browser, server))
    person.get_by_role("button", name="Bestätigen").click()
    person.wait_for_url(re.compile(r".*\?n=verified"))

    page = browser.new_page(locale="de-DE", viewport={"width": 1280, "height": 900})
    _sign_in_dpo(page, server, loaded)
    page.goto(f"{server}/dpo/requests/{reference.group(0)}")
    approve = page.get_by_role("button", name="Bearbeitung freigeben")
    _until(page, lambda: approve.count() > 0)
    asked = page.locator("section[aria-labelledby=asked-heading]")
    assert "Bitte auch die Gesprächsaufzeichnungen vom Oktober." in asked.inner_text()
    rows = [row.inner_text() for row in asked.locator("table.asked-changes tbody tr").all()]
    shop_street = next(r for r in rows if "customers.street" in r)
    billing_street = next(r for r in rows if "addresses.street" in r)
    for row in (shop_street, billing_street):
        assert old[0] in row and NEW[0] in row, rows
    assert any("customers.zip" in r and old[1] in r and NEW[1] in r for r in rows), rows
    assert any("addresses.city" in r and old[2] in r and NEW[2] in r for r in rows), rows
    screenshot(page, "case-2-old-to-new")

    approve.click()
    page.get_by_role("button", name="Ja, freigeben").click()  # the step that says what happens
    note = page.locator("input[name=note]")
    _until(page, lambda: note.count() > 0)  # the paper archive is told by a person
    page.get_by_label("Gefunden", exact=True).first.check()
    note.first.fill("Papierakte berichtigt.")
    page.get_by_role("button", name="Aufgabe abschließen").first.click()
    release = page.get_by_role("button", name="An die Person freigeben")
    _until(page, lambda: release.count() > 0)
    release.click()
    page.get_by_role("button", name="Ja, an die Person freigeben").click()
    assert "Abgeschlossen" in page.inner_text("main")
    screenshot(page, "case-3-released")

    with sqlite3.connect(tmp_path / "var" / "demo" / "shop.db") as connection:
        shop = connection.execute(
            "SELECT street, zip, city, country FROM customers WHERE email = ?", (email.group(1),)
        ).fetchone()
    with sqlite3.connect(tmp_path / "billing.db") as connection:
        billing = connection.execute(
            "SELECT street, postcode, city FROM addresses WHERE email = ?", (email.group(1),)
        ).fetchone()
    assert shop == (*NEW, "DE")
    assert billing == NEW

    # An objection's own words reach the DPO, and reading them is in the timeline.
    body = {
        "kind": "objection",
        "subject": {"name": "Kunde Zwei", "email": "zwei@example.net"},
        "details": OBJECTION,
    }
    created = urllib.request.Request(
        f"{server}/api/v1/requests",
        data=json.dumps(body).encode(),
        headers={"content-type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(created, timeout=10) as response:
        objection = json.loads(response.read())["reference"]
    page.goto(f"{server}/dpo/requests/{objection}")
    assert OBJECTION in page.locator("blockquote.asked-text").inner_text()
    page.reload()
    assert "Antrag der Person eingesehen" in page.locator("ol.timeline").inner_text()
    screenshot(page, "case-4-objection")
