"""A processor reports a result for a task it accepted earlier (``http`` stores)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass

from sqlmodel.ext.asyncio.session import AsyncSession

from dsr.config import DsrConfig
from dsr.connectors.base import Connector, ExportFile, ExportResult, StoreUnavailable
from dsr.connectors.http import (
    HttpConnector,
    parse_erase,
    parse_export,
    parse_find,
    parse_rectify,
    result_of,
)
from dsr.domain.errors import InvalidInput, NotAllowed, NotFound
from dsr.letters.office import LetterOffice
from dsr.models import Task
from dsr.models.base import utcnow
from dsr.security.vault import Vault
from dsr.workflows import plan, tasks
from dsr.workflows.fanout import Fanout, lock_request, save_export

PARSERS = {
    plan.FIND: parse_find,
    plan.EXPORT: parse_export,
    plan.ERASE: parse_erase,
    plan.RECTIFY: parse_rectify,
}


@dataclass(slots=True)
class Callbacks:
    session: AsyncSession
    config: DsrConfig
    connectors: Mapping[str, Connector]
    vault: Vault
    letters: LetterOffice | None = None

    async def receive(self, task_id: str, timestamp: str, signature: str, body: bytes) -> None:
        try:
            task = await self.session.get(Task, uuid.UUID(task_id))
        except ValueError:
            task = None
        connector = self.connectors.get(task.store) if task else None
        if task is None or not isinstance(connector, HttpConnector):
            raise NotFound("no such task")
        if not connector.verify(timestamp, body, signature):
            raise NotAllowed("bad signature")
        await lock_request(self.session, task.request_id)
        await self.session.refresh(task)
        if task.status != plan.WAITING:
            return  # already recorded: a repeated callback changes nothing
        try:
            result = PARSERS[task.action](result_of(body, task.store))
        except StoreUnavailable as exc:
            raise InvalidInput({"body": "invalid_value"}) from exc
        summary = tasks.summarise(result)
        if isinstance(result, ExportResult):
            export = ExportFile()
            try:
                export.add(result)
                artifact = await save_export(self.session, self.vault, task.request_id, export)
            finally:
                export.close()
            summary["artifact"] = str(artifact.id)
        await tasks.complete(self.session, task, summary, utcnow())
        fanout = Fanout(self.session, self.config, self.vault, letters=self.letters)
        await fanout.advance(task.request_id)
