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
    ERASURE_FREEDOM_OF_EXPRESSION = "erasure_freedom_of_expression"  # Art. 17(3)(a)
    ERASURE_LEGAL_OBLIGATION = "erasure_legal_obligation"  # Art. 17(3)(b)
    ERASURE_PUBLIC_HEALTH = "erasure_public_health"  # Art. 17(3)(c)
    ERASURE_ARCHIVING_RESEARCH = "erasure_archiving_research"  # Art. 17(3)(d)
    ERASURE_LEGAL_CLAIMS = "erasure_legal_claims"  # Art. 17(3)(e)
    BDSG_35_NON_AUTOMATED = "bdsg_35_non_automated"  # § 35(1) BDSG
    OBJECTION_COMPELLING_GROUNDS = "objection_compelling_grounds"  # Art. 21(1) sentence 2
    RIGHTS_OF_OTHERS = "rights_of_others"  # Art. 15(4)
    BDSG_29_SECRECY = "bdsg_29_secrecy"  # § 29(1) sentence 2 BDSG
    BDSG_34_RETENTION_ONLY = "bdsg_34_retention_only"  # § 34(1) no. 2 BDSG


class Outcome(StrEnum):
    """How a closed request ended (the register, the statistics, the API)."""

    PROVIDED = "provided"  # access / portability: data found and released
    NO_DATA = "no_data"  # nothing found under the identifiers searched
    ERASED = "erased"
    PARTIALLY_ERASED = "partially_erased"  # erased but for rows under a retention hold
    RECTIFIED = "rectified"
    RESTRICTED = "restricted"
    OBJECTION_UPHELD = "objection_upheld"
    REFUSED = "refused"  # with its ground (request.refusal_ground)
    WITHDRAWN = "withdrawn"
    UNVERIFIABLE = "unverifiable"  # Art. 11(2), or never confirmed
