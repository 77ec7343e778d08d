"""The append-only audit log; each event's hash covers its predecessor's (a chain)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from dsr.models.base import UTCDateTime


class Event(SQLModel, table=True):
    """No personal data in ``actor``, ``action`` or ``payload``: names, ids, counts only."""

    __tablename__ = "event"

    seq: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    at: datetime = Field(sa_type=UTCDateTime)
    actor: str = Field(max_length=80)
    request_id: uuid.UUID | None = Field(default=None, index=True)
    action: str = Field(max_length=64)
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64, unique=True)
