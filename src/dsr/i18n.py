"""User-facing text: gettext catalogs (Babel), German by default.

Message ids are English; ``locale/<code>/LC_MESSAGES/messages.po`` holds each language's
text (German complete; the person's other languages complete for what the person sees, the
files of ``babel-person.cfg``). Mark text for extraction with ``_()`` in templates and ``N_()``
in Python.
"""

from __future__ import annotations

from collections.abc import Collection
from functools import lru_cache
from gettext import NullTranslations
from io import BytesIO
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

from dsr.domain.vocabulary import Language

LOCALE_DIR = Path(__file__).parent / "locale"


def N_(text: str) -> str:
    """Mark ``text`` for extraction without translating it here."""
    return text


# Problem titles and field messages of the API, by code.
MESSAGES: dict[str, str] = {
    "invalid_input": N_("Some input is missing or invalid."),
    "not_found": N_("Not found."),
    "forbidden": N_("You are not allowed to do this."),
    "unauthenticated": N_("Please sign in."),
    "invalid_transition": N_("This step is not possible in the request's current status."),
    "conflict": N_("The record was changed at the same time. Please try again."),
    "too_large": N_("The request is too large."),
    "method_not_allowed": N_("This method is not allowed here."),
    "unsupported_media_type": N_("This content type is not supported."),
    "too_many_requests": N_("Too many requests. Please wait a moment."),
    "unavailable": N_("The service is temporarily unavailable."),
    "server_error": N_("An internal error occurred. Nothing was changed."),
    "bad_request": N_("The request is malformed."),
    "required": N_("This is required."),
    "password_too_short": N_("At least 12 characters, please."),
    "passwords_differ": N_("The two passwords differ."),
    "password_unchanged": N_("Please choose a new password."),
    "choose_kind": N_("Please choose what you would like to do."),
    "spam": N_("Your request could not be sent. Please try again."),
    "wrong_code": N_("This code is not correct. Please check it and try again."),
    "expired_code": N_("This code has expired. Please ask for a new code."),
    "exhausted_code": N_("Too many wrong attempts. Please ask for a new code."),
    "too_long": N_("Too long."),
    "invalid_value": N_("Invalid value."),
    "invalid_type": N_("Wrong type of value."),
    "unknown_field": N_("There is no such field."),
    "invalid_name": N_("The name contains characters that are not allowed."),
    "invalid_email": N_("Please give a valid e-mail address."),
    "email_not_deliverable": N_(
        "Our mail server cannot deliver to an address with letters other than a-z before "
        "the @. Please give another address."
    ),
    "invalid_phone": N_("Please give a valid phone number."),
    "invalid_customer_number": N_("The customer number may contain letters and digits only."),
    "invalid_postal_address": N_("The address contains characters that are not allowed."),
    "invalid_date_of_birth": N_("Please give a date as YYYY-MM-DD."),
    "invalid_text": N_("The text contains control characters that are not allowed."),
    "address_structured": N_(
        "Please give the new address in its parts: street and house number, postcode, city "
        "and country, each in its own field."
    ),
    "invalid_postcode": N_("Please give a valid postcode (in Germany five digits)."),
    "invalid_country": N_("Please give the country as a two-letter code, e.g. DE."),
    "duplicate_change": N_("Each piece of information can be corrected once per request."),
    "invalid_cursor": N_("Invalid page cursor."),
    "only_email_or_letter": N_("Only for requests received by e-mail or letter."),
    "timezone_required": N_("Please include a time zone."),
    "in_future": N_("Must not be in the future."),
    "too_old": N_("Too far back (90 days at most)."),
    "letter_template": N_(
        "A letter template cannot be used (missing, not a .docx, or an unknown placeholder). "
        "Nothing was changed; the server log names the template."
    ),
    "pdf_unavailable": N_("PDF needs LibreOffice, which is not installed on this server."),
    "invalid_username": N_("Username: 2–64 characters, lower-case letters, digits, . _ -"),
}


@lru_cache(maxsize=16)
def translations(language: Language) -> NullTranslations:
    """The catalog of ``language``, compiled from its .po file on first use."""
    po = LOCALE_DIR / language.value / "LC_MESSAGES" / "messages.po"
    if not po.exists():
        return NullTranslations()
    with po.open("rb") as handle:
        catalog = read_po(handle, locale=language.value)
    compiled = BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(compiled)


def gettext(language: Language, text: str) -> str:
    return translations(language).gettext(text)


def message(code: str, language: Language) -> str:
    return gettext(language, MESSAGES.get(code) or MESSAGES["invalid_value"])


def pick_language(
    accept_language: str | None,
    requested: str | None = None,
    among: Collection[Language] = tuple(Language),
) -> Language:
    """An explicit choice wins; then the best Accept-Language ``among`` those offered; else
    German."""
    offered = {language.value: language for language in among}
    if requested in offered:
        return offered[requested]
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate((accept_language or "")[:500].split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        ranked.append((-quality, position, tag.strip().lower().split("-")[0]))
    for negative_quality, _, tag in sorted(ranked):
        if tag in offered and negative_quality < 0:
            return offered[tag]
    return Language.DE
