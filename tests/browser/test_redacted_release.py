"""The DPO previews an access package, withholds one order and the phone PIN column with
Art. 15(4) reasons, and releases; the person's download lacks exactly those, and the letter
says what was withheld and why — in Debian's chromium, on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import json
import re
import time
import urllib.request
import zipfile
from typing import Any

import docx
import pyotp

from tests.browser.conftest import screenshot
from tests.browser.test_dpo_flow import _api, _code

NOTE = "Die Bestellung ging an eine Nachbarin"


def _mail_page(server: str) -> str:
    with urllib.request.urlopen(f"{server}/dev/mail", timeout=10) as response:
        return str(response.read().decode())


def _download(server: str) -> tuple[str, str]:
    for _ in range(50):
        match = re.search(
            r"(/download/[A-Za-z0-9_-]{20,})\s+Die Seite fragt nach diesem Code:\s*(\d{6})",
            _mail_page(server),
        )
        if match:
            return match.group(1), match.group(2)
        time.sleep(0.2)
    raise AssertionError("no download link arrived")


def _sign_in(page: Any, server: str, password: str, secret: str) -> None:
    page.goto(f"{server}/login")
    page.get_by_label("Benutzername").fill("dana")
    page.get_by_label("Passwort").fill(password)
    page.get_by_role("button", name="Anmelden").click()
    page.wait_for_url(re.compile(r".*/login/setup"))
    page.get_by_label("Neues Passwort (mindestens 12 Zeichen)").fill("dana-new-password-2026")
    page.get_by_label("Neues Passwort wiederholen").fill("dana-new-password-2026")
    page.get_by_label("Code, den die App jetzt anzeigt").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Speichern und anmelden").click()
    page.wait_for_url(re.compile(r".*/dpo/?$"))


def test_a_redacted_release(browser: Any, demo_server_on: tuple[str, str]) -> None:
    server, loaded = demo_server_on
    dana = re.search(r"dana\s+\(dpo\s*\) password (\S+)\s+TOTP secret (\S+)", loaded)
    customer = re.search(r": (\S+@example\.org)\n\s+customer number K100001, PIN (\d{4})", loaded)
    assert dana and customer, loaded
    email, pin = customer.group(1), customer.group(2)
    access = _api(
        server, "/api/v1/requests", {"kind": "access", "subject": {"name": "K", "email": email}}
    )["reference"]
    _api(server, f"/api/v1/requests/{access}/verify", {"code": _code(server)})

    page = browser.new_page(locale="de-DE", viewport={"width": 1366, "height": 900})
    _sign_in(page, server, dana.group(1), dana.group(2))
    page.goto(f"{server}/dpo/requests/{access}")
    for _ in range(50):  # the in-process worker runs the fan-out
        if page.locator("input[name=note]").count():
            break
        page.wait_for_timeout(300)
        page.reload()
    page.get_by_label("Nicht gefunden", exact=True).first.check()
    page.locator("input[name=note]").first.fill("Keine Papierakte vorhanden.")
    page.get_by_role("button", name="Aufgabe abschließen").first.click()
    preview = page.get_by_role("link", name="Vorschau und Schwärzung vor der Freigabe")
    for _ in range(50):
        if preview.count():
            break
        page.wait_for_timeout(300)
        page.reload()
    preview.click()
    main = page.locator("main")
    assert "Wir haben nichts geschwärzt und nichts zurückgehalten." in main.inner_text()
    orders = page.locator("#t-shop-orders")
    # No., ID, customer ID, ordered on
    days = [row.locator("td").nth(3).inner_text() for row in orders.locator("tbody tr").all()]
    assert len(days) >= 2 and email in main.inner_text() and pin in main.inner_text()
    screenshot(page, "release-1-preview")

    orders.get_by_text("Einen Eintrag oder eine Spalte dieser Tabelle zurückhalten").click()
    orders.get_by_label("Eintrag Nr. zurückhalten").fill("1")
    orders.locator("select[name=reason]").first.select_option(label="Daten Dritter")
    orders.get_by_label("Begründung für das Schreiben").first.fill(NOTE)
    orders.get_by_role("button", name="Diesen Eintrag zurückhalten").click()
    assert "Zurückgehalten. Paket und Schreiben lassen es weg." in main.inner_text()
    customers = page.locator("#t-shop-customers")
    customers.get_by_text("Einen Eintrag oder eine Spalte dieser Tabelle zurückhalten").click()
    customers.get_by_label("Spalte zurückhalten").select_option(label="Telefon-PIN")
    customers.locator("select[name=reason]").nth(1).select_option(label="Geschäftsgeheimnis")
    customers.get_by_role("button", name="Diese Spalte zurückhalten").click()
    text = " ".join(main.inner_text().split())
    assert "Eintrag Nr. 1" in text and "Spalte „Telefon-PIN“" in text
    assert (
        "Kundendatenbank › Bestellungen: 1 Datensatz zurückgehalten, zum Schutz anderer Personen"
        in text
    )
    assert NOTE in text and "die Spalte „Telefon-PIN“ zurückgehalten" in text
    assert "nichts geschwärzt" not in text
    screenshot(page, "release-2-withheld")

    page.get_by_role("button", name="An die Person freigeben").click()
    page.get_by_role("button", name="Ja, an die Person freigeben").click()
    assert "Abgeschlossen" in page.inner_text("main")
    screenshot(page, "release-3-released")

    link, code = _download(server)
    person = browser.new_page(locale="de-DE")
    person.goto(f"{server}{link}")
    person.get_by_label("Code aus der E-Mail").fill(code)
    with person.expect_download() as download:
        person.get_by_role("button", name="Herunterladen").click()
    with zipfile.ZipFile(download.value.path()) as archive:
        files = {name: archive.read(name) for name in archive.namelist()}
    tables = json.loads(files["data.json"])["stores"]["shop"]["tables"]
    assert [o["ordered_on"] for o in tables["orders"]] == days[1:]
    assert tables["customers"][0]["email"] == email
    assert all("phone_pin" not in row for row in tables["customers"])
    customers_csv = list(
        csv.reader(io.StringIO(files["shop/customers.csv"].decode("utf-8-sig")), delimiter=";")
    )
    assert "Telefon-PIN" not in customers_csv[0] and pin not in customers_csv[1]
    assert len(files["shop/orders.csv"].decode("utf-8-sig").splitlines()) == len(days)
    index = files["index.html"].decode()
    assert "Telefon-PIN" not in index and email in index
    (letter_name,) = [name for name in files if name.startswith(f"{access}-Auskunft")]
    if letter_name.endswith(".docx"):
        letter = " ".join(p.text for p in docx.Document(io.BytesIO(files[letter_name])).paragraphs)
    else:
        import subprocess

        letter = subprocess.run(
            ["pdftotext", "-", "-"], input=files[letter_name], capture_output=True, check=True
        ).stdout.decode()
    letter = " ".join(letter.split())
    assert "Bestellungen: 1 Datensatz zurückgehalten" in letter and NOTE in letter
    assert "Geschäftsgeheimnisse" in letter and "nichts geschwärzt" not in letter
