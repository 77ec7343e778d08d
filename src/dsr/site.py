"""``site:`` in ``dsr.yaml``: what every public page and every mail to the person shows besides
the controller — the imprint and privacy-policy links (a German company's public site needs
both), a logo, the accent colour and the service phone number.

Values are checked on the way in: links only ``https://`` or ``http://`` (never ``javascript:``
or ``data:``), the colour only ``#rrggbb`` and dark enough for white text and for links on
white (WCAG AA, 4.5:1), the phone number only digits and the usual separators.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict

from dsr.domain.errors import ConfigError

LOGO_TYPES = {
    ".png": "image/png",
    ".svg": "image/svg+xml",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".webp": "image/webp",
}
LOGO_MAX_BYTES = 512 * 1024
MIN_CONTRAST = 4.5
_UNSAFE = re.compile(r"[\s\"'<>\\`]|[\x00-\x1f\x7f]")
_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
_HOST = re.compile(r"^[A-Za-z0-9.\-]+(:[0-9]{1,5})?$")
_PHONE = re.compile(r"^\+?[0-9][0-9 ()/.\-]{2,30}$")


def web_address(value: str) -> str:
    """An absolute ``https://`` or ``http://`` address with a host, and nothing that could
    leave an HTML attribute."""
    parts = urlsplit(value)
    if parts.scheme not in {"https", "http"} or not parts.hostname:
        raise ValueError("must be an https:// or http:// address")
    if len(value) > 500 or _UNSAFE.search(value):
        raise ValueError("must be a plain address (no spaces, quotes or angle brackets)")
    if not _HOST.match(parts.netloc):
        raise ValueError("the host may hold letters, digits, dots, hyphens and a :port only")
    return value


def contrast_with_white(colour: str) -> float:
    """The WCAG contrast ratio of ``#rrggbb`` against white."""

    def channel(hex_pair: str) -> float:
        c = int(hex_pair, 16) / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    red, green, blue = (channel(colour[i : i + 2]) for i in (1, 3, 5))
    luminance = 0.2126 * red + 0.7152 * green + 0.0722 * blue
    return 1.05 / (luminance + 0.05)


def accent_colour(value: str) -> str:
    if not _COLOUR.match(value):
        raise ValueError("must be a colour written #rrggbb, e.g. #0b5cad")
    ratio = contrast_with_white(value)
    if ratio < MIN_CONTRAST:
        raise ValueError(
            f"{value} is too light: {ratio:.1f}:1 against white, buttons and links need "
            f"{MIN_CONTRAST}:1 (WCAG AA); choose a darker shade"
        )
    return value.lower()


def phone_number(value: str) -> str:
    if not _PHONE.match(value):
        raise ValueError("must be a phone number: digits, spaces, + ( ) / . -")
    return value


def logo_source(value: str) -> str:
    """An image address, or the path of a PNG, SVG, JPEG or WebP file (served at /site/logo)."""
    if "://" in value or value.lower().startswith(("javascript:", "data:")):
        return web_address(value)
    path = Path(value)
    if path.suffix.lower() not in LOGO_TYPES:
        raise ValueError("a logo file must be .png, .svg, .jpg or .webp")
    if not path.is_file():
        raise ValueError(f"{value}: no such file")
    if path.stat().st_size > LOGO_MAX_BYTES:
        raise ValueError(f"{value}: larger than {LOGO_MAX_BYTES // 1024} KiB")
    return value


class Site(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    imprint_url: Annotated[str, AfterValidator(web_address)] | None = None
    privacy_url: Annotated[str, AfterValidator(web_address)] | None = None
    logo: Annotated[str, AfterValidator(logo_source)] | None = None
    accent_color: Annotated[str, AfterValidator(accent_colour)] | None = None
    phone: Annotated[str, AfterValidator(phone_number)] | None = None

    @property
    def logo_file(self) -> Path | None:
        """The logo on disk, when ``logo`` names a file rather than an address."""
        if self.logo is None or "://" in self.logo:
            return None
        return Path(self.logo)

    @property
    def logo_url(self) -> str | None:
        if self.logo is None:
            return None
        return "/site/logo" if self.logo_file is not None else self.logo

    @property
    def logo_origin(self) -> str | None:
        """The origin the page's CSP must allow images from, for a logo served elsewhere."""
        if self.logo is None or self.logo_file is not None:
            return None
        parts = urlsplit(self.logo)
        return f"{parts.scheme}://{parts.netloc}"

    @property
    def phone_link(self) -> str | None:
        """``tel:+492011234567`` for the footer's link."""
        if self.phone is None:
            return None
        return "tel:" + "".join(c for c in self.phone if c.isdigit() or c == "+")

    @property
    def stylesheet(self) -> str:
        """The CSS custom properties of the accent colour (served as /site.css, within the
        CSP's ``style-src 'self'``)."""
        if self.accent_color is None:
            return ""
        return f":root {{ --accent: {self.accent_color}; }}\n"


def require_for_production(site: Site, path: Path) -> None:
    """Production needs the imprint and the privacy policy linked on every public page."""
    missing = [key for key in ("imprint_url", "privacy_url") if getattr(site, key) is None]
    if missing:
        raise ConfigError(
            f"{path}: site: {' and '.join(missing)} required when DSR_ENV=production "
            "(every public page links the imprint and the privacy policy)"
        )
