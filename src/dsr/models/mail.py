"""Mail read from the watched mailbox, its links to requests, and the poller's lease."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import JSON, BigInteger, Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from dsr.models.base import UTCDateTime, new_id, utcnow


class MailMessage(SQLModel, table=True):
    """One message read from the mailbox, once: (folder, UIDVALIDITY, UID) is its key.

    ``outcome``: ``filed`` (requests made from it), ``linked`` (a reply or reminder attached
    to a request), ``triage`` (waits for the DPO), ``ignored`` (auto-reply, bounce, spam) or
    ``dismissed`` (the DPO said: not a request). The original is archived encrypted as
    ``artifact_id``; sender and subject are encrypted; ``reason`` is a code, never text."""

    __tablename__ = "mail_message"
    __table_args__ = (UniqueConstraint("folder", "uidvalidity", "uid"),)

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    folder: str = Field(max_length=255)
    uidvalidity: int = Field(sa_column=Column(BigInteger, nullable=False))
    uid: int = Field(sa_column=Column(BigInteger, nullable=False))
    received_at: datetime = Field(sa_type=UTCDateTime)  # the server's INTERNALDATE
    message_id_digest: str | None = Field(default=None, max_length=64, index=True)
    message_id_enc: str | None = Field(default=None, sa_type=Text)
    sender_enc: str | None = Field(default=None, sa_type=Text)
    subject_enc: str | None = Field(default=None, sa_type=Text)
    language: str = Field(default="de", max_length=8)
    kinds: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    outcome: str = Field(max_length=16, index=True)
    reason: str | None = Field(default=None, max_length=32)
    attachments: int = 0
    artifact_id: uuid.UUID | None = Field(default=None, foreign_key="artifact.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    moved_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class MailLink(SQLModel, table=True):
    """A message's place in a request's file: ``filed`` (the request came from it),
    ``reply`` (the person answered one of our mails) or ``reminder``."""

    __tablename__ = "mail_link"

    mail_id: uuid.UUID = Field(foreign_key="mail_message.id", primary_key=True)
    request_id: uuid.UUID = Field(foreign_key="request.id", primary_key=True, index=True)
    role: str = Field(max_length=16)


class MailboxLease(SQLModel, table=True):
    """Who reads the mailbox now: one row per mailbox, held until ``lease_until``."""

    __tablename__ = "mailbox_lease"

    name: str = Field(primary_key=True, max_length=64)
    owner: str | None = Field(default=None, max_length=64)
    lease_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
