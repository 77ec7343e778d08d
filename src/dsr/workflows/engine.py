"""The only writer of a request's status.

Every change of status goes through ``apply``: the lifecycle decides whether the event
applies, an optimistic-locked UPDATE writes the new status, and the audit event is appended
in the same transaction. Applying an event whose result already holds is a no-op.
"""

from __future__ import annotations

import functools
import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import insert, text, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.sql.elements import TextClause
from sqlmodel.ext.asyncio.session import AsyncSession

from dsr.db import next_reference_number
from dsr.domain.errors import Conflict, InvalidTransition
from dsr.domain.outcomes import closing_outcome
from dsr.domain.references import reference_for
from dsr.domain.vocabulary import CLOSED_STATUSES, RequestStatus, VerificationLevel
from dsr.models import Request, Subject
from dsr.models.base import new_id, utcnow
from dsr.security.audit import append_event, new_event_row
from dsr.workflows import wakeup
from dsr.workflows.lifecycle import EVENTS, next_status, targets_of


@dataclass(frozen=True, slots=True)
class Actor:
    """Who causes a change, as the audit trail names it: never a person's name."""

    kind: str  # "staff", "subject" or "system"
    staff_id: uuid.UUID | None = None
    role: str | None = None
    stage: str = "full"  # a staff session between first password and TOTP set-up: "enrol"

    @property
    def label(self) -> str:
        return f"staff:{self.staff_id}" if self.staff_id else self.kind


SYSTEM = Actor("system")
SUBJECT = Actor("subject")
REQUESTS = Request.__table__  # type: ignore[attr-defined]
SUBJECTS = Subject.__table__  # type: ignore[attr-defined]
RECEIVED = "request.received"


@dataclass(frozen=True, slots=True)
class NewRequest:
    """A request about to be stored. Without a ``reference`` it takes the next number of
    ``year`` (gap-free: the number is taken in the transaction that stores the request)."""

    reference: str | None
    kind: str
    channel: str
    language: str
    received_at: datetime
    due_on: date
    subject_id: uuid.UUID
    created_by: uuid.UUID | None = None
    details_enc: str | None = None
    changes_enc: str | None = None
    status_token_digest: str | None = None
    year: int | None = None


async def open_request(
    session: AsyncSession,
    new: NewRequest,
    actor: Actor,
    subject: Mapping[str, Any] | None = None,
) -> Request:
    """``store_request``, returning the request as an object of the session (as if loaded),
    so that later changes in this transaction go through ``apply`` as usual."""
    request = Request(**await store_request(session, new, actor, subject))
    make_transient_to_detached(request)
    session.add(request)
    return request


async def store_request(
    session: AsyncSession,
    new: NewRequest,
    actor: Actor,
    subject: Mapping[str, Any] | None = None,
    *,
    alone: bool = False,
) -> dict[str, Any]:
    """Store a new request in ``received`` and record its receipt; returns its row.
    ``subject`` (its sealed columns and ``id``) is stored with it, else the subject row
    exists already. Core INSERTs, not the ORM's unit of work: every request takes this
    path.

    A numbered request on PostgreSQL is one statement: it takes the year's next number and
    stores subject, request and receipt event. Every intake waits for that counter row until
    the transaction holding it commits; ``alone`` (nothing else happens in this transaction)
    commits the statement by itself, so the row is never locked across a round trip to us."""
    row = _request_row(new)
    if subject is not None:  # spelled out: the PostgreSQL statement applies no defaults
        subject = {"created_at": utcnow(), **subject}
    if new.reference is None and session.get_bind().dialect.name == "postgresql":
        assert new.year is not None
        event = new_event_row(
            session,
            actor=actor.label,
            action=RECEIVED,
            request_id=row["id"],
            payload=_received(new),
        )
        if alone and isinstance(session.bind, AsyncEngine):
            async with session.bind.connect() as own:
                autocommit = await own.execution_options(isolation_level="AUTOCOMMIT")
                row["reference"] = await _insert_numbered(autocommit, new.year, subject, row, event)
        else:
            connection = await session.connection()
            row["reference"] = await _insert_numbered(connection, new.year, subject, row, event)
    else:
        connection = await session.connection()
        if subject is not None:
            await connection.execute(insert(SUBJECTS), dict(subject))
        if new.reference is None:
            assert new.year is not None
            row["reference"] = reference_for(
                new.year, await next_reference_number(session, new.year)
            )
        await connection.execute(insert(REQUESTS), row)
        await append_event(
            session,
            actor=actor.label,
            action=RECEIVED,
            request_id=row["id"],
            payload=_received(new),
        )
    return row


async def _insert_numbered(
    connection: AsyncConnection,
    year: int,
    subject: Mapping[str, Any] | None,
    request: Mapping[str, Any],
    event: Mapping[str, Any],
) -> str:
    """PostgreSQL: take the next number of ``year`` and store the subject (if given), the
    request with its reference and its ``request.received`` event in one statement; returns
    the reference. The year's counter row stays locked until the commit, so the fewer round
    trips between taking the number and committing, the more requests per second."""
    statement = _numbered_insert(tuple(subject or ()), tuple(request))
    values = {
        "year": year,
        **{f"s_{name}": value for name, value in (subject or {}).items()},
        **{f"r_{name}": value for name, value in request.items() if name != "reference"},
        **{f"e_{name}": value for name, value in event.items() if name != "payload"},
        "e_payload": json.dumps(event["payload"]),
    }
    return str((await connection.execute(statement, values)).scalar_one())


@functools.cache
def _numbered_insert(subject: tuple[str, ...], request: tuple[str, ...]) -> TextClause:
    """The statement of ``_insert_numbered`` for these subject and request columns (names
    of our own tables' columns, checked here: nothing from outside is spliced in)."""
    for table, names in ((SUBJECTS, subject), (REQUESTS, request)):
        if not set(names) <= set(table.c.keys()):
            raise ValueError(f"not columns of {table.name}: {set(names) - set(table.c.keys())}")
    new_subject = ""
    if subject:
        new_subject = f"""
        , new_subject AS (
            INSERT INTO subject ({", ".join(subject)})
            VALUES ({", ".join(f":s_{name}" for name in subject)})
        )"""  # noqa: S608 - column names checked above
    request_values = [
        "(SELECT reference FROM number)" if name == "reference" else f":r_{name}"
        for name in request
    ]
    return text(f"""
        WITH number AS (
            INSERT INTO reference_counter (year, last) VALUES (:year, 1)
            ON CONFLICT (year) DO UPDATE SET last = reference_counter.last + 1
            RETURNING 'DSR-' || year || '-'
                || lpad(last::text, greatest(6, length(last::text)), '0') AS reference
        ){new_subject}
        , new_request AS (
            INSERT INTO request ({", ".join(request)})
            VALUES ({", ".join(request_values)})
            RETURNING reference
        ), received AS (
            INSERT INTO event (at, actor, request_id, action, payload, nonce, mac)
            VALUES (:e_at, :e_actor, :e_request_id, :e_action, CAST(:e_payload AS json),
                :e_nonce, :e_mac)
        )
        SELECT reference FROM new_request""")  # noqa: S608 - column names checked above


def _request_row(new: NewRequest) -> dict[str, Any]:
    return {
        "id": new_id(),
        "reference": new.reference,
        "kind": new.kind,
        "channel": new.channel,
        "status": RequestStatus.RECEIVED.value,
        "received_at": new.received_at,
        "due_on": new.due_on,
        "extended_due_on": None,
        "paused_days": 0,
        "paused_due_on": None,
        "extension_reason_enc": None,
        "verification_level": VerificationLevel.NONE.value,
        "language": new.language,
        "subject_id": new.subject_id,
        "created_by": new.created_by,
        "closed_at": None,
        "outcome": None,
        "refusal_ground": None,
        "needs_attention": False,
        "details_enc": new.details_enc,
        "changes_enc": new.changes_enc,
        "status_token_digest": new.status_token_digest,
        "keys_enc": None,
        "version": 1,
    }


def _received(new: NewRequest) -> dict[str, Any]:
    """The receipt event's payload. Not the reference (the request row holds it): on
    PostgreSQL the number is taken in the statement that stores the event, after dsr's
    writer has signed the event's content."""
    return {"kind": new.kind, "channel": new.channel, "due_on": new.due_on.isoformat()}


@dataclass(frozen=True, slots=True)
class Outcome:
    request: Request
    changed: bool


async def apply(
    session: AsyncSession,
    request: Request,
    event: str,
    actor: Actor,
    *,
    level: str | None = None,
    ground: str | None = None,
    outcome: str | None = None,
    payload: Mapping[str, Any] | None = None,
    paused: tuple[int, date | None] | None = None,
) -> Outcome:
    """Apply lifecycle ``event`` to ``request`` (idempotent; raises on a stale version)."""
    if event not in EVENTS:
        raise InvalidTransition(f"unknown event {event!r}", event=event)
    target = next_status(request.status, event, level=level, ground=ground)
    if target is None:
        if request.status in targets_of(event):
            return Outcome(request, changed=False)
        raise InvalidTransition(
            f"{event} does not apply to a request in {request.status}",
            event=event,
            status=request.status,
        )

    values: dict[str, Any] = {"status": target}
    if event == "verify":
        values["verification_level"] = level
        if paused and paused[0] > 0:
            values["paused_days"], values["paused_due_on"] = paused
    if target in CLOSED_STATUSES:
        values["closed_at"] = utcnow()
        values["outcome"] = closing_outcome(target, ground, outcome)
        if ground:
            values["refusal_ground"] = ground
    audit_payload = {"from": request.status, "to": target, **dict(payload or {})}
    if level:
        audit_payload["level"] = level
    if ground:
        audit_payload["ground"] = ground
    if "paused_days" in values:
        audit_payload["paused_days"] = values["paused_days"]
    await _write(session, request, values, actor, f"request.{event}", audit_payload)
    if target == RequestStatus.VERIFIED.value:  # the worker plans its fan-out at once
        wakeup.soon(session, wakeup.TASKS)
    return Outcome(request, changed=True)


async def raise_level(
    session: AsyncSession, request: Request, level: str, actor: Actor, **payload: Any
) -> Request:
    """Record a stronger verification level (not a status change, but audited alike)."""
    audit_payload = {"from": request.verification_level, "to": level, **payload}
    values = {"verification_level": level}
    return await _write(session, request, values, actor, "request.level_raised", audit_payload)


async def flag_attention(
    session: AsyncSession, request: Request, actor: Actor, reason: str
) -> Request:
    """Put the request in front of the DPO (``needs_attention``), audited with a reason code
    (a reminder or a reply arrived by e-mail); a request already flagged stays as it is."""
    if request.needs_attention:
        return request
    values = {"needs_attention": True}
    return await _write(session, request, values, actor, "request.flagged", {"reason": reason})


async def extend(
    session: AsyncSession,
    request: Request,
    actor: Actor,
    extended_due_on: date,
    reason_enc: str | None,
    paused_due_on: date | None = None,
) -> Request:
    """Record an Art. 12(3) extension: a new due date with its (encrypted) reason, audited."""
    values = {
        "extended_due_on": extended_due_on,
        "extension_reason_enc": reason_enc,
        "paused_due_on": paused_due_on,
    }
    audit_payload = {
        "due_on": request.due_on.isoformat(),
        "extended_due_on": extended_due_on.isoformat(),
    }
    return await _write(session, request, values, actor, "request.extended", audit_payload)


async def _write(
    session: AsyncSession,
    request: Request,
    values: Mapping[str, Any],
    actor: Actor,
    action: str,
    payload: Mapping[str, Any],
) -> Request:
    """Update ``request`` if nobody changed it since it was read (its version), and append
    the audit event in the same transaction."""
    result = await session.exec(
        update(Request)
        .where(Request.id == request.id, Request.version == request.version)  # type: ignore[arg-type]
        .values(**values, version=request.version + 1)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise Conflict(f"request {request.reference} was changed concurrently")
    await append_event(
        session, actor=actor.label, action=action, request_id=request.id, payload=payload
    )
    # The row now holds exactly these values: no need to read it back.
    for key, value in {**values, "version": request.version + 1}.items():
        set_committed_value(request, key, value)
    return request
