"""The durable task runner: claim ready tasks with a lease, run the connector call with a
timeout, record the outcome, and retry with exponential backoff.

Claims use ``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so several ``dsr worker`` processes
share the work; on SQLite one in-process worker runs. A worker that dies leaves its lease to
expire, and the task is claimed again; connectors are idempotent, so nothing is done twice
in effect. A result is recorded only while its lease is still held.
"""

from __future__ import annotations

import asyncio
import os
import socket
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

import structlog
from sqlalchemy import exists
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from dsr.config import DsrConfig
from dsr.connectors.base import (
    Accepted,
    Change,
    Connector,
    ExportFile,
    FindResult,
    Identifiers,
    NeedsPerson,
    StoreError,
    StoreUnavailable,
    StreamingExport,
)
from dsr.db import Database
from dsr.domain.deadlines import receipt_date
from dsr.domain.errors import Conflict
from dsr.domain.vocabulary import RequestStatus
from dsr.models import Request, Subject, Task
from dsr.models.base import utcnow
from dsr.security.vault import Vault
from dsr.workflows import plan, tasks
from dsr.workflows.fanout import Fanout, lock_request, save_export

if TYPE_CHECKING:
    from dsr.letters.office import LetterOffice

log = structlog.get_logger("dsr.runner")


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


@dataclass
class Runner:
    db: Database
    config: DsrConfig
    connectors: Mapping[str, Connector]
    vault: Vault
    timezone: str = "Europe/Berlin"
    worker: str = field(default_factory=worker_id)
    lease: timedelta = timedelta(minutes=5)
    max_attempts: int = 6
    batch: int = 32  # tasks run side by side per round (each under its store's timeout)
    clock: Callable[[], datetime] = utcnow
    letters: Callable[[Any], LetterOffice] | None = None  # for results released at once

    async def run_once(self) -> int:
        """Plan newly verified requests, then run one batch of ready tasks."""
        await self.plan_verified()
        claimed = await self.claim()
        await asyncio.gather(*(self.execute(task_id) for task_id in claimed))
        return len(claimed)

    async def drain(self, rounds: int = 50) -> None:
        """Run until no task is ready (tests and benchmarks)."""
        for _ in range(rounds):
            if not await self.run_once():
                return

    async def plan_verified(self) -> int:
        """Verified requests without tasks get their identification tasks."""
        async with self.db.session_scope() as session:
            rows = (
                await session.exec(
                    select(Request)
                    .where(
                        Request.status == RequestStatus.VERIFIED.value,
                        ~exists().where(col(Task.request_id) == Request.id),
                    )
                    .limit(50)
                    .with_for_update(skip_locked=True)
                )
            ).all()
            try:
                for request in rows:
                    await self._fanout(session).start(request)
            except (IntegrityError, Conflict):  # another worker planned them first
                await session.rollback()
                return 0
        return len(rows)

    async def claim(self) -> list[uuid.UUID]:
        async with self.db.session_scope() as session:
            return await tasks.claim(
                session,
                self.worker,
                self.clock(),
                lease=self.lease,
                batch=self.batch,
                max_attempts=self.max_attempts,
            )

    async def execute(self, task_id: uuid.UUID) -> None:
        try:
            claimed = await self._claimed(task_id)
            if claimed is None:
                return  # the lease ran out and another worker took over
            task, who, changes, today = claimed
            connector = self.connectors.get(task.store)
            if task.action == plan.MANUAL or connector is None:
                raise NeedsPerson("")
            result = await asyncio.wait_for(
                _call(connector, task.action, who, changes, today, str(task.id)),
                self._timeout(task.store),
            )
        except NeedsPerson:
            await self._park(task_id, "person")
        except Accepted:
            await self._park(task_id, "callback")
        except StoreError as exc:  # retrying cannot help: the DPO sees the cause at once
            await self._failed(task_id, str(exc)[:500], final=True)
        except (StoreUnavailable, TimeoutError, OSError) as exc:
            await self._failed(
                task_id,
                type(exc).__name__ if not isinstance(exc, StoreUnavailable) else "unavailable",
            )
        except Exception as exc:  # noqa: BLE001 - unplanned (undecryptable data, a connector's
            # bug): retried with backoff like an outage, then failed for the DPO to see; only
            # the type is kept, its message may quote the person's data
            await self._failed(task_id, type(exc).__name__)
        else:
            try:
                await self._done(task_id, task.request_id, task.action, result)
            finally:
                if isinstance(result, ExportFile):
                    result.close()

    async def _claimed(
        self, task_id: uuid.UUID
    ) -> tuple[Task, Identifiers, list[Change], date] | None:
        """The task, if this worker still holds it, with whom to look for, the requested
        changes and today, decrypted for this call (one transaction)."""
        async with self.db.session_scope() as session:
            task = await session.get_one(Task, task_id)
            if not tasks.holds(task, self.worker):
                return None
            request = await session.get_one(Request, task.request_id)
            subject = await session.get_one(Subject, request.subject_id)
            who = self._fanout(session).identifiers(request, subject)
            record = self.config.system_of_record
            if record is None or task.store != record.name:
                who = who.without_records()  # the record's row keys mean nothing elsewhere
            changes = [
                Change(c["field"], c["value"])
                for c in self.vault.cipher.decrypt_json("request.changes", request.changes_enc)
                or []
            ]
        return task, who, changes, receipt_date(self.clock(), self.timezone)

    async def _done(
        self, task_id: uuid.UUID, request_id: uuid.UUID, action: str, result: Any
    ) -> None:
        async with self.db.session_scope() as session:
            request = await lock_request(session, request_id)
            task = await session.get_one(Task, task_id)  # read after the lock: current
            if not tasks.holds(task, self.worker):
                return  # the lease ran out and another worker took over
            summary = tasks.summarise(result)
            if isinstance(result, ExportFile):
                artifact = await save_export(session, self.vault, task.request_id, result)
                summary["artifact"] = str(artifact.id)
            if isinstance(result, FindResult) and not result.keys.empty:
                summary["keys_enc"] = self.vault.cipher.encrypt_json(
                    "task.keys", result.keys.to_json()
                )
            await tasks.complete(session, task, summary, self.clock())
            await self._fanout(session).advance(request.id, locked=request)

    async def _park(self, task_id: uuid.UUID, waiting_for: str) -> None:
        async with self.db.session_scope() as session:
            task = await session.get_one(Task, task_id)
            if task.lease_owner == self.worker:
                await tasks.park(session, task, waiting_for)

    async def _failed(self, task_id: uuid.UUID, error: str, *, final: bool = False) -> None:
        async with self.db.session_scope() as session:
            task = await session.get_one(Task, task_id)
            if task.lease_owner != self.worker:
                return
            give_up = final or task.attempts >= self.max_attempts
            if give_up:
                await tasks.give_up(session, task, error)
            else:
                await tasks.retry_later(session, task, error, self.clock())
        log.warning(
            "task failed",
            store=task.store,
            action=task.action,
            attempts=task.attempts,
            gave_up=give_up,
        )

    def _timeout(self, store: str) -> float:
        try:
            return self.config.store(store).timeout
        except KeyError:
            return 30.0

    def _fanout(self, session: Any) -> Fanout:
        return Fanout(
            session=session,
            config=self.config,
            vault=self.vault,
            clock=self.clock,
            letters=self.letters(session) if self.letters else None,
        )


async def _call(
    connector: Connector, action: str, who: Any, changes: list[Change], today: Any, job: str
) -> Any:
    if action == plan.FIND:
        return await connector.find(who, job=job)
    if action == plan.EXPORT:
        out = ExportFile()
        try:
            if isinstance(connector, StreamingExport):
                await connector.export_into(who, out, job=job)
            else:
                out.add(await connector.export(who, job=job))
        except BaseException:
            out.close()
            raise
        return out
    if action == plan.ERASE:
        return await connector.erase(who, today, job=job)
    if action == plan.RECTIFY:
        return await connector.rectify(who, changes, job=job)
    raise NeedsPerson("")
