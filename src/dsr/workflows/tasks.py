"""A task's life: every change of a task's state is one of the functions here.

::

    pending --claim--> running --complete--> done
       ^                  |  \\--park--> waiting --complete (person, processor)--> done
       |                  |--retry_later (an outage; attempts left)--> pending
       |                  '--give_up (refused, attempts used up, worker lost)--> failed
       '------------------------------ revive (the DPO retries) <-----------------'

The runner, the fan-out, the processor callbacks and the DPO's actions call these; none of
them writes a task row itself. A result is recorded only while the caller still holds the
task's lease, and every end is an audit event without personal data.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import update
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from dsr.connectors.base import EraseResult, ExportFile, ExportResult, FindResult, RectifyResult
from dsr.domain import retry
from dsr.models import Request, Task
from dsr.security.audit import append_event
from dsr.workflows import plan, queue, wakeup
from dsr.workflows.engine import SYSTEM

BASE_BACKOFF = timedelta(seconds=10)
MAX_BACKOFF = timedelta(minutes=30)
WORKER_LOST = "worker_lost"


def backoff(attempts: int) -> timedelta:
    """10 s, 20 s, 40 s, ... capped at 30 minutes."""
    return retry.backoff(attempts, BASE_BACKOFF, MAX_BACKOFF)


async def add(
    session: AsyncSession, request_id: uuid.UUID, planned: Sequence[plan.PlannedTask], now: datetime
) -> None:
    for item in planned:
        session.add(
            Task(
                request_id=request_id,
                store=item.store,
                action=item.action,
                status=plan.PENDING,
                next_attempt_at=now,
            )
        )
    await session.flush()
    if planned:
        wakeup.soon(session, wakeup.TASKS)
        await append_event(
            session,
            actor=SYSTEM.label,
            action="tasks.planned",
            request_id=request_id,
            payload={"tasks": [f"{p.store}:{p.action}" for p in planned]},
        )


async def claim(
    session: AsyncSession,
    worker: str,
    now: datetime,
    *,
    lease: timedelta,
    batch: int,
    max_attempts: int,
) -> list[uuid.UUID]:
    """Lease ready tasks to ``worker`` (``FOR UPDATE SKIP LOCKED`` on PostgreSQL). A task
    whose lease ran out with its attempts used up — its worker kept dying on it — is failed
    for the DPO instead of claimed again."""
    taken = await queue.claim(
        session,
        Task,
        ready=plan.PENDING,
        busy=plan.RUNNING,
        now=now,
        lease=lease,
        batch=batch,
        max_attempts=max_attempts,
        owner={"lease_owner": worker},
    )
    for task_id in taken.lost:
        await give_up(session, await session.get_one(Task, task_id), WORKER_LOST)
    return taken.claimed


def holds(task: Task, worker: str) -> bool:
    """Whether ``worker`` still holds the task's lease (else another worker took over)."""
    return task.lease_owner == worker and task.status == plan.RUNNING


async def complete(session: Any, task: Task, summary: dict[str, Any], now: datetime) -> None:
    """Mark ``task`` done with its summary (counts and categories, never personal data)."""
    await _release(session, task, status=plan.DONE, result_summary=summary, finished_at=now)
    await append_event(
        session,
        actor=SYSTEM.label,
        action="task.done",
        request_id=task.request_id,
        payload={"store": task.store, "action": task.action, **_counts_only(summary)},
    )


async def park(session: AsyncSession, task: Task, waiting_for: str) -> None:
    """The work waits for a person (``person``) or a processor's callback (``callback``)."""
    await _release(session, task, status=plan.WAITING)
    await append_event(
        session,
        actor=SYSTEM.label,
        action="task.waiting",
        request_id=task.request_id,
        payload={"store": task.store, "action": task.action, "for": waiting_for},
    )


async def retry_later(session: AsyncSession, task: Task, error: str, now: datetime) -> None:
    next_attempt = now + backoff(task.attempts)
    await _release(session, task, status=plan.PENDING, next_attempt_at=next_attempt, error=error)


async def give_up(session: AsyncSession, task: Task, error: str) -> None:
    """The task failed for good: the request needs the DPO's attention (retry, or done by
    hand)."""
    await _release(session, task, status=plan.FAILED, next_attempt_at=None, error=error)
    await session.exec(
        update(Request).where(col(Request.id) == task.request_id).values(needs_attention=True)
    )
    await append_event(
        session,
        actor=SYSTEM.label,
        action="task.failed",
        request_id=task.request_id,
        payload={
            "store": task.store,
            "action": task.action,
            "attempts": task.attempts,
            "error": error,
        },
    )


async def revive(session: AsyncSession, task: Task, actor: str, now: datetime) -> None:
    """The DPO runs a failed (or waiting-to-retry) task again, with fresh attempts."""
    await session.exec(
        update(Task)
        .where(col(Task.id) == task.id)
        .values(status=plan.PENDING, attempts=0, next_attempt_at=now, error=None)
    )
    wakeup.soon(session, wakeup.TASKS)
    await append_event(
        session,
        actor=actor,
        action="task.retried",
        request_id=task.request_id,
        payload={"store": task.store, "action": task.action},
    )


async def resolve(
    session: AsyncSession,
    task: Task,
    actor: str,
    note_enc: str | None,
    now: datetime,
    found: bool | None = None,
) -> None:
    """A person did the work (or decided it needs none) and says so in a note; for a paper
    archive also whether the person's file was ``found`` (the letter says "nothing found"
    only when that was recorded)."""
    await session.exec(update(Task).where(col(Task.id) == task.id).values(note_enc=note_enc))
    if found is None:
        await complete(session, task, {"resolved_by": actor}, now)
        return
    summary = {"resolved_by": actor, "found": found}
    await _release(session, task, status=plan.DONE, result_summary=summary, finished_at=now)
    await append_event(
        session,
        actor=actor,
        action="task.found" if found else "task.not_found",
        request_id=task.request_id,
        payload={
            "store": task.store,
            "action": task.action,
            "task": str(task.id),
            "found": found,
            "note": True,
        },
    )


async def _release(session: Any, task: Task, **values: Any) -> None:
    """Write the task's new state; whatever it is, no worker holds it any more."""
    values = {"error": None, **values, "lease_owner": None, "lease_until": None}
    await session.exec(update(Task).where(col(Task.id) == task.id).values(**values))


def summarise(result: Any) -> dict[str, Any]:
    """What may be kept in the clear about an outcome: counts, categories, retention holds,
    rows kept and why — table and column names, never a value."""
    if isinstance(result, FindResult):
        return {"counts": result.counts, "categories": result.categories}
    if isinstance(result, ExportResult | ExportFile):
        return {"counts": result.counts}
    if isinstance(result, EraseResult):
        return {
            "erased": result.erased,
            "categories": result.categories,
            "held": [{**asdict(h), "until": h.until.isoformat()} for h in result.held],
            "kept": [asdict(k) for k in result.kept],
            "mentions": result.mentions,
        }
    if isinstance(result, RectifyResult):
        return {
            "changed": result.changed,
            "kept": [asdict(k) for k in result.kept],
            "columns": result.columns,
            "fields": result.fields,
        }
    return {}


def _counts_only(summary: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in summary.items() if k in {"counts", "erased", "changed"}}
