"""The ``manual`` connector: work a person does (a paper archive, a processor without an API).
Every action becomes a task that waits until staff confirm it with a note."""

from __future__ import annotations

from datetime import date

from dsr.config import ManualStore
from dsr.connectors.base import (
    Change,
    EraseResult,
    ExportResult,
    FindResult,
    Identifiers,
    NeedsPerson,
    RectifyResult,
)


class ManualConnector:
    def __init__(self, store: ManualStore) -> None:
        self.name = store.name
        self.store = store

    async def find(self, who: Identifiers, job: str = "") -> FindResult:
        raise NeedsPerson(self.store.instructions_for("find"))

    async def export(self, who: Identifiers, job: str = "") -> ExportResult:
        raise NeedsPerson(self.store.instructions_for("export"))

    async def erase(self, who: Identifiers, today: date, job: str = "") -> EraseResult:
        raise NeedsPerson(self.store.instructions_for("erase"))

    async def rectify(
        self, who: Identifiers, changes: list[Change], job: str = ""
    ) -> RectifyResult:
        raise NeedsPerson(self.store.instructions_for("rectify"))

    async def check(self) -> list[str]:
        return []

    async def close(self) -> None:
        return None
