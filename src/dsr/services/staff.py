"""Staff accounts and API tokens."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

import pyotp
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from dsr.domain.errors import Conflict, InvalidInput, NotFound
from dsr.domain.vocabulary import Role
from dsr.models import ApiToken, Staff
from dsr.models.base import utcnow
from dsr.security.audit import append_event
from dsr.security.fields import FieldCipher
from dsr.security.passwords import (
    hash_password,
    new_api_token,
    new_one_time_password,
    token_digest,
)
from dsr.workflows.engine import Actor

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
TOTP_ISSUER = "dsr"
TOKEN_TOUCH_INTERVAL = timedelta(minutes=5)


@dataclass(frozen=True, slots=True)
class NewStaff:
    username: str
    role: Role
    one_time_password: str
    totp_uri: str


async def add_staff(
    session: AsyncSession, cipher: FieldCipher, username: str, role: Role, actor: Actor
) -> NewStaff:
    """Create an account with a one-time password and a TOTP secret (both shown once)."""
    username = username.strip().lower()
    if not USERNAME.match(username):
        raise InvalidInput({"username": "invalid_username"})
    if (await session.exec(select(Staff).where(Staff.username == username))).first():
        raise Conflict(f"user {username!r} exists already")
    password = new_one_time_password()
    secret = pyotp.random_base32()
    staff = Staff(
        username=username,
        role=role.value,
        password_hash=hash_password(password),
        totp_secret_enc=cipher.encrypt("staff.totp_secret", secret),
    )
    session.add(staff)
    await session.flush()
    await append_event(
        session,
        actor=actor.label,
        action="staff.added",
        payload={"staff": str(staff.id), "role": role.value},
    )
    uri = pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=TOTP_ISSUER)
    return NewStaff(username, role, password, uri)


async def create_token(session: AsyncSession, username: str, actor: Actor) -> str:
    """A new bearer token for ``username``; only its digest is kept."""
    staff = (
        await session.exec(select(Staff).where(Staff.username == username.strip().lower()))
    ).first()
    if staff is None or not staff.active:
        raise NotFound(f"no active user {username!r}")
    token = new_api_token()
    record = ApiToken(staff_id=staff.id, digest=token_digest(token))
    session.add(record)
    await session.flush()
    await append_event(
        session,
        actor=actor.label,
        action="token.created",
        payload={"staff": str(staff.id), "token": str(record.id)},
    )
    return token


async def actor_for_token(session: AsyncSession, token: str) -> Actor | None:
    """The staff actor a bearer token belongs to, or None (unknown, revoked, inactive)."""
    row = (
        await session.exec(
            select(ApiToken, Staff)
            .join(Staff, Staff.id == ApiToken.staff_id)  # type: ignore[arg-type]
            .where(ApiToken.digest == token_digest(token))
        )
    ).first()
    if row is None:
        return None
    record, staff = row
    if record.revoked_at is not None or not staff.active:
        return None
    now = utcnow()
    if record.last_used_at is None or now - record.last_used_at > TOKEN_TOUCH_INTERVAL:
        record.last_used_at = now  # coarse, so that reads do not all become writes
    return Actor("staff", staff_id=staff.id, role=staff.role)


async def deactivate_staff(session: AsyncSession, username: str, actor: Actor) -> None:
    """No more sign-ins or API calls for ``username``; their sessions end now."""
    from sqlalchemy import delete, update
    from sqlmodel import col

    from dsr.models import StaffSession

    staff = (await session.exec(select(Staff).where(Staff.username == username))).first()
    if staff is None:
        raise NotFound(f"no user {username!r}")
    await session.exec(update(Staff).where(col(Staff.id) == staff.id).values(active=False))
    await session.exec(delete(StaffSession).where(col(StaffSession.staff_id) == staff.id))
    await append_event(
        session, actor=actor.label, action="staff.deactivated", payload={"staff": str(staff.id)}
    )
