"""Verifying a requester by a code sent to the e-mail address they gave (DESIGN.md "Verification").

The code is stored as a keyed hash, valid 24 hours, with 5 attempts; then a new code must be
requested, at most once a minute. A link in the same e-mail confirms as well. Every step is
an audit event that names no personal data.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from jinja2 import Environment
from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from dsr.config import Controller
from dsr.domain.deadlines import paused_deadline, receipt_date
from dsr.domain.vocabulary import Language, RequestKind, RequestStatus, VerificationLevel
from dsr.i18n import N_, gettext
from dsr.letters.office import LetterOffice
from dsr.models import Event, Request, Verification
from dsr.models.base import utcnow
from dsr.notify.requester import RequesterMail
from dsr.security import attempts
from dsr.security.audit import append_event
from dsr.security.passwords import token_digest
from dsr.security.vault import Vault
from dsr.text import KIND_NAMES
from dsr.workflows import engine
from dsr.workflows.engine import SUBJECT

CODE_TTL = timedelta(hours=24)
MAX_ATTEMPTS = 5
CODE_ATTEMPTS = attempts.Counter(Verification.attempts, MAX_ATTEMPTS)
METHOD = "email_code"


class CodeCheck(StrEnum):
    OK = "ok"
    WRONG = "wrong"
    EXPIRED = "expired"
    EXHAUSTED = "exhausted"  # too many wrong codes: a new code is needed
    NOT_PENDING = "not_pending"  # nothing to verify (already verified, closed, ...)


@dataclass(slots=True)
class EmailVerification:
    session: AsyncSession
    vault: Vault
    secret_key: str
    mail: Environment
    controller: Controller
    base_url: str
    sender_address: str
    letters: LetterOffice
    pause_for_identity: bool = False
    region: str = "DE-NW"
    timezone: str = "Europe/Berlin"

    async def start(self, request: Request, status_token: str) -> None:
        """Ask for verification: a fresh code and link, by e-mail to the address given."""
        await engine.apply(self.session, request, "ask_verification", SUBJECT)
        await self._send_code(request, status_token, action="verification.code_sent")

    async def resend(self, request: Request, status_token: str) -> bool:
        """A new code (the old one stops working); False when nothing awaits verification."""
        if request.status != RequestStatus.AWAITING_VERIFICATION.value:
            return False
        await self._send_code(request, status_token, action="verification.code_resent")
        return True

    async def check_code(self, request: Request, code: str) -> CodeCheck:
        """Judge ``code``; the attempt is counted and committed first, whatever the answer."""
        if request.status != RequestStatus.AWAITING_VERIFICATION.value:
            return CodeCheck.NOT_PENDING
        verification = await self._pending(request)
        if verification is None:
            return CodeCheck.EXHAUSTED
        if verification.expires_at is None or verification.expires_at <= utcnow():
            return CodeCheck.EXPIRED
        counted = await attempts.count(
            self.session,
            CODE_ATTEMPTS,
            col(Verification.id) == verification.id,
            col(Verification.result) == "pending",
            returning=(Verification.code_hash,),
        )
        if counted is None:
            return CodeCheck.EXHAUSTED
        number, expected = counted
        if not hmac.compare_digest(expected or "", self._code_hash(verification, code.strip())):
            exhausted = number >= MAX_ATTEMPTS
            if exhausted:
                await self.session.exec(
                    update(Verification)
                    .where(col(Verification.id) == verification.id)
                    .values(result="failed")
                )
            await attempts.settle(
                self.session,
                actor=SUBJECT.label,
                action="verification.failed",
                request_id=request.id,
                payload={"method": METHOD, "attempts": number},
            )
            return CodeCheck.EXHAUSTED if exhausted else CodeCheck.WRONG
        await attempts.settle(self.session)
        if not await self._pass(request, verification, utcnow()):
            return CodeCheck.NOT_PENDING  # a concurrent attempt confirmed it first
        return CodeCheck.OK

    async def confirm_link(self, link_token: str) -> Request | None:
        """Verify through the e-mailed link; None when the link is unknown, used or expired,
        or when the code's attempts are used up. Using the link counts as an attempt."""
        verification = await self.find_link(link_token)
        if verification is None:
            return None
        request = await self.session.get_one(Request, verification.request_id)
        if request.status != RequestStatus.AWAITING_VERIFICATION.value:
            return None
        counted = await attempts.count(
            self.session,
            CODE_ATTEMPTS,
            col(Verification.id) == verification.id,
            col(Verification.result) == "pending",
            col(Verification.link_digest) == verification.link_digest,
        )
        await attempts.settle(self.session)
        if counted is None or not await self._pass(request, verification, utcnow()):
            return None
        return request

    async def find_link(self, link_token: str) -> Verification | None:
        if not link_token or len(link_token) > 100:
            return None
        verification = (
            await self.session.exec(
                select(Verification).where(Verification.link_digest == token_digest(link_token))
            )
        ).first()
        if (
            verification is None
            or verification.result != "pending"
            or verification.expires_at is None
            or verification.expires_at <= utcnow()
        ):
            return None
        return verification

    async def _pass(self, request: Request, verification: Verification, now: datetime) -> bool:
        """Mark the code used and verify the request; False when it was used or replaced
        meanwhile (another attempt at the same moment)."""
        claimed = await self.session.exec(
            update(Verification)
            .where(col(Verification.id) == verification.id, col(Verification.result) == "pending")
            .values(result="passed", completed_at=now, link_digest=None, code_hash=None)
        )
        if claimed.rowcount != 1:
            return False
        paused = None
        if self.pause_for_identity:
            paused = await identity_pause(self.session, request, now, self.region, self.timezone)
        outcome = await engine.apply(
            self.session,
            request,
            "verify",
            SUBJECT,
            level=VerificationLevel.EMAIL.value,
            payload={"method": METHOD},
            paused=paused,
        )
        if outcome.changed:
            await self.letters.acknowledge(outcome.request)
        return True

    async def _pending(self, request: Request) -> Verification | None:
        return (
            await self.session.exec(
                select(Verification)
                .where(
                    Verification.request_id == request.id,
                    Verification.method == METHOD,
                    col(Verification.result).in_(["pending", "failed"]),
                )
                .order_by(col(Verification.created_at).desc())
                .limit(1)
            )
        ).first()

    async def _send_code(self, request: Request, status_token: str, action: str) -> None:
        # Any earlier code stops working.
        await self.session.exec(
            update(Verification)
            .where(
                col(Verification.request_id) == request.id,
                col(Verification.method) == METHOD,
                col(Verification.result) == "pending",
            )
            .values(result="replaced", link_digest=None, code_hash=None)
        )
        code = f"{secrets.randbelow(1_000_000):06d}"
        link_token = secrets.token_urlsafe(32)
        now = utcnow()
        expires_at = now + CODE_TTL
        verification = Verification(
            request_id=request.id,
            method=METHOD,
            link_digest=token_digest(link_token),
            sent_at=now,
            expires_at=expires_at,
        )
        verification.code_hash = self._code_hash(verification, code)
        self.session.add(verification)
        language = Language(request.language)
        mailer = RequesterMail(self.mail, self.vault, self.controller, self.sender_address)
        if not await mailer.send(
            self.session,
            request,
            "verification",
            N_("Your confirmation code for request %(reference)s"),
            kind_text=gettext(language, KIND_NAMES[RequestKind(request.kind)]),
            code=code,
            link_url=f"{self.base_url}/verify/{link_token}",
            status_url=f"{self.base_url}/status/{status_token}",
        ):
            raise ValueError("request has no e-mail address")  # callers check first
        await append_event(
            self.session,
            actor=SUBJECT.label,
            action=action,
            request_id=request.id,
            payload={"method": METHOD, "expires_at": expires_at.isoformat()},
        )

    def _code_hash(self, verification: Verification, code: str) -> str:
        message = f"{verification.id}:{code}".encode()
        return hmac.new(self.secret_key.encode(), message, hashlib.sha256).hexdigest()


async def identity_pause(
    session: AsyncSession, request: Request, now: datetime, region: str, timezone: str
) -> tuple[int, date | None] | None:
    """With the pause policy on: the days between asking for identity information and
    receiving it, and the due date moved by them (the unpaused date stays as ``due_on``)."""
    if request.status != RequestStatus.AWAITING_VERIFICATION.value:
        return None
    asked = (
        await session.exec(
            select(Event)
            .where(Event.request_id == request.id, Event.action == "request.ask_verification")
            .order_by(col(Event.id).desc())
            .limit(1)
        )
    ).first()
    if asked is None:
        return None
    days = (receipt_date(now, timezone) - receipt_date(asked.at, timezone)).days
    return days, paused_deadline(request.extended_due_on or request.due_on, days, region)
