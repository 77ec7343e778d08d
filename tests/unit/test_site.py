"""``site:`` in dsr.yaml: hostile or unusable values are refused with the key named."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from dsr.config import load_config
from dsr.domain.errors import ConfigError
from dsr.site import Site, contrast_with_white, require_for_production


def _load(tmp_path: Path, site: dict[str, str]) -> Site:
    path = tmp_path / "dsr.yaml"
    path.write_text(yaml.safe_dump({"site": site}))
    return load_config(path, required=True).site


@pytest.mark.parametrize(
    ("key", "value", "problem"),
    [
        ("imprint_url", "javascript:alert(1)", "https:// or http://"),
        ("imprint_url", "JavaScript://%0aalert(1)", "https:// or http://"),
        ("privacy_url", "data:text/html,<script>alert(1)</script>", "https:// or http://"),
        ("privacy_url", "//example.org/datenschutz", "https:// or http://"),
        ("privacy_url", "ftp://example.org/datenschutz", "https:// or http://"),
        ("imprint_url", 'https://example.org/" onmouseover="alert(1)', "plain address"),
        ("imprint_url", "https://example.org/<script>", "plain address"),
        ("imprint_url", "https://user:secret@example.org/", "host may hold"),
        ("logo", "https://cdn.example.org;script-src *", "plain address"),
        ("logo", "https://cdn.example.org;script-src", "host may hold"),
        ("logo", "javascript:alert(1)", "https:// or http://"),
        ("logo", "logo.gif", ".png, .svg, .jpg or .webp"),
        ("logo", "/no/such/logo.png", "no such file"),
        ("accent_color", "red", "#rrggbb"),
        ("accent_color", "#0b5cad; } body { display: none", "#rrggbb"),
        ("accent_color", "#ffcc00", "too light"),
        ("phone", "0201 123<script>", "phone number"),
    ],
)
def test_hostile_or_unusable_values_are_refused(
    tmp_path: Path, key: str, value: str, problem: str
) -> None:
    with pytest.raises(ConfigError) as error:
        _load(tmp_path, {key: value})
    assert f"site.{key}" in str(error.value) and problem in str(error.value)


def test_good_values_are_taken_and_derived_for_pages(tmp_path: Path) -> None:
    logo = tmp_path / "logo.svg"
    logo.write_text("<svg xmlns='http://www.w3.org/2000/svg'/>")
    site = _load(
        tmp_path,
        {
            "imprint_url": "https://www.example.org/impressum",
            "privacy_url": "http://www.example.org/datenschutz?x=1#top",
            "logo": str(logo),
            "accent_color": "#0B5CAD",
            "phone": "+49 (201) 123-45 67",
        },
    )
    assert site.logo_url == "/site/logo" and site.logo_origin is None
    assert site.phone_link == "tel:+492011234567"
    assert site.stylesheet == ":root { --accent: #0b5cad; }\n"
    remote = Site(logo="https://cdn.example.org:8443/brand/logo.png")
    assert remote.logo_url == "https://cdn.example.org:8443/brand/logo.png"
    assert remote.logo_origin == "https://cdn.example.org:8443"


@pytest.mark.parametrize(
    ("colour", "ratio"), [("#ffffff", 1.0), ("#000000", 21.0), ("#0b5cad", 6.7), ("#767676", 4.5)]
)
def test_contrast_against_white_follows_wcag(colour: str, ratio: float) -> None:
    assert round(contrast_with_white(colour), 1) == ratio


def test_production_needs_imprint_and_privacy_policy(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="imprint_url and privacy_url required"):
        require_for_production(Site(phone="0201 1"), tmp_path / "dsr.yaml")
    with pytest.raises(ConfigError, match="privacy_url required"):
        require_for_production(Site(imprint_url="https://e.org/i"), tmp_path / "dsr.yaml")
    require_for_production(
        Site(imprint_url="https://e.org/i", privacy_url="https://e.org/p"), tmp_path / "dsr.yaml"
    )
