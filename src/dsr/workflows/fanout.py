"""Moving a request through its fan-out: identify, search or act, then finish.

Called by the runner after every task outcome, and by the DPO's approve action. All of it
runs in the caller's transaction, with the request row locked, so two workers finishing the
last two tasks of one request cannot both move it on.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import update
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from dsr import artifacts
from dsr.config import DsrConfig, SqlStore
from dsr.connectors.base import ExportFile, Identifiers
from dsr.domain.errors import InvalidTransition
from dsr.domain.outcomes import result_outcome
from dsr.domain.vocabulary import (
    Language,
    Outcome,
    RequestKind,
    RequestStatus,
    VerificationLevel,
)
from dsr.models import Artifact, Request, Subject, Task
from dsr.models.base import utcnow
from dsr.security.audit import append_event
from dsr.security.vault import Vault
from dsr.workflows import engine, plan, tasks
from dsr.workflows.engine import SYSTEM, Actor
from dsr.workflows.package import PackageInfo, build_package, paper_files

if TYPE_CHECKING:
    from dsr.letters.office import LetterOffice

PACKAGE = "package"
EXPORT = "export"


@dataclass(slots=True)
class Fanout:
    session: AsyncSession
    config: DsrConfig
    vault: Vault
    clock: Callable[[], datetime] = utcnow
    letters: LetterOffice | None = None  # sends the answer when a result is released at once

    async def start(self, request: Request) -> None:
        """A request was verified: look the person up in the system of record."""
        planned = plan.identification(self.config.stores)
        if not planned:  # no stores declared: nothing to search
            await self._identified(request, found=None)
            return
        await self._add_tasks(request, planned)

    async def advance(self, request_id: uuid.UUID, locked: Request | None = None) -> Request:
        """Move the request on if its tasks are done (``locked``: the caller holds its lock)."""
        request = locked or await lock_request(self.session, request_id)
        tasks = await self._tasks(request)
        if not tasks or any(t.status != plan.DONE for t in tasks):
            return request
        status = RequestStatus(request.status)
        if status is RequestStatus.VERIFIED:
            identify = [t for t in tasks if t.action == plan.FIND]
            found = None
            if identify and identify[0].result_summary:
                sealed = identify[0].result_summary.get("keys_enc")
                found = Identifiers.from_json(
                    self.vault.cipher.decrypt_json("task.keys", sealed) if sealed else {}
                )
            await self._identified(request, found)
        elif status is RequestStatus.PROCESSING:
            await self._processed(request, tasks)
        return request

    async def approve(self, request: Request, actor: Actor) -> Request:
        """The DPO (or the auto-approve policy) lets the work on the data begin."""
        if request.status == RequestStatus.VERIFIED.value:
            tasks = await self._tasks(request)
            if any(t.status != plan.DONE for t in tasks) or request.keys_enc is None:
                raise InvalidTransition("identification is not finished yet")
        outcome = await engine.apply(self.session, request, "approve", actor)
        if outcome.changed:
            await self._add_tasks(request, self._work(request))
        return outcome.request

    def identifiers(self, request: Request, subject: Subject) -> Identifiers:
        return request_identifiers(request, self.vault, subject)

    async def _identified(self, request: Request, found: Identifiers | None) -> None:
        subject = await self.session.get_one(Subject, request.subject_id)
        keys = verified_identifiers(request, self.vault, subject)
        matched = found is not None and not found.empty
        if matched and found is not None:
            keys = keys.merge(found)
            await self._raise_level(request, VerificationLevel.EMAIL_MATCHED, "system_of_record")
        keys_enc = self.vault.cipher.encrypt_json("request.keys", keys.to_json())
        await self.session.exec(
            update(Request).where(col(Request.id) == request.id).values(keys_enc=keys_enc)
        )
        set_committed_value(request, "keys_enc", keys_enc)
        kind = RequestKind(request.kind)
        if not self._may_touch_data(request):
            # Unknown to the system of record: search the other stores before answering.
            outcome = await engine.apply(
                self.session, request, "approve", SYSTEM, payload={"scope": "search"}
            )
            searches = [
                plan.PlannedTask(s.name, plan.FIND)
                for s in self.config.stores
                if not (isinstance(s, SqlStore) and s.system_of_record) and s.type != "manual"
            ]
            await self._add_tasks(outcome.request, searches)
            if not searches:
                await self._processed(outcome.request, await self._tasks(outcome.request))
        elif kind.value in self.config.policies.auto_approve:
            await self.approve(request, SYSTEM)

    async def _processed(self, request: Request, tasks: Sequence[Task]) -> None:
        acting = [t for t in tasks if t.action != plan.FIND]
        if not acting:  # the search phase ended
            found_in = [
                t.store
                for t in tasks
                if t.action == plan.FIND
                and not self._is_record(t.store)
                and sum((t.result_summary or {}).get("counts", {}).values())
            ]
            if not found_in:
                await self._finish(request, outcome=Outcome.NO_DATA)
                return
            await self._raise_level(request, VerificationLevel.EMAIL_MATCHED, "store")
            action = plan.ACTION_FOR_KIND[RequestKind(request.kind)]
            await self._add_tasks(request, [plan.PlannedTask(s, action) for s in found_in])
            return
        kind = RequestKind(request.kind)
        packaged = kind in (RequestKind.ACCESS, RequestKind.PORTABILITY) and await self._package(
            request, acting
        )
        summaries = [t.result_summary for t in acting]
        await self._finish(request, outcome=result_outcome(kind, summaries, packaged=packaged))

    async def _finish(self, request: Request, outcome: str) -> None:
        release = request.kind in self.config.policies.auto_release and outcome != Outcome.NO_DATA
        if release:
            done = await engine.apply(self.session, request, "complete", SYSTEM, outcome=outcome)
            if done.changed and self.letters is not None:
                await self.letters.answer(done.request)
        else:
            await engine.apply(self.session, request, "finish", SYSTEM, payload={"result": outcome})

    async def _package(self, request: Request, tasks: Sequence[Task]) -> bool:
        exports: dict[str, ExportFile] = {}
        try:
            exports = await open_exports(self.session, self.vault, tasks)
            info = package_info(request, self.config, self.clock(), tasks)
            found_on_paper = any(found for _, found in info.paper)
            if not found_on_paper and not any(
                sum(export.counts.values()) for export in exports.values()
            ):
                return False  # nothing held: the negative answer
            with artifacts.spool() as zipped:
                build_package(info, exports, zipped)
                artifact = await artifacts.save_file(
                    self.session,
                    self.vault.cipher,
                    zipped,
                    request_id=request.id,
                    kind=PACKAGE,
                    media_type="application/zip",
                )
        finally:
            for export in exports.values():
                export.close()
        await append_event(
            self.session,
            actor=SYSTEM.label,
            action="package.built",
            request_id=request.id,
            payload={
                "artifact": str(artifact.id),
                "size": artifact.size,
                "stores": sorted(exports),
            },
        )
        return True

    def _work(self, request: Request) -> list[plan.PlannedTask]:
        return plan.processing(RequestKind(request.kind), self.config.stores)

    def _may_touch_data(self, request: Request) -> bool:
        required = self.config.policies.verification.get(request.kind, ["email_matched", "kba"])
        return plan.level_allows_data(request.verification_level, required)

    def _is_record(self, store: str) -> bool:
        record = self.config.system_of_record
        return record is not None and record.name == store

    async def _raise_level(self, request: Request, level: VerificationLevel, source: str) -> None:
        order = [item.value for item in VerificationLevel]
        if order.index(request.verification_level) >= order.index(level.value):
            return
        await engine.raise_level(self.session, request, level.value, SYSTEM, source=source)

    async def _tasks(self, request: Request) -> list[Task]:
        return list(
            (await self.session.exec(select(Task).where(Task.request_id == request.id))).all()
        )

    async def _add_tasks(self, request: Request, planned: Sequence[plan.PlannedTask]) -> None:
        await tasks.add(self.session, request.id, planned, self.clock())


async def lock_request(session: AsyncSession, request_id: uuid.UUID) -> Request:
    """Lock the request row first in every transaction that also appends audit events:
    one lock order (request, then the audit chain) keeps PostgreSQL free of deadlocks."""
    return (
        await session.exec(select(Request).where(Request.id == request_id).with_for_update())
    ).one()


def request_identifiers(request: Request, vault: Vault, subject: Subject) -> Identifiers:
    """Keys found in the system of record, or else what the requester proved."""
    if request.keys_enc:
        return Identifiers.from_json(vault.cipher.decrypt_json("request.keys", request.keys_enc))
    return verified_identifiers(request, vault, subject)


def verified_identifiers(request: Request, vault: Vault, subject: Subject) -> Identifiers:
    """Only what the requester proved: the confirmed e-mail, or the customer number an agent
    matched on the phone. Unverified extras from a form never reach a store. An ID document
    seen at the desk proves a name, not a customer number typed into a letter: it adds no
    number (else someone else's number and one's own ID would open that customer's data)."""
    identity = vault.open_subject(subject)
    level = request.verification_level
    emails = frozenset({identity.email}) if identity.email and level != "none" else frozenset()
    numbers = (
        frozenset({identity.customer_number})
        if identity.customer_number and level == VerificationLevel.KBA.value
        else frozenset()
    )
    return Identifiers.of(emails=emails, customer_numbers=numbers)


async def open_exports(
    session: AsyncSession, vault: Vault, tasks: Sequence[Task]
) -> dict[str, ExportFile]:
    """The stores' exports of ``tasks``, each in a scratch file; the caller closes them."""
    exports: dict[str, ExportFile] = {}
    try:
        for task in tasks:
            artifact_id = (task.result_summary or {}).get("artifact")
            if not artifact_id:
                continue
            artifact = await session.get_one(Artifact, uuid.UUID(artifact_id))
            content = await artifacts.spooled(session, vault.cipher, artifact)
            exports[task.store] = ExportFile.opened(content)
    except BaseException:
        for export in exports.values():
            export.close()
        raise
    return exports


def package_info(
    request: Request, config: DsrConfig, now: datetime, tasks: Sequence[Task]
) -> PackageInfo:
    language = Language(request.language).letters
    return PackageInfo(
        request.reference,
        config.controller.name,
        now,
        language=language,
        config=config,
        paper=paper_files(config, tasks, language),
    )


async def save_export(
    session: AsyncSession, vault: Vault, request_id: uuid.UUID, export: ExportFile
) -> Artifact:
    """A store's export, as the package will read it."""
    export.finish()
    return await artifacts.save_file(
        session,
        vault.cipher,
        export.file,
        request_id=request_id,
        kind=EXPORT,
        media_type="application/x-ndjson",
    )
