"""The DPO's working notes on a request: staff-only, encrypted, never sent to the person."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Text
from sqlmodel import Field, SQLModel

from dsr.models.base import UTCDateTime, new_id, utcnow

NOTE_TEXT = "note.text"  # the label its encryption is bound to


class Note(SQLModel, table=True):
    """One internal note; its text is encrypted, the timeline shows it to the DPO."""

    __tablename__ = "note"

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    request_id: uuid.UUID = Field(foreign_key="request.id", index=True)
    author: uuid.UUID = Field(foreign_key="staff.id")
    text_enc: str = Field(sa_type=Text)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
