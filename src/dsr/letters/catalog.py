"""The letter kinds of LEGAL.md §6: their template files, titles, how each reaches the person,
and the placeholders a template of that kind may use."""

from __future__ import annotations

from enum import StrEnum
from functools import cache
from pathlib import Path

from dsr.i18n import N_

DEFAULT_DIR = Path("templates/letters")


class LetterKind(StrEnum):
    ACKNOWLEDGEMENT = "acknowledgement"
    IDENTITY_REQUEST = "identity_request"  # Art. 12(6)
    EXTENSION = "extension"  # Art. 12(3)
    ACCESS = "access"  # Art. 15
    NEGATIVE = "negative"  # Art. 15: no data held
    RECTIFICATION = "rectification"  # Art. 16, 19
    ERASURE = "erasure"  # Art. 17, 19
    PARTIAL_ERASURE = "partial_erasure"  # Art. 17(3), 18, 12(4)
    RESTRICTION = "restriction"  # Art. 18, 19
    RESTRICTION_LIFT = "restriction_lift"  # Art. 18(3): told before a restriction is lifted
    OBJECTION = "objection"  # Art. 21, 19
    REFUSAL = "refusal"  # Art. 12(4)/(5) and the grounds of dsr.domain.refusals
    UNVERIFIABLE = "unverifiable"  # Art. 11(2)


class Delivery(StrEnum):
    """How a letter reaches the person once it is archived."""

    ATTACHMENT = "attachment"  # nothing beyond the person's own contact details: e-mail it
    DOWNLOAD = "download"  # says what we hold or did with the data: one-time link + code
    PACKAGE = "package"  # the access response travels inside the access package's download


DELIVERY: dict[LetterKind, Delivery] = {
    LetterKind.ACKNOWLEDGEMENT: Delivery.ATTACHMENT,
    LetterKind.IDENTITY_REQUEST: Delivery.ATTACHMENT,
    LetterKind.EXTENSION: Delivery.ATTACHMENT,
    LetterKind.ACCESS: Delivery.PACKAGE,
    LetterKind.NEGATIVE: Delivery.ATTACHMENT,
    LetterKind.RECTIFICATION: Delivery.DOWNLOAD,
    LetterKind.ERASURE: Delivery.DOWNLOAD,
    LetterKind.PARTIAL_ERASURE: Delivery.DOWNLOAD,
    LetterKind.RESTRICTION: Delivery.DOWNLOAD,
    LetterKind.RESTRICTION_LIFT: Delivery.ATTACHMENT,
    LetterKind.OBJECTION: Delivery.DOWNLOAD,
    LetterKind.REFUSAL: Delivery.ATTACHMENT,
    LetterKind.UNVERIFIABLE: Delivery.ATTACHMENT,
}

TITLES: dict[LetterKind, str] = {
    LetterKind.ACKNOWLEDGEMENT: N_("Acknowledgement of receipt"),
    LetterKind.IDENTITY_REQUEST: N_("Request for identity information"),
    LetterKind.EXTENSION: N_("Extension of the deadline"),
    LetterKind.ACCESS: N_("Access response"),
    LetterKind.NEGATIVE: N_("Negative access answer"),
    LetterKind.RECTIFICATION: N_("Rectification confirmation"),
    LetterKind.ERASURE: N_("Erasure confirmation"),
    LetterKind.PARTIAL_ERASURE: N_("Partial erasure with retention"),
    LetterKind.RESTRICTION: N_("Restriction confirmation"),
    LetterKind.RESTRICTION_LIFT: N_("Notice before a restriction is lifted"),
    LetterKind.OBJECTION: N_("Answer to an objection"),
    LetterKind.REFUSAL: N_("Refusal"),
    LetterKind.UNVERIFIABLE: N_("Identity could not be verified"),
}

# The file name a letter is downloaded and attached under: ``<reference>-<stem>.docx``.
FILE_STEMS: dict[LetterKind, dict[str, str]] = {
    LetterKind.ACKNOWLEDGEMENT: {"de": "Eingangsbestaetigung", "en": "acknowledgement"},
    LetterKind.IDENTITY_REQUEST: {"de": "Identitaetsnachweis", "en": "identity-request"},
    LetterKind.EXTENSION: {"de": "Fristverlaengerung", "en": "extension"},
    LetterKind.ACCESS: {"de": "Auskunft", "en": "access-response"},
    LetterKind.NEGATIVE: {"de": "Negativauskunft", "en": "negative-answer"},
    LetterKind.RECTIFICATION: {"de": "Berichtigung", "en": "rectification"},
    LetterKind.ERASURE: {"de": "Loeschbestaetigung", "en": "erasure"},
    LetterKind.PARTIAL_ERASURE: {"de": "Teilloeschung", "en": "partial-erasure"},
    LetterKind.RESTRICTION: {"de": "Einschraenkung", "en": "restriction"},
    LetterKind.RESTRICTION_LIFT: {"de": "Aufhebung-Einschraenkung", "en": "restriction-lift"},
    LetterKind.OBJECTION: {"de": "Widerspruch", "en": "objection"},
    LetterKind.REFUSAL: {"de": "Ablehnung", "en": "refusal"},
    LetterKind.UNVERIFIABLE: {"de": "Identifizierung-nicht-moeglich", "en": "unverifiable"},
}

# Every letter gets these; a template may use any of them.
COMMON_FIELDS = frozenset(
    {
        "controller",  # name, address, address_line, email, phone, contact_line,
        #                phone_clause, legal_line (§ 35a GmbHG)
        "dpo",  # name, email, phone, title
        "authority",  # the supervisory authority: name, explained, address, address_line,
        #               postal_line, email, phone, web, contact_line
        "recipient",  # name, address (lines)
        "reference",
        "received_on",  # long date in the letter's language
        "letter_date",
        "right",  # "Recht auf Auskunft (Art. 15 DSGVO)", "right of access (Art. 15 GDPR)"
        "matter",  # "Ihr Auskunftsantrag", "Ihr Widerspruch", "Your objection"
        "due_on",  # the answer date now in force
    }
)

# What each kind adds. A template naming anything else fails the catalog test.
KIND_FIELDS: dict[LetterKind, frozenset[str]] = {
    LetterKind.ACKNOWLEDGEMENT: frozenset({"verified_by", "grounds_needed", "marketing"}),
    LetterKind.IDENTITY_REQUEST: frozenset(
        {"doubt", "needed", "needed_count", "code", "on_file", "reply_to"}
    ),
    LetterKind.EXTENSION: frozenset({"first_due_on", "reason"}),
    LetterKind.ACCESS: frozenset(
        {"found", "paper_not_found", "records", "transfers", "download", "redactions"}
    ),
    LetterKind.NEGATIVE: frozenset({"searched", "identifiers"}),
    LetterKind.RECTIFICATION: frozenset({"changes", "done_on", "notified", "paper_not_found"}),
    LetterKind.ERASURE: frozenset({"ground", "erased", "done_on", "notified", "paper_not_found"}),
    LetterKind.PARTIAL_ERASURE: frozenset(
        {"ground", "erased", "held", "kept", "done_on", "notified", "paper_not_found"}
    ),
    LetterKind.RESTRICTION: frozenset({"scope", "ground", "done_on", "notified"}),
    LetterKind.RESTRICTION_LIFT: frozenset({"scope", "lift_on", "reason"}),
    LetterKind.OBJECTION: frozenset({"marketing", "scope", "done_on"}),  # no Art. 19
    LetterKind.REFUSAL: frozenset({"decision", "ground_text", "reason", "fee"}),
    LetterKind.UNVERIFIABLE: frozenset({"reason", "may_provide"}),
}


def fields_of(kind: LetterKind) -> frozenset[str]:
    return COMMON_FIELDS | KIND_FIELDS[kind]


@cache  # resolved once per configured path, not on every request
def letters_dir(configured: Path) -> Path:
    """``DSR_LETTERS_DIR``; the default ``templates/letters`` falls back to the copy that
    ships inside the package (an installed dsr has no repository checkout)."""
    if configured.is_dir() or configured != DEFAULT_DIR:
        return configured
    packaged = Path(__file__).resolve().parent.parent / "_letters"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[3] / "templates" / "letters"
