"""Staff accounts and API tokens."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import pyotp
from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from dsr.domain.errors import Conflict, InvalidInput, NotFound
from dsr.domain.identity import clean_text
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
MAX_LABEL = 64


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


async def create_token(
    session: AsyncSession, username: str, actor: Actor, label: str | None = None
) -> str:
    """A new bearer token for ``username``; only its digest is kept."""
    staff = (
        await session.exec(select(Staff).where(Staff.username == username.strip().lower()))
    ).first()
    if staff is None or not staff.active:
        raise NotFound(f"no active user {username!r}")
    token = new_api_token()
    record = ApiToken(staff_id=staff.id, digest=token_digest(token), label=_label(label))
    session.add(record)
    await session.flush()
    await append_event(
        session,
        actor=actor.label,
        action="token.created",
        payload={"staff": str(staff.id), "token": str(record.id)},
    )
    return token


def _label(label: str | None) -> str | None:
    if label is None:
        return None
    try:
        cleaned = clean_text(label)
    except ValueError:
        cleaned = ""
    if not cleaned or len(cleaned) > MAX_LABEL:
        raise InvalidInput({"label": "invalid_value"})
    return cleaned


@dataclass(frozen=True, slots=True)
class TokenInfo:
    """What staff may know about a token: never the token, nor its digest."""

    id: uuid.UUID
    username: str
    label: str | None
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


async def list_tokens(
    session: AsyncSession, username: str | None = None, *, revoked: bool = True
) -> list[TokenInfo]:
    """Tokens, newest first: of ``username`` (NotFound if no such user) or of everyone."""
    query = (
        select(ApiToken, Staff.username)
        .join(Staff, col(Staff.id) == col(ApiToken.staff_id))
        .order_by(col(Staff.username), col(ApiToken.created_at).desc())
    )
    if username is not None:
        name = username.strip().lower()
        if (await session.exec(select(Staff.id).where(Staff.username == name))).first() is None:
            raise NotFound(f"no user {username!r}")
        query = query.where(Staff.username == name)
    if not revoked:
        query = query.where(col(ApiToken.revoked_at).is_(None))
    return [
        TokenInfo(t.id, name, t.label, t.created_at, t.last_used_at, t.revoked_at)
        for t, name in (await session.exec(query)).all()
    ]


async def revoke_token(session: AsyncSession, token_id: uuid.UUID, actor: Actor) -> bool:
    """Revoke one token; False when it was revoked already. NotFound for an unknown id."""
    record = await session.get(ApiToken, token_id)
    if record is None:
        raise NotFound("no such token")
    if record.revoked_at is not None:
        return False
    await session.exec(
        update(ApiToken).where(col(ApiToken.id) == token_id).values(revoked_at=utcnow())
    )
    await append_event(
        session,
        actor=actor.label,
        action="token.revoked",
        payload={"staff": str(record.staff_id), "token": str(token_id)},
    )
    return True


async def revoke_tokens_of(session: AsyncSession, staff_id: uuid.UUID) -> int:
    """Revoke every token of one person (on a password and TOTP reset); how many."""
    result = await session.exec(
        update(ApiToken)
        .where(col(ApiToken.staff_id) == staff_id, col(ApiToken.revoked_at).is_(None))
        .values(revoked_at=utcnow())
    )
    return int(result.rowcount)


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
    """No more sign-ins or API calls for ``username``; their sessions end now. Nobody
    deactivates their own account, and the last active admin stays (else nothing could
    manage staff any more but the CLI)."""
    from sqlalchemy import delete

    from dsr.models import StaffSession

    # Every admin row locked (in one order): two admins deactivating each other at the same
    # moment cannot both pass the check.
    admins = (
        await session.exec(
            select(Staff)
            .where(Staff.role == Role.ADMIN.value)
            .order_by(col(Staff.id))
            .with_for_update()
        )
    ).all()
    staff = await _staff_row(session, username, lock=True)
    if actor.staff_id is not None and staff.id == actor.staff_id:
        raise InvalidInput({"staff": "own_account"})
    last = not any(a.active and a.id != staff.id for a in admins)
    if staff.role == Role.ADMIN.value and staff.active and last:
        raise InvalidInput({"staff": "last_admin"})
    if not staff.active:
        return
    await session.exec(update(Staff).where(col(Staff.id) == staff.id).values(active=False))
    await session.exec(delete(StaffSession).where(col(StaffSession.staff_id) == staff.id))
    await append_event(
        session, actor=actor.label, action="staff.deactivated", payload={"staff": str(staff.id)}
    )


async def reactivate_staff(session: AsyncSession, username: str, actor: Actor) -> bool:
    """Let a deactivated account sign in again (with its password and TOTP, which stayed);
    False when it was active already."""
    staff = await _staff_row(session, username, lock=True)
    if staff.active:
        return False
    await session.exec(
        update(Staff)
        .where(col(Staff.id) == staff.id)
        .values(active=True, failed_logins=0, locked_until=None)
    )
    await append_event(
        session, actor=actor.label, action="staff.reactivated", payload={"staff": str(staff.id)}
    )
    return True


async def list_staff(session: AsyncSession) -> list[Staff]:
    return list((await session.exec(select(Staff).order_by(col(Staff.username)))).all())


async def _staff_row(session: AsyncSession, username: str, *, lock: bool = False) -> Staff:
    query = select(Staff).where(Staff.username == username)
    if lock:
        query = query.with_for_update()
    staff = (await session.exec(query)).first()
    if staff is None:
        raise NotFound(f"no user {username!r}")
    return staff
