"""Staff accounts and their API tokens."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Text
from sqlmodel import Field, SQLModel

from dsr.models.base import UTCDateTime, new_id, utcnow


class Staff(SQLModel, table=True):
    __tablename__ = "staff"

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    username: str = Field(max_length=64, unique=True)
    role: str = Field(max_length=16)
    password_hash: str = Field(sa_type=Text)
    must_change_password: bool = True
    totp_secret_enc: str | None = Field(default=None, sa_type=Text)
    totp_last_counter: int | None = None
    failed_logins: int = 0
    locked_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    active: bool = True
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class StaffSession(SQLModel, table=True):
    """A browser session of a staff member; the cookie holds a random token, the table its
    digest. ``stage`` is ``enrol`` between a first password and the TOTP set-up."""

    __tablename__ = "staff_session"

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    digest: str = Field(max_length=64, unique=True, index=True)
    staff_id: uuid.UUID = Field(foreign_key="staff.id", index=True)
    stage: str = Field(default="full", max_length=8)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_seen_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ApiToken(SQLModel, table=True):
    """A personal bearer token; only its SHA-256 digest is stored. The label (what it is
    for, e.g. "reporting script") is chosen by staff and tells tokens apart when revoking."""

    __tablename__ = "api_token"

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    staff_id: uuid.UUID = Field(foreign_key="staff.id", index=True)
    digest: str = Field(max_length=64, unique=True)
    label: str | None = Field(default=None, max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class TotpUse(SQLModel, table=True):
    """A TOTP time step a staff member has used: the primary key lets each step sign in once,
    however many sign-ins race with the same code."""

    __tablename__ = "totp_use"

    staff_id: uuid.UUID = Field(foreign_key="staff.id", primary_key=True)
    counter: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    used_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
