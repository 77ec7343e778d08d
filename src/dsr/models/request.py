"""A data-subject request, its subject (encrypted identifiers) and verification attempts."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import JSON, Column, ColumnElement, Index, Text, func, text
from sqlmodel import Field, SQLModel, col

from dsr.models.base import UTCDateTime, new_id, utcnow

EXTENSION_REASON = "request.extension_reason"  # the label its encryption is bound to


class Subject(SQLModel, table=True):
    """The requester's identifiers, each encrypted; blind indexes for lookup. Nothing else."""

    __tablename__ = "subject"

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    name_enc: str | None = Field(default=None, sa_type=Text)
    email_enc: str | None = Field(default=None, sa_type=Text)
    phone_enc: str | None = Field(default=None, sa_type=Text)
    customer_number_enc: str | None = Field(default=None, sa_type=Text)
    postal_address_enc: str | None = Field(default=None, sa_type=Text)
    date_of_birth_enc: str | None = Field(default=None, sa_type=Text)
    identifiers_enc: str | None = Field(default=None, sa_type=Text)  # declared types, JSON
    email_bidx: str | None = Field(default=None, max_length=64, index=True)
    phone_bidx: str | None = Field(default=None, max_length=64, index=True)
    customer_number_bidx: str | None = Field(default=None, max_length=64, index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    purged_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class Request(SQLModel, table=True):
    """One request. ``status`` is written only by ``dsr.workflows.engine``."""

    __tablename__ = "request"
    __table_args__ = (
        Index(
            "ix_request_effective_due",
            text("coalesce(paused_due_on, extended_due_on, due_on)"),
            "reference",
        ),
        Index("ix_request_status_due", "status", "due_on"),
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    reference: str = Field(max_length=32, unique=True)
    kind: str = Field(max_length=32, index=True)
    channel: str = Field(max_length=16)
    status: str = Field(max_length=32)
    received_at: datetime = Field(sa_type=UTCDateTime)
    due_on: date
    extended_due_on: date | None = None
    paused_days: int = 0
    paused_due_on: date | None = None
    extension_reason_enc: str | None = Field(default=None, sa_type=Text)  # the DPO's reasons
    verification_level: str = Field(default="none", max_length=16)
    language: str = Field(default="de", max_length=8)
    subject_id: uuid.UUID = Field(foreign_key="subject.id", index=True)
    created_by: uuid.UUID | None = Field(default=None, foreign_key="staff.id", index=True)
    assigned_to: uuid.UUID | None = Field(default=None, index=True)  # a staff id: who works it
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    outcome: str | None = Field(default=None, max_length=64)  # dsr.domain.vocabulary.Outcome
    refusal_ground: str | None = Field(default=None, max_length=64)  # with outcome "refused"
    needs_attention: bool = Field(default=False)
    details_enc: str | None = Field(default=None, sa_type=Text)
    changes_enc: str | None = Field(default=None, sa_type=Text)
    status_token_digest: str | None = Field(default=None, max_length=64, unique=True, index=True)
    keys_enc: str | None = Field(default=None, sa_type=Text)
    version: int = Field(default=1)

    @property
    def effective_due_on(self) -> date:
        """The date the answer is due: paused, else extended, else the first deadline."""
        return self.paused_due_on or self.extended_due_on or self.due_on


def effective_due() -> ColumnElement[date]:
    """``effective_due_on`` in SQL (the expression the due-date index is built on)."""
    return func.coalesce(
        col(Request.paused_due_on), col(Request.extended_due_on), col(Request.due_on)
    )


class Verification(SQLModel, table=True):
    """One verification attempt. Stores fact *names* that matched, never their values."""

    __tablename__ = "verification"

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    request_id: uuid.UUID = Field(foreign_key="request.id", index=True)
    method: str = Field(max_length=16)
    code_hash: str | None = Field(default=None, max_length=128)
    link_digest: str | None = Field(default=None, max_length=64, unique=True, index=True)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    attempts: int = 0
    result: str = Field(default="pending", max_length=16)
    matched_facts: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    completed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ReferenceCounter(SQLModel, table=True):
    """Last reference number handed out per year (``DSR-2026-000042``)."""

    __tablename__ = "reference_counter"

    year: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    last: int = 0
