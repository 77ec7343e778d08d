"""The ``redis`` connector: key patterns with identity placeholders, e.g.
``session:{customer_number}:*``. Export dumps the values; erasure deletes the keys."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError

from dsr.config import PLACEHOLDER, RedisStore
from dsr.connectors.base import (
    Change,
    EraseResult,
    ExportResult,
    FindResult,
    Identifiers,
    RectifyResult,
    StoreUnavailable,
)

_GLOB_SPECIAL = re.compile(r"([*?\[\]\\])")
SCAN_BATCH = 500


class RedisConnector:
    def __init__(self, store: RedisStore, client: Redis | None = None) -> None:
        self.name = store.name
        self.store = store
        self._redis = client or Redis.from_url(store.url, decode_responses=False)

    async def close(self) -> None:
        await self._redis.aclose()

    async def find(self, who: Identifiers, job: str = "") -> FindResult:
        keys = await self._keys(who)
        return FindResult(
            counts={"keys": len(keys)}, categories=[self.store.category] if keys else []
        )

    async def export(self, who: Identifiers, job: str = "") -> ExportResult:
        rows: list[dict[str, Any]] = []
        try:
            for key in sorted(await self._keys(who)):
                rows.append({"key": _text(key), "value": await self._value(key)})
        except RedisError as exc:
            raise StoreUnavailable(f"{self.name}: {type(exc).__name__}") from exc
        return ExportResult(
            tables={"keys": rows}, categories={"keys": {"value": self.store.category}}
        )

    async def erase(self, who: Identifiers, today: date, job: str = "") -> EraseResult:
        keys = await self._keys(who)
        try:
            deleted = int(await self._redis.delete(*keys)) if keys else 0
        except RedisError as exc:
            raise StoreUnavailable(f"{self.name}: {type(exc).__name__}") from exc
        return EraseResult(
            erased={"keys": deleted}, categories=[self.store.category] if deleted else []
        )

    async def rectify(
        self, who: Identifiers, changes: list[Change], job: str = ""
    ) -> RectifyResult:
        return RectifyResult(changed={})  # cache and session data are rebuilt, not corrected

    async def check(self) -> list[str]:
        try:
            await self._redis.ping()
        except (RedisError, OSError) as exc:
            return [f"store {self.name}: cannot connect ({type(exc).__name__})"]
        return [
            f"store {self.name}: key pattern {pattern!r} has no identity placeholder"
            for pattern in self.store.keys
            if not PLACEHOLDER.search(pattern)
        ]

    async def _keys(self, who: Identifiers) -> set[bytes]:
        """Keys under every pattern, for each identifier in its normal form and as the
        system of record spells it (``session:Erika@Example.org`` and ``session:erika@…``)."""
        found: set[bytes] = set()
        try:
            for pattern in self.store.keys:
                names = set(PLACEHOLDER.findall(pattern))
                if len(names) != 1:
                    continue
                (name,) = names
                for value in sorted(_spellings(name, who.get(name))):
                    # The identifier is data, not a pattern: escape glob characters in it.
                    match = pattern.replace("{" + name + "}", _GLOB_SPECIAL.sub(r"\\\1", value))
                    async for key in self._redis.scan_iter(match=match, count=SCAN_BATCH):
                        found.add(key)
        except (RedisError, OSError) as exc:
            raise StoreUnavailable(f"{self.name}: {type(exc).__name__}") from exc
        return found

    async def _value(self, key: bytes) -> Any:
        kind = _text(await self._redis.type(key))
        if kind == "string":
            raw = await self._redis.get(key)
            return _text(raw) if raw is not None else None
        if kind == "hash":
            data = await self._redis.hgetall(key)
            return {_text(k): _text(v) for k, v in data.items()}
        if kind == "list":
            return [_text(v) for v in await self._redis.lrange(key, 0, -1)]
        if kind == "set":
            return sorted(_text(v) for v in await self._redis.smembers(key))
        if kind == "zset":
            return [_text(v) for v in await self._redis.zrange(key, 0, -1)]
        return f"<{kind}>"


def _spellings(kind: str, values: frozenset[str]) -> set[str]:
    """Each value as given, and in the normal form of its kind."""
    spelled = set(values)
    if kind == "email":
        spelled |= {v.lower() for v in values}
    elif kind == "customer_number":
        spelled |= {v.upper() for v in values}
    return {v for v in spelled if v}


def _text(value: Any) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else str(value)
