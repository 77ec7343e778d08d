"""In Debian's chromium: what cannot be undone asks first and says what will happen (cancel
changes nothing); a paper archive's task is worked with its instructions and the identifiers
shown on demand, closed "not found", and the letter says so; the admin cannot deactivate
their own account; and axe-core finds no serious or critical problem on any staff page."""

from __future__ import annotations

import io
import re
from typing import Any

import docx
import pyotp

from tests.browser.conftest import screenshot
from tests.browser.test_dpo_flow import _api, _code
from tests.browser.test_languages_and_site import _serious, axe_source  # noqa: F401

STAFF = r"{name}\s+\({role}\s*\) password (\S+)\s+TOTP secret (\S+)\s+API token (\S+)"


def _staff(loaded: str, name: str, role: str) -> tuple[str, str, str]:
    found = re.search(STAFF.format(name=name, role=role), loaded)
    assert found, loaded
    return found.group(1), found.group(2), found.group(3)


def _sign_in(browser: Any, server: str, name: str, password: str, secret: str) -> Any:
    # bypass_csp lets the axe test inject axe-core; the pages themselves are unchanged.
    page = browser.new_page(
        locale="de-DE", viewport={"width": 1366, "height": 900}, bypass_csp=True
    )
    page.goto(f"{server}/login")
    page.get_by_label("Benutzername").fill(name)
    page.get_by_label("Passwort").fill(password)
    page.get_by_role("button", name="Anmelden").click()
    page.wait_for_url(re.compile(r".*/login/setup"))
    page.get_by_label("Neues Passwort (mindestens 12 Zeichen)").fill(f"{name}-new-password-2026")
    page.get_by_label("Neues Passwort wiederholen").fill(f"{name}-new-password-2026")
    page.get_by_label("Code, den die App jetzt anzeigt").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Speichern und anmelden").click()
    page.wait_for_url(re.compile(r".*/(dpo|console|admin/staff)/?$"))
    return page


def _wait_for(page: Any, locator: Any) -> None:
    for _ in range(60):  # the in-process worker runs the fan-out
        if locator.count():
            return
        page.wait_for_timeout(300)
        page.reload()
    raise AssertionError(f"never appeared: {locator}")


def _customer(loaded: str) -> str:
    found = re.search(r": (\S+@example\.org)\n\s+customer number K100001,", loaded)
    assert found, loaded
    return found.group(1)


def test_approve_asks_first_and_a_paper_file_not_found_reaches_the_letter(
    browser: Any, demo_server_on: tuple[str, str]
) -> None:
    server, loaded = demo_server_on
    email = _customer(loaded)
    reference = _api(
        server, "/api/v1/requests", {"kind": "erasure", "subject": {"name": "K", "email": email}}
    )["reference"]
    _api(server, f"/api/v1/requests/{reference}/verify", {"code": _code(server)})
    password, secret, _ = _staff(loaded, "dana", "dpo")
    page = _sign_in(browser, server, "dana", password, secret)
    page.goto(f"{server}/dpo/requests/{reference}")
    approve = page.get_by_role("button", name="Bearbeitung freigeben")
    _wait_for(page, approve)

    approve.click()
    step = page.inner_text("main")
    assert f"Löscht die Daten der Person zu Antrag {reference} in 3 Datenspeichern" in step
    assert "shop, newsletter, archive" in step and "nicht rückgängig" in step
    screenshot(page, "confirm-1-approve")
    page.get_by_role("link", name="Abbrechen").click()
    assert "Identität bestätigt, wartet auf Freigabe" in page.inner_text("main")  # unchanged
    page.get_by_role("button", name="Bearbeitung freigeben").click()
    page.get_by_role("button", name="Ja, freigeben").click()
    assert "Antrag freigegeben: Die Bearbeitung in den Datenspeichern hat begonnen." in (
        page.inner_text("main")
    )

    show = page.get_by_role("button", name="Kennungen zur Aktensuche anzeigen")
    _wait_for(page, show)
    tasks = page.locator("table.list").first.inner_text()
    assert "Papierakte im Archiv prüfen und vernichten." in tasks
    assert email not in page.content()  # identifiers only on demand
    show.click()
    assert email in page.inner_text("main")
    assert "im Audit-Protokoll festgehalten" in page.inner_text("main")
    screenshot(page, "paper-1-identifiers")
    page.get_by_label("Nicht gefunden").check()
    page.get_by_label("Notiz (was getan wurde)").fill("Regal 4 und Keller geprüft.")
    page.get_by_role("button", name="Aufgabe abschließen").click()
    main = page.inner_text("main")
    assert "Aufgabe abgeschlossen." in main and "in der Papierakte nichts gefunden" in main
    assert "Papierakte geprüft: nichts gefunden" in main
    timeline = page.locator("ol.timeline").inner_text()
    assert "Regal 4 und Keller geprüft." in timeline  # the note, for the DPO (view audited)
    assert "Kennungen zur Aktensuche angezeigt" in main

    release = page.get_by_role("button", name="An die Person freigeben")
    _wait_for(page, release)
    release.click()
    assert "Schließt Antrag" in page.inner_text("main")
    page.get_by_role("button", name="Ja, an die Person freigeben").click()
    assert "Ergebnis freigegeben: Das Schreiben geht an die Person." in page.inner_text("main")
    screenshot(page, "paper-2-released")
    texts = []
    for link in page.get_by_role("link", name="DOCX").all():
        letter = page.request.get(f"{server}{link.get_attribute('href')}")
        assert letter.ok
        document = docx.Document(io.BytesIO(letter.body()))
        texts.append("\n".join(p.text for p in document.paragraphs))
    (erasure,) = [text for text in texts if "Löschung Ihrer Daten (Art. 17 DSGVO)" in text]
    assert "Papierarchiv: in der Papierakte nichts gefunden" in erasure


def test_an_admin_cannot_deactivate_themself_and_reactivates_others(
    browser: Any, demo_server_on: tuple[str, str]
) -> None:
    server, loaded = demo_server_on
    password, secret, _ = _staff(loaded, "adam", "admin")
    page = _sign_in(browser, server, "adam", password, secret)
    staff = page.locator("table.list").first  # the accounts (the tokens follow)
    own = staff.locator("tr", has_text="adam")
    assert (
        "(Sie)" in own.inner_text() and own.get_by_role("button", name="Deaktivieren").count() == 0
    )
    csrf = page.locator("input[name=_csrf_token]").first.get_attribute("value")
    forged = page.request.post(
        f"{server}/admin/staff/adam/deactivate",
        form={"_csrf_token": csrf or "", "confirmed": "1"},
    )
    assert forged.status == 400 and "eigenes Konto" in forged.text()
    page.reload()
    assert "Sitzungen" not in page.inner_text("main") and page.url.endswith("/admin/staff")

    anna = staff.locator("tr", has_text="anna")
    anna.get_by_role("button", name="Deaktivieren").click()
    assert "Deaktiviert anna: Sitzungen enden sofort" in page.inner_text("main")
    page.get_by_role("link", name="Abbrechen").click()
    assert staff.locator("tr", has_text="anna").get_by_role("button", name="Deaktivieren").count()
    staff.locator("tr", has_text="anna").get_by_role("button", name="Deaktivieren").click()
    page.get_by_role("button", name="Ja, deaktivieren").click()
    assert "anna deaktiviert: überall abgemeldet." in page.inner_text("main")
    staff.locator("tr", has_text="anna").get_by_role("button", name="Reaktivieren").click()
    assert "anna reaktiviert: kann sich wieder anmelden." in page.inner_text("main")
    screenshot(page, "admin-1-reactivated")


def test_no_staff_page_has_a_serious_accessibility_problem(
    browser: Any,
    demo_server: tuple[str, str],
    axe_source: str,  # noqa: F811
) -> None:
    server, loaded = demo_server
    email = _customer(loaded)
    _, _, agent_token = _staff(loaded, "anna", "agent")
    erasure = _api(
        server, "/api/v1/requests", {"kind": "erasure", "subject": {"name": "K", "email": email}}
    )["reference"]
    _api(server, f"/api/v1/requests/{erasure}/verify", {"code": _code(server)})
    phone = _api(
        server,
        "/api/v1/requests",
        {"kind": "access", "channel": "phone", "subject": {"name": "Anruf", "email": email}},
        agent_token,
    )["reference"]
    password, secret, _ = _staff(loaded, "dana", "dpo")
    page = _sign_in(browser, server, "dana", password, secret)
    problems: dict[str, list[str]] = {}

    def check(name: str) -> None:
        problems[name] = _serious(page, axe_source)

    check("dashboard")
    page.goto(f"{server}/dpo/requests/{erasure}")
    _wait_for(page, page.get_by_role("button", name="Bearbeitung freigeben"))
    check("request")
    page.get_by_role("button", name="Bearbeitung freigeben").click()
    check("confirm step")
    page.get_by_role("button", name="Ja, freigeben").click()
    show = page.get_by_role("button", name="Kennungen zur Aktensuche anzeigen")
    _wait_for(page, show)
    check("request with a paper task")
    show.click()
    check("paper task")
    for path in (
        "/dpo/stats",
        "/dpo/triage",
        "/console",
        "/console/new",
        f"/console/requests/{phone}",
    ):
        page.goto(f"{server}{path}")
        check(path)
    page.goto(f"{server}/dpo/requests/DSR-2026-999999")
    assert "Zurück zum Arbeitsplatz" in page.inner_text("main")  # the staff error page
    check("error")
    page.goto(f"{server}/dpo/stats")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 1366, f"the statistics are {width} px wide"

    password, secret, _ = _staff(loaded, "adam", "admin")
    admin = _sign_in(browser, server, "adam", password, secret)
    page = admin
    check("admin staff")
    page.goto(f"{server}/admin/config")
    check("admin config")
    assert {name: found for name, found in problems.items() if found} == {}
