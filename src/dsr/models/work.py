"""Fan-out tasks, stored artefacts, letters and the mail outbox."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, LargeBinary, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from dsr.models.base import SERIAL_ID, UTCDateTime, new_id, utcnow


class Task(SQLModel, table=True):
    """One unit of fan-out work: one action on one store for one request."""

    __tablename__ = "task"
    __table_args__ = (UniqueConstraint("request_id", "store", "action"),)

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    request_id: uuid.UUID = Field(foreign_key="request.id", index=True)
    store: str = Field(max_length=64)
    action: str = Field(max_length=16)
    status: str = Field(default="pending", max_length=16, index=True)
    attempts: int = 0
    next_attempt_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    lease_owner: str | None = Field(default=None, max_length=64)
    lease_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    result_summary: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    error: str | None = Field(default=None, sa_type=Text)
    note_enc: str | None = Field(default=None, sa_type=Text)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class Artifact(SQLModel, table=True):
    """An encrypted blob: an access package, a store's export or a rendered letter.

    Up to one chunk (``dsr.artifacts.CHUNK``) is kept in ``content_enc``; anything larger is
    written and read in ``artifact_chunk`` rows, one chunk at a time, and ``content_enc`` is
    NULL."""

    __tablename__ = "artifact"

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    request_id: uuid.UUID | None = Field(default=None, foreign_key="request.id", index=True)
    kind: str = Field(max_length=32)
    media_type: str = Field(max_length=128)
    content_enc: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    sha256: str = Field(max_length=64)
    size: int
    filename: str | None = Field(default=None, max_length=255)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ArtifactChunk(SQLModel, table=True):
    """One encrypted piece of a large artifact; its number is bound into the encryption."""

    __tablename__ = "artifact_chunk"

    artifact_id: uuid.UUID = Field(foreign_key="artifact.id", primary_key=True)
    seq: int = Field(primary_key=True)
    content_enc: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class Download(SQLModel, table=True):
    """A one-time download link for an artifact, with a code sent alongside it."""

    __tablename__ = "download"

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    request_id: uuid.UUID = Field(foreign_key="request.id", index=True)
    artifact_id: uuid.UUID = Field(foreign_key="artifact.id")
    link_digest: str = Field(max_length=64, unique=True, index=True)
    code_hash: str = Field(max_length=128)
    attempts: int = 0
    expires_at: datetime = Field(sa_type=UTCDateTime)
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Reminder(SQLModel, table=True):
    """A reminder or digest that was sent; its unique ``key`` makes each go out once, however
    many scheduler instances tick (``<request id>:due_in_3``, ``digest:2026-11-28``)."""

    __tablename__ = "reminder"

    key: str = Field(primary_key=True, max_length=80)
    request_id: uuid.UUID | None = Field(default=None, foreign_key="request.id", index=True)
    sent_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Letter(SQLModel, table=True):
    """A rendered response letter; keyed by (request, kind, version)."""

    __tablename__ = "letter"
    __table_args__ = (UniqueConstraint("request_id", "kind", "version"),)

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    request_id: uuid.UUID = Field(foreign_key="request.id", index=True)
    kind: str = Field(max_length=32)
    language: str = Field(max_length=8)
    version: int = 1
    sha256: str = Field(max_length=64)
    artifact_id: uuid.UUID = Field(foreign_key="artifact.id")
    context_enc: str | None = Field(default=None, sa_type=Text)  # the facts, to re-render
    template_sha256: str | None = Field(default=None, max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    channel: str | None = Field(default=None, max_length=16)


class Outbox(SQLModel, table=True):
    """An e-mail to send, written in the transaction that causes it; ``message_id`` is the key."""

    __tablename__ = "outbox"

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    request_id: uuid.UUID | None = Field(default=None, foreign_key="request.id", index=True)
    recipient_enc: str = Field(sa_type=Text)
    subject: str = Field(max_length=255)
    body_enc: str = Field(sa_type=Text)
    # [{"artifact": "<uuid>", "filename": "..."}], attached when the message is built
    attachments: list[dict[str, str]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    status: str = Field(default="pending", max_length=16, index=True)
    attempts: int = 0
    next_attempt_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    message_id: str = Field(max_length=255, unique=True)
    lease_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_error: str | None = Field(default=None, sa_type=Text)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class RateHit(SQLModel, table=True):
    """One counted call of a rate-limited action, on PostgreSQL, where every web process
    counts the same hits (``dsr.security.ratelimit.SharedHits``). ``bucket`` is a keyed hash
    of the limit and its key: no IP address or e-mail address is stored."""

    __tablename__ = "rate_hit"
    __table_args__ = (Index("ix_rate_hit_bucket_at", "bucket", "at"),)

    id: int | None = Field(
        default=None, sa_column=Column(SERIAL_ID, primary_key=True, autoincrement=True)
    )
    bucket: str = Field(max_length=64)
    at: datetime = Field(sa_type=UTCDateTime)


class AttemptCounter(SQLModel, table=True):
    """Attempts counted under a key that is not one row of ours: phone checks per customer of
    the system of record, per agent and per request (``dsr.security.attempts``). ``key`` is
    a keyed hash of counter and key, so no customer number is stored; ``started_at`` opens
    the counter's window."""

    __tablename__ = "attempt_counter"

    key: str = Field(primary_key=True, max_length=64)
    started_at: datetime = Field(sa_type=UTCDateTime)
    attempts: int = 0
