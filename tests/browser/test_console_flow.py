"""An agent signs in with password and TOTP (first time: sets up the account), records a
verified phone erasure request, and sees it in the list — in Debian's chromium."""

from __future__ import annotations

import re
import sqlite3
from typing import Any

import pyotp

from tests.browser.conftest import screenshot


def test_agent_signs_in_records_a_verified_phone_request_and_sees_it(
    browser: Any, demo_server: tuple[str, str], tmp_path: Any
) -> None:
    server, loaded = demo_server
    match = re.search(r"anna\s+\(agent\) password (\S+)\s+TOTP secret (\S+)", loaded)
    assert match, loaded
    one_time, secret = match.groups()
    shop = sqlite3.connect(tmp_path / "var" / "demo" / "shop.db")
    pin, issued = shop.execute(
        "select phone_pin, max(issued_on) from customers join invoices"
        " on invoices.customer_id = customers.id where customer_no = 'K100002'"
    ).fetchone()

    page = browser.new_page(locale="de-DE")
    page.goto(f"{server}/console")
    assert page.url.endswith("/login")  # not signed in: sent to the sign-in page
    page.get_by_label("Benutzername").fill("anna")
    page.get_by_label("Passwort").fill(one_time)
    screenshot(page, "console-1-login")
    page.get_by_role("button", name="Anmelden").click()
    page.wait_for_url(re.compile(r".*/login/setup"))
    assert page.locator(".qr svg").count() == 1
    screenshot(page, "console-2-enrolment")
    page.get_by_label("Neues Passwort (mindestens 12 Zeichen)").fill("anna-new-password-2026")
    page.get_by_label("Neues Passwort wiederholen").fill("anna-new-password-2026")
    page.get_by_label("Code, den die App jetzt anzeigt").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Speichern und anmelden").click()
    page.wait_for_url(re.compile(r".*/console/?$"))

    page.get_by_role("link", name="Telefonischer Antrag").first.click()
    page.get_by_label("Löschung Ihrer Daten").check()
    page.get_by_label("Name der anrufenden Person").fill("Concetta Mälzer")
    page.get_by_label("Kundennummer").fill("K100002")
    page.get_by_label("Telefon-PIN").fill("0000" if pin != "0000" else "1111")
    page.get_by_role("button", name="Prüfen und erfassen").click()
    page.wait_for_url(re.compile(r".*/console/requests/DSR-.*"))
    assert "Telefon-PIN: stimmt nicht" in page.inner_text("main")
    screenshot(page, "console-3-not-verified")

    page.get_by_label("Kundennummer").fill("K100002")
    page.get_by_label("Telefon-PIN").fill(pin)
    page.get_by_label("Datum der letzten Rechnung").fill(issued)  # the PIN alone is too little
    page.get_by_role("button", name="Prüfen", exact=True).click()
    page.wait_for_url(re.compile(r".*checked=.*"))
    text = page.inner_text("main")
    assert "Kundennummer: stimmt" in text and "Telefon-PIN: stimmt" in text
    assert "Identität bestätigt" in text or "In Bearbeitung" in text  # the staff's wording
    screenshot(page, "console-4-verified")
    reference = re.search(r"DSR-\d{4}-\d{6}", text).group(0)  # type: ignore[union-attr]

    page.get_by_role("link", name="Zurück zur Liste").click()
    assert reference in page.inner_text("main")
    screenshot(page, "console-5-list")
