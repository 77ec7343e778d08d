"""What the DPO withholds from an access package before release (Art. 15(4))."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Text
from sqlmodel import Field, SQLModel

from dsr.models.base import UTCDateTime, new_id, utcnow


class Redaction(SQLModel, table=True):
    """A withheld row (``row``, from 1, in the store's export of ``table``) or column.

    Store, table, row number, column and reason are no personal data; the DPO's note may
    be, so it is encrypted (``note_enc``, label ``redaction.note``)."""

    __tablename__ = "redaction"

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    request_id: uuid.UUID = Field(foreign_key="request.id", index=True)
    store: str = Field(max_length=64)
    table_key: str = Field(max_length=160)
    row: int | None = None
    column: str | None = Field(default=None, max_length=64)
    reason: str = Field(max_length=32)
    note_enc: str | None = Field(default=None, sa_type=Text)
    created_by: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
