"""The DPO's actions on a request (``POST /api/v1/requests/{reference}/actions/{action}``)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from dsr.config import DsrConfig
from dsr.domain import refusals
from dsr.domain.deadlines import paused_deadline, receipt_date, response_deadline
from dsr.domain.errors import InvalidInput, InvalidTransition, NotFound
from dsr.domain.identity import clean_text
from dsr.domain.outcomes import result_outcome
from dsr.domain.vocabulary import RequestKind, RequestStatus
from dsr.letters.office import LetterOffice
from dsr.models import Request, Task
from dsr.models.base import utcnow
from dsr.models.request import EXTENSION_REASON
from dsr.security.vault import Vault
from dsr.services.release import ReleaseDesk
from dsr.workflows import engine, plan, tasks
from dsr.workflows.engine import Actor
from dsr.workflows.fanout import Fanout, lock_request

ACTIONS = ("approve", "reject", "extend", "release", "withdraw", "retry", "resolve_task")
REFUSABLE = frozenset(
    {
        RequestStatus.RECEIVED,
        RequestStatus.AWAITING_VERIFICATION,
        RequestStatus.VERIFIED,
        RequestStatus.AWAITING_REVIEW,
    }
)
READING = frozenset({RequestKind.ACCESS, RequestKind.PORTABILITY})


def refusable(request: Request) -> bool:
    """Art. 12(5): a request can be refused until its answer is released. While work runs,
    only a reading request (an auto-approved access) can: erasure or rectification under
    way has changed data already."""
    status = RequestStatus(request.status)
    if status is RequestStatus.PROCESSING:
        return RequestKind(request.kind) in READING
    return status in REFUSABLE


@dataclass(slots=True)
class RequestActions:
    session: AsyncSession
    config: DsrConfig
    vault: Vault
    letters: LetterOffice
    region: str = "DE-NW"
    timezone: str = "Europe/Berlin"

    async def run(
        self, request: Request, action: str, actor: Actor, body: dict[str, str]
    ) -> Request:
        request = await lock_request(self.session, request.id)
        if action == "approve":
            return await self._fanout().approve(request, actor)
        if action == "reject":
            return await self._reject(request, actor, body)
        if action == "extend":
            return await self._extend(request, actor, _note(body.get("reason"), "reason"))
        if action == "withdraw":
            return (await engine.apply(self.session, request, "withdraw", actor)).request
        if action == "release":
            return await self._release(request, actor)
        if action == "retry":
            return await self._retry(request, actor, body.get("task"))
        if action == "resolve_task":
            return await self._resolve(
                request, actor, body.get("task"), _note(body.get("note"), "note"), body.get("found")
            )
        raise NotFound(f"no action {action!r}")

    async def _reject(self, request: Request, actor: Actor, body: dict[str, str]) -> Request:
        """Art. 12(4): a ground that fits the kind of request, the DPO's own reasons (always:
        § 34(2) BDSG wants a refusal documented), and the letter with complaint and court."""
        if not refusable(request):
            raise InvalidTransition("this request can no longer be refused")
        chosen = refusals.ground(body.get("ground", ""))
        if chosen is None or RequestKind(request.kind) not in chosen.kinds:
            raise InvalidInput({"ground": "invalid_value"})
        reason = _note(body.get("reason"), "reason")
        if not reason:
            raise InvalidInput({"reason": "required"})
        fee = _note(body.get("fee"), "fee")[:64]
        if fee and not chosen.fee:
            raise InvalidInput({"fee": "invalid_value"})
        outcome = await engine.apply(
            self.session,
            request,
            "reject",
            actor,
            ground=chosen.code,
            payload={"reason_given": True, "fee_offered": bool(fee)},
        )
        if outcome.changed:
            await self.letters.refusal(outcome.request, chosen, reason, fee)
        return outcome.request

    async def _extend(self, request: Request, actor: Actor, reason: str) -> Request:
        """Art. 12(3): three months from receipt instead of one, with reasons, decided and told
        to the person within the first month."""
        if not reason:
            raise InvalidInput({"reason": "required"})
        if not RequestStatus(request.status).is_open:
            raise InvalidTransition("the request is closed")
        if request.extended_due_on is not None:
            raise InvalidTransition("the deadline was extended already")
        today = receipt_date(utcnow(), self.timezone)
        if today > request.due_on:
            raise InvalidTransition("an extension is possible only until the first deadline")
        extended = response_deadline(
            request.received_at, self.region, extended=True, timezone=self.timezone
        )
        paused = paused_deadline(extended, request.paused_days, self.region)
        reason_enc = self.vault.cipher.encrypt(EXTENSION_REASON, reason)
        request = await engine.extend(self.session, request, actor, extended, reason_enc, paused)
        await self.letters.extension(request)
        return request

    async def _release(self, request: Request, actor: Actor) -> Request:
        if request.status != RequestStatus.AWAITING_REVIEW.value:
            raise InvalidTransition("only a reviewed result can be released")
        tasks = (await self.session.exec(select(Task).where(Task.request_id == request.id))).all()
        acting = [task.result_summary for task in tasks if task.action != plan.FIND]
        packaged = await self.letters.package_of(request) is not None
        result = result_outcome(RequestKind(request.kind), acting, packaged=packaged)
        outcome = await engine.apply(self.session, request, "release", actor, outcome=result)
        if outcome.changed:
            await ReleaseDesk(self.session, self.config, self.vault, self.letters).apply(
                outcome.request, actor
            )
            await self.letters.answer(outcome.request)
        return outcome.request

    async def _retry(self, request: Request, actor: Actor, task_id: str | None) -> Request:
        found = await self._failed_or_named(request, task_id, {plan.FAILED, plan.PENDING})
        for task in found:
            await tasks.revive(self.session, task, actor.label, utcnow())
        await self._clear_attention(request)
        return request

    async def _resolve(
        self,
        request: Request,
        actor: Actor,
        task_id: str | None,
        note: str,
        found: str | None = None,
    ) -> Request:
        """Done by hand, with a note; a paper archive's task also says whether the file was
        found (``found``: ``yes`` / ``no``)."""
        if not note:
            raise InvalidInput({"note": "required"})
        if found not in (None, "", "yes", "no"):
            raise InvalidInput({"found": "invalid_value"})
        (task,) = await self._failed_or_named(
            request, task_id, {plan.WAITING, plan.FAILED, plan.PENDING}, one=True
        )
        note_enc = self.vault.cipher.encrypt("task.note", note)
        await tasks.resolve(
            self.session,
            task,
            actor.label,
            note_enc,
            utcnow(),
            found=None if not found else found == "yes",
        )
        await self._clear_attention(request)
        return await self._fanout().advance(request.id)

    async def _failed_or_named(
        self, request: Request, task_id: str | None, states: set[str], one: bool = False
    ) -> list[Task]:
        query = select(Task).where(Task.request_id == request.id, col(Task.status).in_(states))
        if task_id:
            try:
                query = query.where(Task.id == uuid.UUID(task_id))
            except ValueError as exc:
                raise InvalidInput({"task": "invalid_value"}) from exc
        elif one:
            raise InvalidInput({"task": "required"})
        tasks = list((await self.session.exec(query)).all())
        if not tasks:
            raise NotFound("no such task in a state this action applies to")
        return tasks

    async def _clear_attention(self, request: Request) -> None:
        remaining = (
            await self.session.exec(
                select(Task).where(Task.request_id == request.id, Task.status == plan.FAILED)
            )
        ).first()
        if remaining is None:
            await self.session.exec(
                update(Request).where(col(Request.id) == request.id).values(needs_attention=False)
            )

    def _fanout(self) -> Fanout:
        return Fanout(
            session=self.session, config=self.config, vault=self.vault, letters=self.letters
        )


def _note(value: str | None, field: str) -> str:
    if value is None:
        return ""
    if len(value) > 2000:
        raise InvalidInput({field: "too_long"})
    try:
        return clean_text(value, multiline=True)
    except ValueError as exc:
        raise InvalidInput({field: "invalid_text"}) from exc
