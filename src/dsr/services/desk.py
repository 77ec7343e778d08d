"""The DPO's desk: a request that arrived by post or e-mail, recorded with its scan or
``.eml``; and verification from the desk, so such a request does not stay ``received``.

Methods and the level each gives (DESIGN.md "Verification"): an ID document seen at the
desk (``document``; only "seen on <date> by <staff>" is kept, never a copy), the caller's
answers on the phone (``kba``, the console's check), a code to the e-mail address on file
(``email_matched`` once confirmed) or a letter to the postal address on file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from dsr.domain.deadlines import receipt_date
from dsr.domain.errors import InvalidInput, InvalidTransition
from dsr.domain.vocabulary import Channel, RequestStatus, Role, VerificationLevel
from dsr.models import Request, Staff, Verification
from dsr.models.base import utcnow
from dsr.schemas import RequestIn
from dsr.security.audit import append_event
from dsr.services.casework import Casework, Upload
from dsr.services.intake import PhoneIntake
from dsr.services.verification import identity_pause
from dsr.workflows import engine
from dsr.workflows.engine import Actor

PAPER_CHANNELS = (Channel.LETTER, Channel.EMAIL)
DOCUMENT_SEEN = "verification.document_seen"
SEEN_BEFORE_RECEIPT = timedelta(days=90)  # an ID shown shortly before the letter arrived


class DeskMethod(StrEnum):
    DOCUMENT = "document"
    KBA = "kba"
    EMAIL_CODE = "email_code"
    LETTER = "letter"


class DeskResult(StrEnum):
    VERIFIED = "verified"
    NOT_MATCHED = "not_matched"  # KBA: the answers did not verify the caller
    REFUSED = "refused"  # KBA: a limit was reached, nothing was judged
    CODE_SENT = "code_sent"  # to the e-mail address on file; verified when it comes back
    NO_EMAIL_ON_FILE = "no_email_on_file"
    LETTER_REQUESTED = "letter_requested"


LEVEL_OF = {
    DeskMethod.DOCUMENT: VerificationLevel.DOCUMENT,
    DeskMethod.KBA: VerificationLevel.KBA,
    DeskMethod.EMAIL_CODE: VerificationLevel.EMAIL_MATCHED,
    DeskMethod.LETTER: VerificationLevel.EMAIL_MATCHED,
}


@dataclass(frozen=True, slots=True)
class DeskCheck:
    result: DeskResult
    matched: dict[str, bool] = field(default_factory=dict)  # KBA: per fact, no values


@dataclass(slots=True)
class Desk:
    session: AsyncSession
    phone: PhoneIntake
    casework: Casework

    async def record(self, data: RequestIn, actor: Actor, upload: Upload | None) -> Request:
        """A letter or e-mail the office received: stored with the day it arrived (the
        deadline counts from it) and its scan or ``.eml``, encrypted."""
        if data.channel not in PAPER_CHANNELS:
            raise InvalidInput({"channel": "only_email_or_letter"})
        if data.received_at is None:
            raise InvalidInput({"received_on": "required"})
        if upload is not None:
            self.casework.check_upload(upload)
        request, _ = await self.phone.requests.open(data, actor)
        if upload is not None:
            await self.casework.attach(request, actor, upload, source="receipt")
        return request

    async def verify(
        self,
        request: Request,
        actor: Actor,
        method: DeskMethod,
        *,
        seen_on: date | None = None,
        seen_by: str | None = None,
        facts: dict[str, str] | None = None,
    ) -> DeskCheck:
        """Verify ``request`` from the desk with ``method``; each step is audited."""
        if request.status not in (
            RequestStatus.RECEIVED.value,
            RequestStatus.AWAITING_VERIFICATION.value,
        ):
            raise InvalidTransition("the request is verified already or closed")
        if method is DeskMethod.DOCUMENT:
            await self._document_seen(request, actor, seen_on, seen_by)
            return DeskCheck(DeskResult.VERIFIED)
        if method is DeskMethod.KBA:
            outcome = await self.phone.check(request, actor, facts or {})
            if outcome.refused:
                return DeskCheck(DeskResult.REFUSED)
            if outcome.old_channel == "email":
                return DeskCheck(DeskResult.CODE_SENT, outcome.matched)
            if outcome.old_channel == "letter":
                return DeskCheck(DeskResult.LETTER_REQUESTED, outcome.matched)
            result = DeskResult.VERIFIED if outcome.verified else DeskResult.NOT_MATCHED
            return DeskCheck(result, outcome.matched)
        if method is DeskMethod.EMAIL_CODE:
            if await self.phone.code_to_email_on_file(request, actor):
                return DeskCheck(DeskResult.CODE_SENT)
            return DeskCheck(DeskResult.NO_EMAIL_ON_FILE)
        await self.phone.letter_to_address_on_file(request, actor)
        return DeskCheck(DeskResult.LETTER_REQUESTED)

    async def _document_seen(
        self, request: Request, actor: Actor, seen_on: date | None, seen_by: str | None
    ) -> None:
        """Record "ID document seen on <date>" by a member of staff: the note, never a copy."""
        timezone = self.phone.requests.timezone
        today = receipt_date(utcnow(), timezone)
        if seen_on is None:
            raise InvalidInput({"seen_on": "required"})
        if seen_on > today:
            raise InvalidInput({"seen_on": "in_future"})
        if seen_on < receipt_date(request.received_at, timezone) - SEEN_BEFORE_RECEIPT:
            raise InvalidInput({"seen_on": "too_old"})
        witness = await self._staff(seen_by, actor)
        self.session.add(
            Verification(
                request_id=request.id,
                method=DeskMethod.DOCUMENT.value,
                result="passed",
                completed_at=utcnow(),
            )
        )
        await append_event(
            self.session,
            actor=actor.label,
            action=DOCUMENT_SEEN,
            request_id=request.id,
            payload={"seen_on": seen_on.isoformat(), "seen_by": f"staff:{witness.id}"},
        )
        paused = None
        if self.phone.config.policies.pause_for_identity:
            paused = await identity_pause(
                self.session, request, utcnow(), self.phone.requests.region, timezone
            )
        outcome = await engine.apply(
            self.session,
            request,
            "verify",
            actor,
            level=VerificationLevel.DOCUMENT.value,
            payload={"method": DeskMethod.DOCUMENT.value},
            paused=paused,
        )
        if outcome.changed:
            await self.phone.verification.letters.acknowledge(outcome.request)

    async def _staff(self, username: str | None, actor: Actor) -> Staff:
        """Who saw the document: a member of the desk (the acting one by default)."""
        if not username:
            return await self.session.get_one(Staff, actor.staff_id)
        found = (
            await self.session.exec(select(Staff).where(Staff.username == username[:64]))
        ).first()
        if found is None or not found.active or found.role == Role.ADMIN.value:
            raise InvalidInput({"seen_by": "invalid_username"})
        return found
