"""The names of things: one concept, one name, in code, tables, API and UI."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class RequestKind(StrEnum):
    ACCESS = "access"  # Art. 15
    RECTIFICATION = "rectification"  # Art. 16
    ERASURE = "erasure"  # Art. 17
    RESTRICTION = "restriction"  # Art. 18
    PORTABILITY = "portability"  # Art. 20
    OBJECTION = "objection"  # Art. 21


class Channel(StrEnum):
    WEB = "web"
    PHONE = "phone"
    EMAIL = "email"
    LETTER = "letter"


class RequestStatus(StrEnum):
    RECEIVED = "received"
    AWAITING_VERIFICATION = "awaiting_verification"
    VERIFIED = "verified"
    PROCESSING = "processing"
    AWAITING_REVIEW = "awaiting_review"
    COMPLETED = "completed"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"

    @property
    def is_open(self) -> bool:
        return self not in CLOSED_STATUSES


CLOSED_STATUSES = frozenset(
    {RequestStatus.COMPLETED, RequestStatus.REJECTED, RequestStatus.WITHDRAWN}
)


class VerificationLevel(StrEnum):
    """Weakest first; see DESIGN.md "Verification"."""

    NONE = "none"
    EMAIL = "email"
    EMAIL_MATCHED = "email_matched"
    KBA = "kba"
    DOCUMENT = "document"


class Language(StrEnum):
    """The languages of the person's pages and e-mails; what each one needs is its record in
    ``LANGUAGES`` below (and its catalog, see README "Translations")."""

    DE = "de"
    EN = "en"
    TR = "tr"
    PL = "pl"
    RU = "ru"
    UK = "uk"
    AR = "ar"

    @property
    def native_name(self) -> str:
        """The language's own name, for the language switch."""
        return LANGUAGES[self].native_name

    @property
    def locale(self) -> str:
        """The Babel locale of its dates."""
        return LANGUAGES[self].locale

    @property
    def direction(self) -> str:
        return "rtl" if LANGUAGES[self].rtl else "ltr"

    @property
    def letters(self) -> Language:
        """The language of this request's letters: German or English."""
        return LANGUAGES[self].letters

    @property
    def for_staff(self) -> bool:
        """Staff pages (console, desk, admin) are German and English only."""
        return self in LETTER_LANGUAGES


@dataclass(frozen=True, slots=True)
class LanguageRecord:
    native_name: str
    locale: str
    letters: Language
    rtl: bool = False


# Letters are legal documents in the controller's languages, German and English (one Word
# template each). A request in another language gets English letters — a person who did not
# choose German most likely reads English — and the e-mail carrying one says so in their
# own language.
LETTER_LANGUAGES = (Language.DE, Language.EN)
LANGUAGES: dict[Language, LanguageRecord] = {
    Language.DE: LanguageRecord("Deutsch", "de_DE", letters=Language.DE),
    Language.EN: LanguageRecord("English", "en_GB", letters=Language.EN),
    Language.TR: LanguageRecord("Türkçe", "tr_TR", letters=Language.EN),
    Language.PL: LanguageRecord("Polski", "pl_PL", letters=Language.EN),
    Language.RU: LanguageRecord("Русский", "ru_RU", letters=Language.EN),
    Language.UK: LanguageRecord("Українська", "uk_UA", letters=Language.EN),
    Language.AR: LanguageRecord("العربية", "ar", letters=Language.EN, rtl=True),
}


class Role(StrEnum):
    AGENT = "agent"
    DPO = "dpo"
    ADMIN = "admin"


class RejectionGround(StrEnum):
    UNVERIFIABLE = "unverifiable"  # Art. 11(2)
    MANIFESTLY_UNFOUNDED = "manifestly_unfounded"  # Art. 12(5)
    EXCESSIVE = "excessive"  # Art. 12(5), e.g. repetitive
