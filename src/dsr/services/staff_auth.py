"""Staff sign-in: password (argon2) and TOTP, always both; lock-out; server-side sessions.

A first sign-in with the one-time password leads to a set-up stage: a new password and the
TOTP app enrolled with a QR code and a confirmation code. A TOTP code counts once.
"""

from __future__ import annotations

import asyncio
import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from functools import cache
from typing import Any

import pyotp
import segno
from sqlalchemy import delete, or_, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from dsr.db import conflict_insert
from dsr.domain.errors import InvalidInput
from dsr.models import Staff, StaffSession, TotpUse
from dsr.models.base import utcnow
from dsr.security import attempts
from dsr.security.audit import append_event
from dsr.security.fields import FieldCipher
from dsr.security.passwords import hash_password, token_digest, verify_password
from dsr.services.staff import revoke_tokens_of
from dsr.workflows.engine import Actor

MAX_FAILURES = 5
SIGN_IN_ATTEMPTS = attempts.Counter(Staff.failed_logins, MAX_FAILURES)
LOCK_FOR = timedelta(minutes=15)
IDLE_TIMEOUT = timedelta(minutes=30)
MAX_SESSION = timedelta(hours=12)  # however active; DSR_SESSION_MAX_HOURS
TOUCH_EVERY = timedelta(minutes=1)
MIN_PASSWORD = 12
ENROL, FULL = "enrol", "full"


@cache
def _dummy_hash() -> str:
    """Verifying against this keeps unknown usernames as slow as known ones (made on first
    use: an argon2 hash costs 150 ms, which every process start would pay otherwise)."""
    return hash_password(secrets.token_urlsafe(16))


class SignIn(StrEnum):
    OK = "ok"
    SET_UP = "set_up"  # first sign-in: new password and TOTP enrolment
    FAILED = "failed"
    LOCKED = "locked"


async def _verify(stored_hash: str, password: str) -> bool:
    """argon2 off the event loop: a burst of sign-ins does not stall every other request."""
    return await asyncio.to_thread(verify_password, stored_hash, password[:1024])


@dataclass(frozen=True, slots=True)
class SignInResult:
    outcome: SignIn
    token: str | None = None
    role: str | None = None


def totp_counter(secret: str, code: str, now: datetime, window: int = 1) -> int | None:
    """The time step ``code`` belongs to (within ±``window`` steps), or None."""
    code = code.strip().replace(" ", "")
    if not (code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now)
    for counter in range(current - window, current + window + 1):
        if hmac.compare_digest(totp.generate_otp(counter), code):
            return counter
    return None


@dataclass(slots=True)
class StaffAuth:
    session: AsyncSession
    cipher: FieldCipher
    max_session: timedelta = MAX_SESSION

    async def sign_in(self, username: str, password: str, code: str) -> SignInResult:
        """Every sign-in is counted on the account before it is judged (at most
        ``MAX_FAILURES`` in a row are judged, however many arrive at once). An unknown,
        inactive or locked account costs the same password hash and gets the same answer."""
        now = utcnow()
        counted = await attempts.count(
            self.session,
            SIGN_IN_ATTEMPTS,
            col(Staff.username) == username.strip().lower()[:64],
            col(Staff.active).is_(True),
            or_(col(Staff.locked_until).is_(None), col(Staff.locked_until) <= now),
            returning=(
                Staff.id,
                Staff.role,
                Staff.password_hash,
                Staff.must_change_password,
                Staff.totp_secret_enc,
                Staff.totp_last_counter,
            ),
        )
        if counted is None:
            await attempts.settle(self.session)  # no connection held while hashing
            await _verify(_dummy_hash(), password)
            return SignInResult(SignIn.FAILED)
        failures, staff_id, role, password_hash, must_change, secret_enc, last_step = counted
        if not await _verify(password_hash, password):
            return await self._failed(staff_id, failures, now, "password")
        if must_change:
            await self._succeeded(staff_id)
            await attempts.settle(self.session)
            return SignInResult(SignIn.SET_UP, await self._new_session(staff_id, ENROL), role)
        secret = self.cipher.decrypt("staff.totp_secret", secret_enc) or ""
        step = totp_counter(secret, code, now)
        if step is None or (last_step or -1) >= step or not await self._use_step(staff_id, step):
            return await self._failed(staff_id, failures, now, "totp")
        await self._succeeded(staff_id, step)
        await attempts.settle(self.session, actor=f"staff:{staff_id}", action="staff.signed_in")
        return SignInResult(SignIn.OK, await self._new_session(staff_id, FULL), role)

    async def enrol(self, actor: Actor, token: str, password: str, repeat: str, code: str) -> str:
        """Finish the first sign-in; returns a new session token (the old one ends)."""
        staff = await self.session.get_one(Staff, actor.staff_id)
        errors: dict[str, str] = {}
        if len(password) < MIN_PASSWORD or len(password) > 1024:
            errors["password"] = "password_too_short"
        elif password != repeat:
            errors["repeat"] = "passwords_differ"
        elif verify_password(staff.password_hash, password):
            errors["password"] = "password_unchanged"
        counter = totp_counter(self._secret(staff), code, utcnow())
        if counter is None:
            errors["code"] = "wrong_code"
        if errors or counter is None:
            raise InvalidInput(errors)
        if not await self._use_step(staff.id, counter):
            raise InvalidInput({"code": "wrong_code"})
        await self.session.exec(
            update(Staff)
            .where(col(Staff.id) == staff.id)
            .values(
                password_hash=hash_password(password),
                must_change_password=False,
                totp_last_counter=counter,
                failed_logins=0,
            )
        )
        await self.sign_out(token)
        await append_event(self.session, actor=actor.label, action="staff.enrolled")
        return await self._new_session(staff.id, FULL)

    def provisioning_qr(self, staff: Staff) -> str:
        """The TOTP provisioning URI as an inline SVG QR code (no external service)."""
        uri = pyotp.TOTP(self._secret(staff)).provisioning_uri(
            name=staff.username, issuer_name="dsr"
        )
        return str(segno.make(uri, error="m").svg_inline(scale=5, dark="#1b1f24"))

    def secret_of(self, staff: Staff) -> str:
        return self._secret(staff)

    async def actor_for_session(self, token: str) -> Actor | None:
        if not 20 <= len(token) <= 100:
            return None
        row = (
            await self.session.exec(
                select(StaffSession, Staff)
                .join(Staff, col(Staff.id) == col(StaffSession.staff_id))
                .where(StaffSession.digest == token_digest(token))
            )
        ).first()
        if row is None:
            return None
        record, staff = row
        now = utcnow()
        if (
            not staff.active
            or record.last_seen_at < now - IDLE_TIMEOUT
            or record.created_at < now - self.max_session
        ):
            await self.session.exec(delete(StaffSession).where(col(StaffSession.id) == record.id))
            return None
        if record.last_seen_at < now - TOUCH_EVERY:
            await self.session.exec(
                update(StaffSession)
                .where(col(StaffSession.id) == record.id)
                .values(last_seen_at=now)
            )
        return Actor("staff", staff_id=staff.id, role=staff.role, stage=record.stage)

    async def sign_out(self, token: str) -> None:
        await self.session.exec(
            delete(StaffSession).where(col(StaffSession.digest) == token_digest(token))
        )

    async def _new_session(self, staff_id: uuid.UUID, stage: str) -> str:
        token = secrets.token_urlsafe(32)
        self.session.add(StaffSession(digest=token_digest(token), staff_id=staff_id, stage=stage))
        await self.session.flush()
        return token

    async def _use_step(self, staff_id: uuid.UUID, step: int) -> bool:
        """Take the TOTP time step ``step`` for this person; False when it was taken before
        (the primary key decides, so two sign-ins racing with one code cannot both win)."""
        statement: Any = (
            conflict_insert(self.session)(TotpUse.__table__)  # type: ignore[attr-defined]
            .values(staff_id=staff_id, counter=step, used_at=utcnow())
            .on_conflict_do_nothing(index_elements=["staff_id", "counter"])
        )
        taken = await self.session.exec(statement)
        if taken.rowcount != 1:
            return False
        await self.session.exec(  # older steps are refused by ``totp_last_counter``
            delete(TotpUse).where(col(TotpUse.staff_id) == staff_id, col(TotpUse.counter) < step)
        )
        return True

    async def _succeeded(self, staff_id: uuid.UUID, step: int | None = None) -> None:
        values: dict[str, Any] = {"failed_logins": 0, "locked_until": None}
        if step is not None:
            values["totp_last_counter"] = step
        await self.session.exec(update(Staff).where(col(Staff.id) == staff_id).values(values))

    async def _failed(
        self, staff_id: uuid.UUID, failures: int, now: datetime, what: str
    ) -> SignInResult:
        locked = failures >= MAX_FAILURES
        if locked:
            await self.session.exec(
                update(Staff)
                .where(col(Staff.id) == staff_id)
                .values(failed_logins=0, locked_until=now + LOCK_FOR)
            )
        await attempts.settle(
            self.session,
            actor=f"staff:{staff_id}",
            action="staff.sign_in_failed",
            payload={"factor": what, "failures": failures, "locked": locked},
        )
        return SignInResult(SignIn.LOCKED if locked else SignIn.FAILED)

    def _secret(self, staff: Staff) -> str:
        return self.cipher.decrypt("staff.totp_secret", staff.totp_secret_enc) or ""


async def reset_totp(
    session: AsyncSession, cipher: FieldCipher, staff_id: uuid.UUID, actor: Actor
) -> str:
    """A new TOTP secret and one-time password; the person enrols again at next sign-in."""
    from dsr.security.passwords import new_one_time_password

    password = new_one_time_password()
    await session.exec(
        update(Staff)
        .where(col(Staff.id) == staff_id)
        .values(
            totp_secret_enc=cipher.encrypt("staff.totp_secret", pyotp.random_base32()),
            password_hash=hash_password(password),
            must_change_password=True,
            totp_last_counter=None,
        )
    )
    await session.exec(delete(TotpUse).where(col(TotpUse.staff_id) == staff_id))
    await session.exec(delete(StaffSession).where(col(StaffSession.staff_id) == staff_id))
    revoked = await revoke_tokens_of(session, staff_id)
    await append_event(
        session,
        actor=actor.label,
        action="staff.totp_reset",
        payload={"staff": str(staff_id), "tokens_revoked": revoked},
    )
    return password
