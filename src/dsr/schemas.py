"""Typed shapes of what comes in and goes out of the API (OpenAPI is generated from them)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from dsr.domain.vocabulary import Channel, Language, RequestKind, RequestStatus

Short = Annotated[str, Field(max_length=200)]
ChangeField = Literal[
    "name",
    "email",
    "phone",
    "customer_number",
    "other",
    "postal_address",  # only with ``address``: one free-form string is refused
    "postal_address.street",
    "postal_address.postcode",
    "postal_address.city",
    "postal_address.country",
]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_max_length=5000)


class SubjectIn(_In):
    name: Short
    email: Annotated[str | None, Field(max_length=254)] = None
    phone: Annotated[str | None, Field(max_length=40)] = None
    customer_number: Annotated[str | None, Field(max_length=64)] = None
    postal_address: Annotated[str | None, Field(max_length=500)] = None
    identifiers: Annotated[
        dict[Annotated[str, Field(max_length=32)], Annotated[str, Field(max_length=200)]],
        Field(max_length=10, description="identifier types declared in dsr.yaml (identifiers:)"),
    ] = Field(default_factory=dict)


class AddressIn(_In):
    """A new postal address, part by part (each part goes to its own column)."""

    street: Annotated[str | None, Field(max_length=200, description="street and number")] = None
    postcode: Annotated[str | None, Field(max_length=10)] = None
    city: Annotated[str | None, Field(max_length=100)] = None
    country: Annotated[str | None, Field(max_length=60, description="ISO code, e.g. DE")] = None


class ChangeIn(_In):
    field: ChangeField
    value: Annotated[
        str | None, Field(max_length=500, description="the new value (none with ``address``)")
    ] = None
    current: Annotated[str | None, Field(max_length=500, description="what is wrong")] = None
    address: AddressIn | None = Field(
        default=None, description='with field "postal_address": the new address in parts'
    )


class RequestIn(_In):
    kind: RequestKind
    channel: Channel = Channel.WEB
    language: Language = Language.DE
    subject: SubjectIn
    details: Annotated[str | None, Field(max_length=5000)] = None
    changes: Annotated[list[ChangeIn], Field(max_length=20)] = Field(default_factory=list)
    received_at: datetime | None = Field(
        default=None,
        description="staff only, for e-mail and letter: when it reached us (default: now)",
    )


class RequestCreated(BaseModel):
    reference: str
    status: RequestStatus
    received_on: date
    due_on: date
    status_url: str | None = Field(
        default=None, description="the requester's private status page (web requests)"
    )


class ActionIn(_In):
    reason: Annotated[str | None, Field(max_length=2000)] = None
    ground: Annotated[str | None, Field(max_length=32)] = None
    task: Annotated[str | None, Field(max_length=64)] = None
    note: Annotated[str | None, Field(max_length=2000)] = None
    found: Literal["yes", "no"] | None = None  # resolve_task on a paper archive's task


class VerifyIn(_In):
    code: Annotated[str, Field(min_length=1, max_length=12)]


class VerifyOut(BaseModel):
    status: RequestStatus
    verification_level: str


class RequestSummary(BaseModel):
    reference: str
    kind: RequestKind
    channel: Channel
    status: RequestStatus
    received_on: date
    due_on: date
    extended_due_on: date | None
    verification_level: str
    needs_attention: bool


class RequestPage(BaseModel):
    items: list[RequestSummary]
    next_cursor: str | None


class TaskOut(BaseModel):
    id: str
    store: str
    action: str
    status: str
    attempts: int
    error: str | None
    result: dict[str, object] | None = None


class LetterOut(BaseModel):
    id: str
    kind: str
    language: str
    version: int
    sha256: str
    created_at: datetime
    sent_at: datetime | None
    channel: str | None


class EventOut(BaseModel):
    seq: int | None = Field(
        description="place in the audit chain; null for the second or so before it is chained"
    )
    at: datetime
    actor: str
    action: str
    payload: dict[str, object]


class ColumnChangeOut(BaseModel):
    """One column a change is mapped to in one store: what it holds now and what it gets."""

    store: str
    table: str | None
    column: str | None
    old: list[str] | None = Field(description="the values the person's rows hold now")
    new: str
    note: str | None = Field(
        default=None, description="not_shown, not_mapped, no_rows, unknown_person, unavailable"
    )


class ChangeOut(BaseModel):
    field: str
    value: str
    current: str | None = Field(description="what the person says is wrong")
    columns: list[ColumnChangeOut]


class AskedOut(BaseModel):
    """The request as the person asked it (decrypted for the DPO; each view is audited)."""

    details: str | None = Field(description="the person's own words")
    changes: list[ChangeOut]
    channel: Channel
    received_at: datetime
    recorded_by: str | None = Field(description="the staff member who recorded it")
    receipt_event: int | None = Field(description="seq of the receipt in the audit chain")
    receipt_hash: str | None


class RequestDetail(RequestSummary):
    """Agents get status and dates of their own requests: the personal parts (the
    extension's reasons, tasks with their results, letters, the timeline) are null for
    them; the DPO gets everything."""

    language: Language
    received_at: datetime
    extension_reason: str | None
    closed_at: datetime | None
    outcome: str | None  # provided, no_data, erased, partially_erased, rectified, restricted,
    #                      objection_upheld, refused, withdrawn, unverifiable
    refusal_ground: str | None  # with "refused": the ground (dsr.domain.refusals)
    tasks: list[TaskOut] | None = Field(description="null for agents")
    letters: list[LetterOut] | None = Field(description="null for agents")
    timeline: list[EventOut] | None = Field(description="null for agents")
    asked: AskedOut | None = Field(
        default=None, description="GET for the DPO: what the person asked, old and new values"
    )


class DeskVerificationIn(_In):
    """A verification the desk made: ``document`` (an ID document seen on ``seen_on`` by
    ``seen_by``, a staff username; the acting one by default), ``kba`` (the caller's answers
    in ``facts``, judged against the system of record), ``email_code`` (a code to the
    e-mail address on file) or ``letter`` (a letter with a code to the address on file)."""

    method: Literal["document", "kba", "email_code", "letter"]
    seen_on: date | None = None
    seen_by: Annotated[str | None, Field(max_length=64)] = None
    facts: Annotated[
        dict[
            Literal["customer_number", "last_invoice_date", "last_invoice_amount", "phone_pin"],
            Annotated[str, Field(max_length=64)],
        ],
        Field(max_length=4),
    ] = Field(default_factory=dict)


class DeskVerificationOut(BaseModel):
    result: Literal[
        "verified", "not_matched", "refused", "code_sent", "no_email_on_file", "letter_requested"
    ]
    level: str = Field(description="the level this method gives once it succeeds")
    matched: dict[str, bool] = Field(description="kba: per fact given, whether it matched")
    status: RequestStatus
    verification_level: str
