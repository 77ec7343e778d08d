"""The names of things: one concept, one name, in code, tables, API and UI."""

from __future__ import annotations

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
    DE = "de"
    EN = "en"


class Role(StrEnum):
    AGENT = "agent"
    DPO = "dpo"
    ADMIN = "admin"


class RejectionGround(StrEnum):
    UNVERIFIABLE = "unverifiable"  # Art. 11(2)
    MANIFESTLY_UNFOUNDED = "manifestly_unfounded"  # Art. 12(5)
    EXCESSIVE = "excessive"  # Art. 12(5), e.g. repetitive
