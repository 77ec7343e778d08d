"""A person fills in the form in a real browser, reads the code from the mail catcher,
confirms it, and sees the status page — on a desktop and on a 360 px phone."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.browser.conftest import screenshot

CODE = re.compile(r"Bestätigungscode:\s*(\d{6})")


def _read_code(browser: Any, server: str) -> str:
    mail_page = browser.new_page(locale="de-DE")
    for _ in range(50):  # the in-process worker delivers within a second
        mail_page.goto(f"{server}/dev/mail")
        match = CODE.search(mail_page.inner_text("main"))
        if match:
            mail_page.close()
            return match.group(1)
        mail_page.wait_for_timeout(200)
    raise AssertionError("no code arrived in the mail catcher")


@pytest.mark.parametrize(
    ("width", "height", "label"), [(1280, 900, "desktop"), (360, 740, "phone")]
)
def test_a_person_submits_confirms_and_follows_the_request(
    browser: Any, server: str, width: int, height: int, label: str
) -> None:
    page = browser.new_page(viewport={"width": width, "height": height}, locale="de-DE")
    page.goto(server)
    assert page.locator("h1").inner_text().startswith("Was speichern wir über Sie?")
    screenshot(page, f"{label}-1-start")
    page.get_by_role("link", name="Antrag stellen").click()

    page.get_by_role("button", name="Antrag absenden").click()  # empty: errors first
    summary = page.locator("#error-summary")
    assert "Bitte prüfen Sie Ihre Angaben" in summary.inner_text()
    screenshot(page, f"{label}-2-form-errors")
    summary.get_by_role("link", name="Pflichtangabe fehlt.").first.click()
    assert page.evaluate("document.activeElement.id") in {"name", "email"}

    page.get_by_label("Auskunft über Ihre Daten").check()
    page.get_by_label("Ihr Name").fill("Erika Mustermann")
    page.get_by_label("Ihre E-Mail-Adresse").fill("erika.mustermann@example.org")
    page.get_by_role("button", name="Antrag absenden").click()
    page.wait_for_url(re.compile(r".*/status/[A-Za-z0-9_-]+\?n=sent"))
    assert "Wartet auf Ihre Bestätigung" in page.inner_text("main")
    screenshot(page, f"{label}-3-confirmation")

    page.get_by_label("Bestätigungscode aus der E-Mail").fill(_read_code(browser, server))
    page.get_by_role("button", name="Bestätigen").click()
    page.wait_for_url(re.compile(r".*\?n=verified"))
    text = page.inner_text("main")
    assert "Danke, Ihre E-Mail-Adresse ist bestätigt." in text
    # The in-process worker may already have moved the request on (this demo has no stores).
    assert any(
        status in text
        for status in (
            "Bestätigt, wird als Nächstes bearbeitet",
            "In Bearbeitung",
            "In abschließender Prüfung",
        )
    )
    assert "Wartet auf Ihre Bestätigung" not in text
    assert "Erika" not in text
    screenshot(page, f"{label}-4-status")
    assert page.evaluate("document.documentElement.scrollWidth") <= width  # no sideways scrolling


def test_the_form_works_by_keyboard_alone(browser: Any, server: str) -> None:
    page = browser.new_page(locale="de-DE")
    page.goto(f"{server}/request")
    page.keyboard.press("Tab")  # the skip link comes first
    assert page.evaluate("document.activeElement.textContent") == "Zum Inhalt springen"
    page.locator("#kind").focus()
    page.keyboard.press("Space")
    assert page.locator("#kind").is_checked()
    page.locator("#name").focus()
    page.keyboard.type("Erika Mustermann")
    page.keyboard.press("Tab")
    page.keyboard.type("erika@example.org")
    page.locator("button[type=submit]").focus()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*/status/.*"))
    assert "Wartet auf Ihre Bestätigung" in page.inner_text("main")
