"""The person's pages in every language in a real browser: Arabic mirrors right to left on a
360 px phone, the site settings (logo, colour, imprint, privacy policy, phone) show, and
axe-core finds no serious or critical problem on any public page in any language."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from dsr.domain.vocabulary import Language
from tests.browser.conftest import _serve, screenshot
from tests.conftest import need_service

AXE = Path(
    os.environ.get(
        "DSR_TEST_AXE", Path(__file__).parent / "axe" / "node_modules" / "axe-core" / "axe.min.js"
    )
)
SITE = {
    "imprint_url": "https://www.example.org/impressum",
    "privacy_url": "https://www.example.org/datenschutz",
    "accent_color": "#7a1f5c",
    "phone": "+49 201 1234567",
}


@pytest.fixture
def site_server(tmp_path: Path) -> Iterator[str]:
    """`dsr serve` with a dsr.yaml that sets site: (logo file, colour, links, phone)."""
    logo = tmp_path / "logo.svg"
    logo.write_text(
        "<svg xmlns='http://www.w3.org/2000/svg' width='120' height='36' viewBox='0 0 120 36'>"
        "<rect width='36' height='36' rx='6' fill='#7a1f5c'/>"
        "<text x='44' y='25' font-family='sans-serif' font-size='18' fill='#1b1f24'>Beispiel</text>"
        "</svg>"
    )
    (tmp_path / "dsr.yaml").write_text(yaml.safe_dump({"site": {**SITE, "logo": str(logo)}}))
    yield from _serve(tmp_path, demo=False)


@pytest.fixture(scope="session")
def axe_source() -> str:
    if not AXE.is_file():
        need_service(f"axe-core at {AXE} (cd tests/browser/axe && npm install)")
    return AXE.read_text(encoding="utf-8")


def _serious(page: Any, axe_source: str) -> list[str]:
    page.add_script_tag(content=axe_source)
    result = page.evaluate(
        "async () => JSON.stringify((await axe.run(document, "
        "{resultTypes: ['violations']})).violations)"
    )
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in json.loads(result)
        if v["impact"] in {"serious", "critical"}
    ]


def _box(page: Any, selector: str) -> dict[str, float]:
    box = page.locator(selector).first.bounding_box()
    assert box is not None, selector
    return dict(box)


def test_arabic_mirrors_right_to_left_on_a_phone(browser: Any, site_server: str) -> None:
    width = 360
    arabic = browser.new_page(viewport={"width": width, "height": 740}, locale="ar")
    arabic.goto(site_server)
    assert arabic.evaluate("document.documentElement.dir") == "rtl"
    assert arabic.evaluate("document.documentElement.lang") == "ar"
    assert arabic.locator("h1").inner_text() == "ما البيانات التي نحتفظ بها عنك؟ من حقك أن تعرف."
    screenshot(arabic, "rtl-ar-start-360")
    german = browser.new_page(viewport={"width": width, "height": 740}, locale="de-DE")
    german.goto(site_server)
    assert german.evaluate("document.documentElement.dir") == "ltr"

    # The brand (logo and title) starts at the right edge in Arabic, at the left in German;
    # the heading's text and the call to action follow.
    for selector in (".brand", "h1", "main .button"):
        rtl, ltr = _box(arabic, selector), _box(german, selector)
        assert ltr["x"] < 24, selector
        assert width - (rtl["x"] + rtl["width"]) < 24, selector
    assert arabic.evaluate("getComputedStyle(document.querySelector('h1')).textAlign") in {
        "start",
        "right",
    }
    assert arabic.evaluate("document.documentElement.scrollWidth") <= width


def test_site_settings_show_on_the_public_pages(browser: Any, site_server: str) -> None:
    page = browser.new_page(viewport={"width": 360, "height": 740}, locale="de-DE")
    page.goto(f"{site_server}/request")
    footer = page.locator("footer")
    assert footer.get_by_role("link", name="Impressum").get_attribute("href") == SITE["imprint_url"]
    assert (
        footer.get_by_role("link", name="Datenschutzerklärung").get_attribute("href")
        == (SITE["privacy_url"])
    )
    assert footer.get_by_role("link", name="+49 201 1234567").get_attribute("href") == (
        "tel:+492011234567"
    )
    logo = page.get_by_role("img", name="Beispiel Kundenservice GmbH")
    assert logo.evaluate("img => img.complete && img.naturalWidth > 0")
    button = page.locator("button[type=submit]")
    assert button.evaluate("b => getComputedStyle(b).backgroundColor") == "rgb(122, 31, 92)"
    screenshot(page, "site-settings-form-360")


@pytest.mark.parametrize("language", list(Language), ids=str)
def test_public_pages_have_no_serious_accessibility_problems(
    browser: Any, site_server: str, axe_source: str, language: Language
) -> None:
    # bypass_csp lets the test inject axe-core; the pages themselves are unchanged.
    page = browser.new_page(viewport={"width": 360, "height": 740}, bypass_csp=True)
    problems: dict[str, list[str]] = {}

    def check(name: str) -> None:
        assert page.evaluate("document.documentElement.lang") == language.value, name
        found = _serious(page, axe_source)
        if found:
            problems[name] = found

    page.goto(f"{site_server}/?lang={language.value}")
    check("start")
    screenshot(page, f"lang-{language.value}-start-360")
    page.goto(f"{site_server}/request")
    check("form")
    page.locator("button[type=submit]").click()  # empty: the error state
    page.locator("#error-summary").wait_for()
    check("form-errors")
    screenshot(page, f"lang-{language.value}-form-errors-360")
    page.locator("#kind").check()
    page.locator("#name").fill("Erika Mustermann")
    page.locator("#email").fill(f"erika.{language.value}@example.org")
    page.locator("button[type=submit]").click()
    page.wait_for_url(re.compile(r".*/status/[A-Za-z0-9_-]+\?n=sent"))
    check("status")
    screenshot(page, f"lang-{language.value}-status-360")
    page.goto(f"{site_server}/status/{'A' * 43}")
    check("not-found")
    page.goto(f"{site_server}/verify/{'B' * 43}")
    check("link")
    assert problems == {}
