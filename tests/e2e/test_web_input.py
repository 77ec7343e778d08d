"""Hostile and broken input on the public form; language; headers; enumeration."""

from __future__ import annotations

import re

import pytest
from litestar.testing import AsyncTestClient
from sqlmodel import select

from dsr.app import create_app
from dsr.db import Database
from dsr.models import Outbox, RateHit, Request
from dsr.settings import Mode, Settings
from tests.e2e.web import Client, csrf_of, form_data, submit


async def _stored(db: Database) -> tuple[int, int]:
    async with db.session_scope() as session:
        requests = len((await session.exec(select(Request))).all())
        mails = len((await session.exec(select(Outbox))).all())
    return requests, mails


@pytest.mark.parametrize(
    ("fields", "field", "text"),
    [
        ({"kind": ""}, "kind", "Bitte wählen Sie, was Sie tun möchten."),
        ({"kind": "everything"}, "kind", "Ungültiger Wert."),
        ({"name": ""}, "name", "Pflichtangabe fehlt."),
        ({"name": "N" * 201}, "name", "Zu lang."),
        (
            {"name": "Erika\r\nBcc: victim@example.org"},
            "name",
            "Der Name enthält unzulässige Zeichen.",
        ),
        ({"email": ""}, "email", "Pflichtangabe fehlt."),
        ({"email": "erika@"}, "email", "Bitte geben Sie eine gültige E-Mail-Adresse an."),
        (
            {"email": "erika@example.org\r\nBcc: x@evil.org"},
            "email",
            "Bitte geben Sie eine gültige E-Mail-Adresse an.",
        ),
        ({"email": "a" * 250 + "@example.org"}, "email", "Zu lang."),
        ({"phone": "12"}, "phone", "Bitte geben Sie eine gültige Telefonnummer an."),
        ({"customer_number": "K1' OR '1'='1"}, "customer_number", "Die Kundennummer darf nur"),
        ({"details": "x" * 5001}, "details", "Zu lang."),
        ({"details": "nul\x00byte"}, "details", "unzulässige Steuerzeichen"),
        ({"kind": "rectification"}, "change_right", "Pflichtangabe fehlt."),
    ],
)
async def test_invalid_fields_are_named_at_the_top_and_nothing_is_stored(
    web_client: Client, db: Database, fields: dict[str, str], field: str, text: str
) -> None:
    response = await submit(web_client, **fields)
    assert response.status_code == 400
    summary = response.text.split('id="error-summary"')[1].split("</div>")[0]
    assert f'href="#{field}"' in summary and text in summary
    assert f'id="{field}"' in response.text
    assert await _stored(db) == (0, 0)


async def test_markup_is_shown_as_text_never_as_html(web_client: Client, db: Database) -> None:
    hostile = "<script>alert(1)</script><img src=x onerror=alert(2)>"
    response = await submit(web_client, name=hostile, email="not-an-address")
    assert response.status_code == 400
    assert "<script>alert(1)</script>" not in response.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in response.text
    assert await _stored(db) == (0, 0)


async def test_unicode_names_and_invisible_characters(web_client: Client, db: Database) -> None:
    response = await submit(web_client, name="Ğülşen Ößçañ 😀 \u202eesrever\u202c Ünal")
    assert response.status_code == 303
    assert await _stored(db) == (1, 1)


async def test_missing_or_wrong_csrf_token_is_refused(web_client: Client, db: Database) -> None:
    await web_client.get("/request")
    missing = await web_client.post("/request", data=form_data())
    assert missing.status_code == 403
    wrong = await web_client.post("/request", data={"_csrf_token": "forged", **form_data()})
    assert wrong.status_code == 403
    assert await _stored(db) == (0, 0)


async def test_the_honeypot_stores_nothing(web_client: Client, db: Database) -> None:
    response = await submit(web_client, homepage="http://spam.example")
    assert response.status_code == 400
    assert await _stored(db) == (0, 0)


async def test_submissions_per_address_are_rate_limited(web_client: Client, db: Database) -> None:
    for _ in range(3):
        assert (await submit(web_client)).status_code == 303
    blocked = await submit(web_client, email="Erika.Mustermann@EXAMPLE.org")  # same address
    assert blocked.status_code == 429
    assert "Retry-After" in blocked.headers or "retry-after" in blocked.headers
    assert await _stored(db) == (3, 3)
    assert (await submit(web_client, email="someone.else@example.org")).status_code == 303


async def test_web_processes_on_postgresql_share_the_limits(
    web_client: Client, web_settings: Settings, db: Database
) -> None:
    """A second app on the same database (another web process) counts the same hits; the
    database holds a keyed hash per limit and key, never the IP or e-mail address."""
    async with AsyncTestClient(
        app=create_app(web_settings), base_url="http://testserver.local"
    ) as other:
        for client in (web_client, other, web_client):
            assert (await submit(client)).status_code == 303
        blocked = await submit(other, email="Erika.Mustermann@EXAMPLE.org")
    if db.dialect == "sqlite":  # one process by design: each app counts its own
        assert blocked.status_code == 303
        return
    assert blocked.status_code == 429
    assert await _stored(db) == (3, 3)
    async with db.session_scope() as session:
        buckets = {hit.bucket for hit in (await session.exec(select(RateHit))).all()}
    assert len(buckets) == 2  # submit per IP, submit per address
    assert all(re.fullmatch(r"[0-9a-f]{64}", bucket) for bucket in buckets)


async def test_known_and_unknown_addresses_get_identical_pages(web_client: Client) -> None:
    def normalise(html: str) -> str:
        html = re.sub(r"DSR-\d{4}-\d{6}", "REF", html)
        html = re.sub(r"/status/[A-Za-z0-9_-]+", "/status/TOKEN", html)
        return re.sub(r'name="_csrf_token" value="[^"]+"', "CSRF", html)

    pages = []
    for address in ("erika.mustermann@example.org", "nobody.known@example.net"):
        response = await submit(web_client, email=address)
        pages.append(normalise((await web_client.get(response.headers["location"])).text))
    assert pages[0] == pages[1]


async def test_english_by_choice_and_by_browser_language(web_client: Client) -> None:
    german = await web_client.get("/")
    assert '<html lang="de" dir="ltr">' in german.text and "Ihre Datenschutzrechte" in german.text
    english = await web_client.get("/", headers={"accept-language": "en-GB,en;q=0.9"})
    assert '<html lang="en" dir="ltr">' in english.text and "Make a request" in english.text
    chosen = await web_client.get("/request?lang=en")
    assert "Send request" in chosen.text
    assert "dsr_lang=en" in chosen.headers.get("set-cookie", "")
    kept = await web_client.get("/request")  # the cookie keeps the choice
    assert "Send request" in kept.text


async def test_pages_carry_security_headers_and_no_external_resources(web_client: Client) -> None:
    response = await web_client.get("/request")
    csp = response.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp and "'unsafe-inline'" not in csp
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert not re.search(r'(src|href)="(https?:)?//', response.text)
    css = await web_client.get("/static/style.css")
    assert css.status_code == 200 and "text/css" in css.headers["content-type"]


async def test_unknown_status_links_and_pages_are_friendly_404s(web_client: Client) -> None:
    for path in ("/status/" + "A" * 43, "/status/x", "/status/../../etc/passwd", "/nowhere"):
        response = await web_client.get(path, headers={"accept": "text/html"})
        assert response.status_code == 404, path
        assert "Nicht gefunden." in response.text


async def test_the_dev_mail_page_exists_only_in_demo_mode(settings: Settings) -> None:
    demo = settings.model_copy(update={"dev_mail_catcher": True, "smtp_url": "smtp://127.0.0.1:0"})
    async with AsyncTestClient(app=create_app(demo)) as client:
        assert (await client.get("/dev/mail")).status_code == 200
    production = settings.model_copy(
        update={
            "env": Mode.PRODUCTION,
            "dev_mail_catcher": True,
            "config": settings.var_dir / "none.yaml",
        }
    )
    (settings.var_dir).mkdir(parents=True, exist_ok=True)
    (settings.var_dir / "none.yaml").write_text(
        "controller: {name: Test GmbH}\n"
        "site: {imprint_url: 'https://e.org/i', privacy_url: 'https://e.org/p'}\n"
    )
    async with AsyncTestClient(app=create_app(production)) as client:
        assert (await client.get("/dev/mail")).status_code == 404


async def test_a_page_posted_without_a_form_body_is_a_4xx(web_client: Client) -> None:
    page = await web_client.get("/request")
    response = await web_client.post(
        "/request",
        content=b"\xff\xfe" * 100,
        headers={
            "content-type": "application/x-www-form-urlencoded",
            "x-csrftoken": csrf_of(page.text),
        },
    )
    assert 400 <= response.status_code < 500
