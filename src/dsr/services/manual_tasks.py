"""Manual tasks (a paper archive, a processor without an API) as the DPO works them: the
instructions for this request's action, and the identifiers needed to find the file, shown
on demand with an audit event (without the data). Closing one is ``resolve_task`` in
``services.actions`` (found / not found and a note)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from sqlmodel.ext.asyncio.session import AsyncSession

from dsr.config import DsrConfig, ManualStore
from dsr.connectors.base import Identifiers
from dsr.domain.errors import NotFound
from dsr.domain.identity import Identity
from dsr.models import Request, Subject, Task
from dsr.security.audit import append_event
from dsr.security.vault import Vault
from dsr.workflows import plan
from dsr.workflows.engine import Actor
from dsr.workflows.fanout import request_identifiers

OPEN = frozenset({plan.WAITING, plan.FAILED, plan.PENDING})
SHOWN = "subject.identifiers_shown"


def manual_store(config: DsrConfig, name: str) -> ManualStore | None:
    try:
        store = config.store(name)
    except KeyError:
        return None
    return store if isinstance(store, ManualStore) else None


class TaskLike(Protocol):
    id: Any
    store: str
    action: str


def instructions(config: DsrConfig, tasks: Sequence[TaskLike]) -> dict[str, str]:
    """Each manual store's task (by id) -> its instructions for that task's action ("" when
    ``dsr.yaml`` gives none for it: never another action's text)."""
    shown = {}
    for task in tasks:
        store = manual_store(config, task.store)
        if store is not None:
            shown[str(task.id)] = store.instructions_for(task.action)
    return shown


@dataclass(frozen=True, slots=True)
class FileSearch:
    """What the person searching the archive needs: the task, its instructions and who."""

    task: Task
    instructions: str
    identity: Identity
    keys: Identifiers  # what the fan-out proved or found in the system of record


@dataclass(slots=True)
class ManualTasks:
    session: AsyncSession
    config: DsrConfig
    vault: Vault

    async def reveal(self, request: Request, task_id: uuid.UUID, actor: Actor) -> FileSearch:
        """The person's identifiers for an open manual task, decrypted for ``actor``; the view
        is an audit event that names the task, not the data."""
        task = await self.session.get(Task, task_id)
        store = manual_store(self.config, task.store) if task else None
        if task is None or task.request_id != request.id or store is None:
            raise NotFound("no such manual task")
        if task.status not in OPEN:
            raise NotFound("the task is closed")
        subject = await self.session.get_one(Subject, request.subject_id)
        identity = self.vault.open_subject(subject)
        await append_event(
            self.session,
            actor=actor.label,
            action=SHOWN,
            request_id=request.id,
            payload={"store": task.store, "task": str(task.id), "purpose": "find_file"},
        )
        keys = request_identifiers(request, self.vault, subject).without_records()
        return FileSearch(task, store.instructions_for(task.action), identity, keys)
