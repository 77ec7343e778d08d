"""``site:`` of dsr.yaml on every public page and in every mail to the person."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import yaml
from litestar.testing import AsyncTestClient

from dsr.app import create_app
from dsr.domain.errors import ConfigError
from dsr.notify.catcher import MailCatcher
from dsr.settings import Mode, Settings
from tests.e2e.web import Client, Mailroom, submit

SITE = {
    "imprint_url": "https://www.example.org/impressum",
    "privacy_url": "https://www.example.org/datenschutz",
    "accent_color": "#7a1f5c",
    "phone": "+49 201 1234567",
}


def _with_site(settings: Settings, tmp_path: Path, **site: str) -> Settings:
    path = tmp_path / "dsr.yaml"
    path.write_text(yaml.safe_dump({"site": {**SITE, **site}}))
    return settings.model_copy(update={"config": path})


@pytest.fixture
def site_settings(settings: Settings, tmp_path: Path, smtp_server: MailCatcher) -> Settings:
    logo = tmp_path / "logo.svg"
    logo.write_text("<svg xmlns='http://www.w3.org/2000/svg' width='10' height='10'/>")
    return _with_site(settings, tmp_path, logo=str(logo)).model_copy(
        update={"smtp_url": smtp_server.url}
    )


@pytest.fixture
async def site_client(site_settings: Settings) -> AsyncIterator[Client]:
    async with AsyncTestClient(
        app=create_app(site_settings), base_url="http://testserver.local"
    ) as client:
        yield client


@pytest.mark.parametrize("path", ["/", "/request", "/status/unknown-token", "/login"])
async def test_every_public_page_links_imprint_privacy_and_phone(
    site_client: Client, path: str
) -> None:
    page = await site_client.get(path)
    if path == "/login":  # the staff layout is not a public page
        assert SITE["imprint_url"] not in page.text
        return
    html = page.text
    assert f'<a href="{SITE["imprint_url"]}">Impressum</a>' in html
    assert f'<a href="{SITE["privacy_url"]}">Datenschutzerklärung</a>' in html
    assert '<a href="tel:+492011234567" dir="ltr">+49 201 1234567</a>' in html
    assert '<img class="logo" src="/site/logo" alt="Beispiel Kundenservice GmbH">' in html
    assert '<link rel="stylesheet" href="/site.css">' in html
    english = await site_client.get(f"{path}?lang=en")
    assert ">Imprint</a>" in english.text and ">Privacy policy</a>" in english.text


async def test_colour_and_logo_are_served_from_our_origin_within_the_csp(
    site_client: Client,
) -> None:
    css = await site_client.get("/site.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert css.text == ":root { --accent: #7a1f5c; }\n"
    logo = await site_client.get("/site/logo")
    assert logo.status_code == 200 and logo.headers["content-type"] == "image/svg+xml"
    assert "script-src 'self'" in logo.headers["content-security-policy"]
    page = await site_client.get("/")
    assert "img-src 'self' data:;" in page.headers["content-security-policy"]


async def test_a_remote_logo_is_allowed_by_the_csp_and_nothing_else(
    settings: Settings, tmp_path: Path
) -> None:
    remote = _with_site(settings, tmp_path, logo="https://cdn.example.org/logo.png")
    async with AsyncTestClient(app=create_app(remote)) as client:
        page = await client.get("/")
        assert '<img class="logo" src="https://cdn.example.org/logo.png"' in page.text
        policy = page.headers["content-security-policy"]
        assert "img-src 'self' data: https://cdn.example.org;" in policy
        assert "script-src 'self';" in policy
        assert (await client.get("/site/logo")).status_code == 404


async def test_mail_to_the_person_carries_the_site_footer(
    site_client: Client, site_settings: Settings, smtp_server: MailCatcher
) -> None:
    await submit(site_client)
    mailroom = Mailroom(site_settings, smtp_server)
    assert (await mailroom.deliver()).sent == 1
    mail = mailroom.last()
    assert "Service-Telefon: +49 201 1234567" in mail.text
    assert f"Impressum: {SITE['imprint_url']}" in mail.text
    assert f"Datenschutzerklärung: {SITE['privacy_url']}" in mail.text
    assert f'<a href="{SITE["imprint_url"]}">Impressum</a>' in mail.html


def test_production_refuses_to_start_without_imprint_and_privacy_policy(
    settings: Settings, tmp_path: Path
) -> None:
    path = tmp_path / "dsr.yaml"
    path.write_text(yaml.safe_dump({"site": {"phone": "0201 1234567"}}))
    production = settings.model_copy(update={"env": Mode.PRODUCTION, "config": path})
    with pytest.raises(ConfigError, match="imprint_url and privacy_url required"):
        create_app(production)
