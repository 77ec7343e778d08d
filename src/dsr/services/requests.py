"""Creating, reading and listing requests."""

from __future__ import annotations

import base64
import binascii
import json
import secrets
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, func, or_, tuple_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from dsr.config import IdentifierType
from dsr.domain.changes import requested as requested_changes
from dsr.domain.deadlines import receipt_date, response_deadline
from dsr.domain.errors import InvalidInput, NotAllowed, NotFound, Unauthenticated
from dsr.domain.identity import clean_text, normalize_identity
from dsr.domain.vocabulary import Channel, RequestKind, RequestStatus, Role
from dsr.models import Artifact, Event, Letter, Outbox, Request, Subject, Task
from dsr.models.base import new_id, utcnow
from dsr.models.request import EXTENSION_REASON, effective_due
from dsr.schemas import (
    EventOut,
    LetterOut,
    RequestCreated,
    RequestDetail,
    RequestIn,
    RequestPage,
    RequestSummary,
    TaskOut,
)
from dsr.security.audit import flush_events
from dsr.security.passwords import token_digest
from dsr.security.vault import Vault
from dsr.workflows import engine
from dsr.workflows.engine import Actor

MAX_BACKDATE = timedelta(days=90)
DESK_ROLES = (Role.AGENT.value, Role.DPO.value)  # who records and sees requests
CLOCK_SKEW = timedelta(minutes=5)


@dataclass(frozen=True, slots=True)
class RequestFilters:
    status: RequestStatus | None = None
    kind: RequestKind | None = None
    channel: Channel | None = None
    due_before: date | None = None
    needs_attention: bool | None = None
    open_only: bool = False
    created_by: uuid.UUID | None = None
    reference: str | None = None
    more: tuple[ColumnElement[bool], ...] = ()  # e.g. ``dsr.services.search``'s conditions


@dataclass(slots=True)
class RequestService:
    session: AsyncSession
    vault: Vault
    region: str
    timezone: str
    base_url: str = ""
    clock: Callable[[], datetime] = utcnow
    identifier_types: Sequence[IdentifierType] = ()  # dsr.yaml ``identifiers:``
    smtputf8: bool = True  # our SMTP server delivers to non-ASCII local parts

    async def create(self, data: RequestIn, actor: Actor) -> RequestCreated:
        """Record a request and nothing else: on PostgreSQL one statement, committed at once
        (see ``engine.store_request``), and no ORM object (the busiest path of the API)."""
        new, subject, status_token = self._new(data, actor)
        row = await engine.store_request(self.session, new, actor, subject, alone=True)
        return self._answer(row, status_token)

    def created(self, request: Request, status_token: str | None) -> RequestCreated:
        return self._answer(request.model_dump(), status_token)

    def _answer(self, row: dict[str, Any], status_token: str | None) -> RequestCreated:
        return RequestCreated(
            reference=row["reference"],
            status=RequestStatus(row["status"]),
            received_on=receipt_date(row["received_at"], self.timezone),
            due_on=row["due_on"],
            status_url=f"{self.base_url}/status/{status_token}" if status_token else None,
        )

    async def open(self, data: RequestIn, actor: Actor) -> tuple[Request, str | None]:
        """Validate and store a request; web requests also get a private status token."""
        new, subject, status_token = self._new(data, actor)
        return await engine.open_request(self.session, new, actor, subject), status_token

    def _new(
        self, data: RequestIn, actor: Actor
    ) -> tuple[engine.NewRequest, dict[str, Any], str | None]:
        """The checked request, its subject's sealed columns and (web) its status token."""
        if (
            data.channel is not Channel.WEB
            and actor.kind != "staff"
            and not _from_mailbox(data, actor)
        ):
            raise Unauthenticated("only staff may record phone, e-mail and letter requests")
        if (
            data.channel is not Channel.WEB
            and actor.kind == "staff"
            and actor.role not in DESK_ROLES
        ):
            raise NotAllowed("admins manage staff and configuration, not requests")
        if _from_mailbox(data, actor) and data.received_at is not None:
            received_at = data.received_at  # the mail server's arrival date, however old
        else:
            received_at = self._received_at(data)
        errors: dict[str, str] = {}
        claimed = self._declared_identifiers(data.subject.identifiers, errors)
        try:
            identity = normalize_identity(
                name=data.subject.name,
                email=data.subject.email,
                phone=data.subject.phone,
                customer_number=data.subject.customer_number,
                postal_address=data.subject.postal_address,
            )
        except InvalidInput as exc:
            raise InvalidInput({**exc.fields, **errors}) from exc
        if claimed:
            identity = replace(identity, identifiers=json.dumps(claimed, sort_keys=True))
        if data.channel is Channel.WEB and not identity.email:
            errors["subject.email"] = "required"
        elif (
            identity.email and not self.smtputf8 and not identity.email.rpartition("@")[0].isascii()
        ):  # the domain travels as IDNA, but "jürgen@" needs SMTPUTF8: never confirmable
            errors["subject.email"] = "email_not_deliverable"
        if data.kind is RequestKind.RECTIFICATION and not data.changes:
            errors["changes"] = "required"
        details = self._clean_free_text(data.details, "details", errors)
        changes = requested_changes(data.changes, self._clean_free_text, errors)
        if errors:
            raise InvalidInput(errors)

        received_on = receipt_date(received_at, self.timezone)
        cipher = self.vault.cipher
        status_token = secrets.token_urlsafe(32) if data.channel is Channel.WEB else None
        subject = {"id": new_id(), **self.vault.sealed_columns(identity)}
        new = engine.NewRequest(
            reference=None,
            year=received_on.year,
            kind=data.kind.value,
            channel=data.channel.value,
            language=data.language.value,
            received_at=received_at,
            due_on=response_deadline(received_at, self.region, timezone=self.timezone),
            subject_id=subject["id"],
            created_by=actor.staff_id,
            details_enc=cipher.encrypt("request.details", details),
            changes_enc=cipher.encrypt_json("request.changes", changes or None),
            status_token_digest=token_digest(status_token) if status_token else None,
        )
        return new, subject, status_token

    def _declared_identifiers(
        self, given: Mapping[str, str], errors: dict[str, str]
    ) -> dict[str, str]:
        """The declared identifier types the person gave, each in its normal form."""
        types = {t.name: t for t in self.identifier_types}
        claimed: dict[str, str] = {}
        for name, raw in given.items():
            field = f"subject.identifiers.{name}"[:80]
            declared = types.get(name)
            if declared is None:
                errors[field] = "invalid_value"
                continue
            try:
                value = declared.normal(clean_text(raw))
            except ValueError:
                errors[field] = "invalid_value"
                continue
            if len(value) > declared.max_length:
                errors[field] = "too_long"
            elif value:
                claimed[name] = value
        return claimed

    async def by_status_token(self, token: str) -> Request:
        request = None
        if 20 <= len(token) <= 100:
            request = (
                await self.session.exec(
                    select(Request).where(Request.status_token_digest == token_digest(token))
                )
            ).first()
        if request is None:
            raise NotFound("no request for this link")
        return request

    async def by_reference(self, reference: str) -> Request:
        request = (
            await self.session.exec(select(Request).where(Request.reference == reference))
        ).first()
        if request is None:
            raise NotFound("no such request")
        return request

    async def detail(self, reference: str, actor: Actor) -> RequestDetail:
        """Everything for the DPO; status and dates only for anyone else (README's roles)."""
        request = await self.visible(reference, actor)
        if actor.role == Role.DPO.value:
            return await self.detail_of(request)
        return RequestDetail(
            **self._summary(request).model_dump(),
            language=request.language,
            received_at=request.received_at,
            extension_reason=None,
            closed_at=request.closed_at,
            outcome=request.outcome,
            refusal_ground=request.refusal_ground,
            tasks=None,
            letters=None,
            timeline=None,
        )

    async def detail_of(self, request: Request) -> RequestDetail:
        """The detail of a request the caller may already see."""
        tasks = (
            await self.session.exec(
                select(Task).where(Task.request_id == request.id).order_by(col(Task.store))
            )
        ).all()
        letters = (
            await self.session.exec(
                select(Letter)
                .where(Letter.request_id == request.id)
                .order_by(col(Letter.created_at))
            )
        ).all()
        await flush_events(self.session)  # this transaction's own events belong in the timeline
        events = (
            await self.session.exec(
                select(Event).where(Event.request_id == request.id).order_by(col(Event.id))
            )
        ).all()
        return RequestDetail(
            **self._summary(request).model_dump(),
            language=request.language,
            received_at=request.received_at,
            extension_reason=self.vault.cipher.decrypt(
                EXTENSION_REASON, request.extension_reason_enc
            ),
            closed_at=request.closed_at,
            outcome=request.outcome,
            refusal_ground=request.refusal_ground,
            tasks=[
                TaskOut(
                    id=str(t.id),
                    result={k: v for k, v in (t.result_summary or {}).items() if k != "keys_enc"},
                    store=t.store,
                    action=t.action,
                    status=t.status,
                    attempts=t.attempts,
                    error=t.error,
                )
                for t in tasks
            ],
            letters=[letter_out(letter) for letter in letters],
            timeline=[
                EventOut(seq=e.seq, at=e.at, actor=e.actor, action=e.action, payload=e.payload)
                for e in events
            ],
        )

    async def page(
        self, filters: RequestFilters, actor: Actor, cursor: str | None, limit: int
    ) -> RequestPage:
        """Open-ended list in deadline order, with a keyset cursor."""
        due = effective_due()
        query = select(Request).order_by(due, col(Request.reference)).limit(limit + 1)
        if actor.role == Role.AGENT.value:
            query = query.where(Request.created_by == actor.staff_id)
        if filters.status:
            query = query.where(Request.status == filters.status.value)
        if filters.kind:
            query = query.where(Request.kind == filters.kind.value)
        if filters.channel:
            query = query.where(Request.channel == filters.channel.value)
        if filters.due_before:
            query = query.where(due <= filters.due_before)
        if filters.needs_attention is not None:
            query = query.where(Request.needs_attention == filters.needs_attention)
        if filters.open_only and not filters.reference:  # a reference finds any status
            query = query.where(
                col(Request.status).in_([s.value for s in RequestStatus if s.is_open])
            )
        if filters.created_by:
            query = query.where(Request.created_by == filters.created_by)
        if filters.reference:
            query = query.where(Request.reference == filters.reference.strip().upper())
        if filters.more:
            query = query.where(*filters.more)
        if cursor:
            after_due, after_reference = decode_cursor(cursor)
            query = query.where(
                tuple_(due, col(Request.reference)) > tuple_(after_due, after_reference)
            )
        rows = list((await self.session.exec(query)).all())
        more = len(rows) > limit
        rows = rows[:limit]
        next_cursor = encode_cursor(rows[-1].effective_due_on, rows[-1].reference) if more else None
        return RequestPage(items=[self._summary(r) for r in rows], next_cursor=next_cursor)

    async def package(self, reference: str, actor: Actor) -> Artifact:
        """The newest access package of a request, for the DPO's review."""
        request = await self.visible(reference, actor)
        artifact = (
            await self.session.exec(
                select(Artifact)
                .where(Artifact.request_id == request.id, Artifact.kind == "package")
                .order_by(col(Artifact.created_at).desc())
            )
        ).first()
        if artifact is None:
            raise NotFound("no package for this request")
        return artifact

    async def earlier_requests(self, request: Request) -> list[Request]:
        """The same person's other requests (by blind-indexed e-mail, phone or customer number),
        for judging whether a request is repetitive (Art. 12(5))."""
        subject = await self.session.get_one(Subject, request.subject_id)
        keys = [
            col(Subject.email_bidx) == subject.email_bidx if subject.email_bidx else None,
            col(Subject.phone_bidx) == subject.phone_bidx if subject.phone_bidx else None,
            col(Subject.customer_number_bidx) == subject.customer_number_bidx
            if subject.customer_number_bidx
            else None,
        ]
        matches = [k for k in keys if k is not None]
        if not matches:
            return []
        rows = await self.session.exec(
            select(Request)
            .join(Subject, col(Subject.id) == col(Request.subject_id))
            .where(or_(*matches), Request.id != request.id)
            .order_by(col(Request.received_at).desc())
            .limit(20)
        )
        return list(rows.all())

    async def visible(self, reference: str, actor: Actor) -> Request:
        request = await self.by_reference(reference)
        if actor.role == Role.AGENT.value and request.created_by != actor.staff_id:
            raise NotFound("no such request")  # agents do not learn that others' exist
        return request

    def _summary(self, request: Request) -> RequestSummary:
        return RequestSummary(
            reference=request.reference,
            kind=RequestKind(request.kind),
            channel=Channel(request.channel),
            status=RequestStatus(request.status),
            received_on=receipt_date(request.received_at, self.timezone),
            due_on=request.due_on,
            extended_due_on=request.extended_due_on,
            verification_level=request.verification_level,
            needs_attention=request.needs_attention,
        )

    def _received_at(self, data: RequestIn) -> datetime:
        now = self.clock()
        if data.received_at is None:
            return now
        if data.channel not in (Channel.EMAIL, Channel.LETTER):
            raise InvalidInput({"received_at": "only_email_or_letter"})
        given = data.received_at
        if given.tzinfo is None:
            raise InvalidInput({"received_at": "timezone_required"})
        if given > now + CLOCK_SKEW:
            raise InvalidInput({"received_at": "in_future"})
        if given < now - MAX_BACKDATE:
            raise InvalidInput({"received_at": "too_old"})
        return given

    @staticmethod
    def _clean_free_text(value: str | None, field: str, errors: dict[str, str]) -> str | None:
        if value is None:
            return None
        try:
            return clean_text(value, multiline=True) or None
        except ValueError:
            errors[field] = "invalid_text"
            return None


def _from_mailbox(data: RequestIn, actor: Actor) -> bool:
    """The mailbox poller files e-mail requests as the system (never reachable over HTTP)."""
    return actor.kind == "system" and data.channel is Channel.EMAIL


def letter_out(letter: Letter) -> LetterOut:
    return LetterOut(
        id=str(letter.id),
        kind=letter.kind,
        language=letter.language,
        version=letter.version,
        sha256=letter.sha256,
        created_at=letter.created_at,
        sent_at=letter.sent_at,
        channel=letter.channel,
    )


def encode_cursor(due: date, reference: str) -> str:
    return base64.urlsafe_b64encode(f"{due.isoformat()}|{reference}".encode()).decode()


def decode_cursor(cursor: str) -> tuple[date, str]:
    try:
        due, reference = base64.urlsafe_b64decode(cursor.encode()).decode().split("|", 1)
        return date.fromisoformat(due), reference[:32]
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise InvalidInput({"cursor": "invalid_cursor"}) from exc


@dataclass(frozen=True, slots=True)
class RequestCounts:
    by_status: dict[str, int]
    overdue: int


async def request_counts(session: AsyncSession, today: date) -> RequestCounts:
    """Requests per status, and open ones whose (effective) due date has passed."""
    due = effective_due()
    open_statuses = [s.value for s in RequestStatus if s.is_open]
    rows = (await session.exec(select(Request.status, func.count()).group_by(Request.status))).all()
    overdue = (
        await session.exec(
            select(func.count()).where(col(Request.status).in_(open_statuses), due < today)
        )
    ).one()
    return RequestCounts(by_status=dict(rows), overdue=int(overdue))


@dataclass(frozen=True, slots=True)
class WorkCounts:
    tasks: dict[str, int]
    mails: dict[str, int]
    tasks_ready: int
    mails_ready: int


async def work_counts(session: AsyncSession, now: datetime) -> WorkCounts:
    """Tasks and outgoing mails per state, and how many of each are ready to run now."""
    tasks = (await session.exec(select(Task.status, func.count()).group_by(Task.status))).all()
    mails = (await session.exec(select(Outbox.status, func.count()).group_by(Outbox.status))).all()
    tasks_ready = (
        await session.exec(
            select(func.count()).where(Task.status == "pending", col(Task.next_attempt_at) <= now)
        )
    ).one()
    mails_ready = (
        await session.exec(
            select(func.count()).where(
                Outbox.status == "pending", col(Outbox.next_attempt_at) <= now
            )
        )
    ).one()
    return WorkCounts(dict(tasks), dict(mails), int(tasks_ready), int(mails_ready))
