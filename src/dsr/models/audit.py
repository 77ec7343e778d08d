"""The append-only audit log; each event's keyed hash covers its predecessor's (a chain).

An event is written in the transaction that does what it records (``id`` in insertion order)
with ``nonce`` and ``mac``, dsr's proof that dsr wrote it, and chained shortly after by the
sealer, which gives it ``seq``, ``prev_hash`` and ``hash``
(``dsr.security.audit.chain_pending``): no transaction waits for another to append. An
unchained event without a valid ``mac`` is never chained: the sealer sets ``refused_at``."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from dsr.models.base import SERIAL_ID, UTCDateTime


class Event(SQLModel, table=True):
    """No personal data in ``actor``, ``action`` or ``payload``: names, ids, counts only."""

    __tablename__ = "event"

    id: int | None = Field(
        default=None, sa_column=Column(SERIAL_ID, primary_key=True, autoincrement=True)
    )
    seq: int | None = Field(default=None, unique=True)  # None until chained
    at: datetime = Field(sa_type=UTCDateTime)
    actor: str = Field(max_length=80)
    request_id: uuid.UUID | None = Field(default=None, index=True)
    action: str = Field(max_length=64)
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    prev_hash: str | None = Field(default=None, max_length=64)
    hash: str | None = Field(default=None, max_length=64, unique=True)
    nonce: str = Field(max_length=32)
    mac: str = Field(max_length=64, unique=True, index=True)
    refused_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
