"""An in-memory connector for unit tests of the runner and for trying things out.

It holds one table of rows keyed by identity columns, and can be told to fail or hang, so
that retry and timeout logic is tested without a database. It is no proof that a store works.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from dsr.connectors.base import (
    Change,
    EraseResult,
    ExportResult,
    FindResult,
    Identifiers,
    RectifyResult,
    StoreUnavailable,
)


@dataclass
class MemoryConnector:
    name: str
    rows: list[dict[str, Any]] = field(default_factory=list)
    category: str = "contact"
    failures: int = 0  # the next N calls fail as if the store were down
    delay: float = 0.0  # seconds each call takes (a hanging store)
    calls: list[str] = field(default_factory=list)

    async def find(self, who: Identifiers, job: str = "") -> FindResult:
        mine = await self._mine("find", who)
        keys = Identifiers.of(
            emails=frozenset(r["email"] for r in mine if r.get("email")),
            customer_numbers=frozenset(
                r["customer_number"] for r in mine if r.get("customer_number")
            ),
        )
        return FindResult({"rows": len(mine)}, [self.category] if mine else [], keys)

    async def export(self, who: Identifiers, job: str = "") -> ExportResult:
        return ExportResult({"rows": [dict(r) for r in await self._mine("export", who)]})

    async def erase(self, who: Identifiers, today: date, job: str = "") -> EraseResult:
        mine = await self._mine("erase", who)
        self.rows = [r for r in self.rows if r not in mine]
        return EraseResult({"rows": len(mine)}, categories=[self.category] if mine else [])

    async def rectify(
        self, who: Identifiers, changes: list[Change], job: str = ""
    ) -> RectifyResult:
        mine = await self._mine("rectify", who)
        for row in mine:
            row.update({c.field: c.value for c in changes if c.field in row})
        return RectifyResult({"rows": len(mine)})

    async def check(self) -> list[str]:
        return []

    async def close(self) -> None:
        return None

    async def _mine(self, action: str, who: Identifiers) -> list[dict[str, Any]]:
        self.calls.append(action)
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.failures > 0:
            self.failures -= 1
            raise StoreUnavailable(f"{self.name}: down")
        return [
            r
            for r in self.rows
            if r.get("email") in who.emails or r.get("customer_number") in who.customer_numbers
        ]
