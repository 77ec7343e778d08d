"""Normalising the identifiers a requester gives, so that equal things compare equal.

Normal forms feed the blind indexes: two spellings of one address must produce one index
value, and two different addresses must never collide through a Unicode trick.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import phonenumbers
from email_validator import validate_email

from dsr.domain.errors import InvalidInput

MAX_NAME = 200
MAX_EMAIL = 254
MAX_PHONE = 40
MAX_CUSTOMER_NUMBER = 64
MAX_ADDRESS = 500

# Bidi overrides/isolates and zero-width characters: invisible, used to disguise text.
_INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True, slots=True)
class Identity:
    """What a requester says about themself, in normal form. Every field is personal data."""

    name: str
    email: str | None = None
    phone: str | None = None
    customer_number: str | None = None
    postal_address: str | None = None
    date_of_birth: str | None = None
    identifiers: str | None = None  # declared identifier types, as JSON: {"loyalty_id": "L-7"}

    def claimed(self) -> dict[str, str]:
        """The declared identifiers the person gave: claims to check, never search keys."""
        loaded = json.loads(self.identifiers) if self.identifiers else {}
        return {str(k): str(v) for k, v in loaded.items()} if isinstance(loaded, dict) else {}


def clean_text(value: str, *, multiline: bool = False) -> str:
    """NFC, no control or invisible direction characters, folded white space."""
    value = _INVISIBLE.sub("", unicodedata.normalize("NFC", value))
    if _CONTROL.search(value):
        raise ValueError("control characters")
    if multiline:
        lines = (_SPACES.sub(" ", line).strip() for line in value.replace("\r", "").split("\n"))
        return "\n".join(line for line in lines if line)
    if "\n" in value or "\r" in value:
        raise ValueError("line break")
    return _SPACES.sub(" ", value).strip()


def normalize_email(value: str) -> str:
    """Validated address, lower-cased as a whole (mail providers treat it so)."""
    value = unicodedata.normalize("NFKC", value).strip()
    if _INVISIBLE.search(value) or _CONTROL.search(value):
        raise ValueError("hidden characters")
    result = validate_email(value, check_deliverability=False)
    local, _, domain = result.normalized.rpartition("@")
    if any(len(_scripts(part)) > 1 for part in [local, *domain.split(".")]):
        raise ValueError("letters of several scripts in one part (a look-alike address)")
    return result.normalized.casefold()


def transport_address(email: str) -> str:
    """The address as SMTP carries it: the domain in its ASCII form (IDNA, ``xn--``), which
    every mail server routes; only a non-ASCII local part still needs the server's SMTPUTF8."""
    result = validate_email(email, check_deliverability=False)
    return f"{result.local_part}@{result.ascii_domain}"


def _scripts(text: str) -> set[str]:
    """The scripts of the letters in ``text`` ("LATIN", "CYRILLIC", "GREEK", ...): an
    address part mixing them (``еrika`` with a Cyrillic е) imitates another address."""
    return {unicodedata.name(char, "UNKNOWN").split(" ", 1)[0] for char in text if char.isalpha()}


def normalize_phone(value: str, default_region: str = "DE") -> str:
    """E.164, e.g. ``+492011234567``."""
    value = unicodedata.normalize("NFKC", value)
    try:
        number = phonenumbers.parse(value, default_region)
    except phonenumbers.NumberParseException as exc:
        raise ValueError("not a phone number") from exc
    if not phonenumbers.is_valid_number(number):
        raise ValueError("not a valid phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalize_customer_number(value: str) -> str:
    """Upper case, without spaces, dots or dashes: ``k-100 42`` -> ``K10042``."""
    value = unicodedata.normalize("NFKC", value)
    value = re.sub(r"[\s.\-/]", "", value).upper()
    if not value or not value.isalnum() or not value.isascii():
        raise ValueError("not a customer number")
    return value


def normalize_identity(
    *,
    name: str,
    email: str | None = None,
    phone: str | None = None,
    customer_number: str | None = None,
    postal_address: str | None = None,
    date_of_birth: str | None = None,
    prefix: str = "subject.",
) -> Identity:
    """All fields at once; every invalid field is reported, each under its own path."""
    errors: dict[str, str] = {}

    def attempt(
        field: str, limit: int, raw: str | None, normalize: Callable[[str], str]
    ) -> str | None:
        if raw is None or not raw.strip():
            return None
        if len(raw) > limit:
            errors[prefix + field] = "too_long"
            return None
        try:
            return normalize(raw)
        except ValueError:  # EmailNotValidError is one
            errors[prefix + field] = f"invalid_{field}"
            return None

    clean_name = attempt("name", MAX_NAME, name, clean_text)
    if not clean_name and prefix + "name" not in errors:
        errors[prefix + "name"] = "required"
    normal = Identity(
        name=clean_name or "",
        email=attempt("email", MAX_EMAIL, email, normalize_email),
        phone=attempt("phone", MAX_PHONE, phone, normalize_phone),
        customer_number=attempt(
            "customer_number", MAX_CUSTOMER_NUMBER, customer_number, normalize_customer_number
        ),
        postal_address=attempt(
            "postal_address",
            MAX_ADDRESS,
            postal_address,
            lambda raw: clean_text(raw, multiline=True),
        ),
        date_of_birth=attempt("date_of_birth", 10, date_of_birth, _iso_date),
    )
    if errors:
        raise InvalidInput(errors)
    return normal


def _iso_date(value: str) -> str:
    return date.fromisoformat(value.strip()).isoformat()
