"""The only writer of a request's status.

Every change of status goes through ``apply``: the lifecycle decides whether the event
applies, an optimistic-locked UPDATE writes the new status, and the audit event is appended
in the same transaction. Applying an event whose result already holds is a no-op.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel.ext.asyncio.session import AsyncSession

from dsr.domain.errors import Conflict, InvalidTransition
from dsr.domain.vocabulary import CLOSED_STATUSES, RequestStatus, VerificationLevel
from dsr.models import Request
from dsr.models.base import utcnow
from dsr.security.audit import append_event
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


@dataclass(frozen=True, slots=True)
class NewRequest:
    """A request about to be stored; the subject row is already sealed by the caller."""

    reference: str
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


async def open_request(session: AsyncSession, new: NewRequest, actor: Actor) -> Request:
    """Store a new request in ``received`` and record its receipt."""
    request = Request(
        reference=new.reference,
        kind=new.kind,
        channel=new.channel,
        status=RequestStatus.RECEIVED.value,
        received_at=new.received_at,
        due_on=new.due_on,
        language=new.language,
        subject_id=new.subject_id,
        created_by=new.created_by,
        details_enc=new.details_enc,
        changes_enc=new.changes_enc,
        status_token_digest=new.status_token_digest,
        verification_level=VerificationLevel.NONE.value,
    )
    session.add(request)
    await session.flush()
    await append_event(
        session,
        actor=actor.label,
        action="request.received",
        request_id=request.id,
        payload={
            "reference": new.reference,
            "kind": new.kind,
            "channel": new.channel,
            "due_on": new.due_on.isoformat(),
        },
    )
    return request


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
        values["outcome"] = outcome or ground or target
    audit_payload = {"from": request.status, "to": target, **dict(payload or {})}
    if level:
        audit_payload["level"] = level
    if ground:
        audit_payload["ground"] = ground
    if "paused_days" in values:
        audit_payload["paused_days"] = values["paused_days"]
    await _write(session, request, values, actor, f"request.{event}", audit_payload)
    return Outcome(request, changed=True)


async def raise_level(
    session: AsyncSession, request: Request, level: str, actor: Actor, **payload: Any
) -> Request:
    """Record a stronger verification level (not a status change, but audited alike)."""
    audit_payload = {"from": request.verification_level, "to": level, **payload}
    values = {"verification_level": level}
    return await _write(session, request, values, actor, "request.level_raised", audit_payload)


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
