"""The ``http`` connector: a processor's webhook (Art. 19 notifications, remote export/erasure).

Each call is a JSON POST signed with HMAC-SHA256 over ``"<timestamp>.<raw body>"`` (headers
``X-DSR-Timestamp``, ``X-DSR-Signature: sha256=<hex>``) with ``Idempotency-Key`` set to the
task id, so a retried call is recognisable. The processor answers 200 ``{"status": "done",
"result": {...}}`` at once, or 202 and later POSTs the same shape, signed the same way, to
``callback_url``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from datetime import date
from typing import Any

import httpx

from dsr.config import HttpStore
from dsr.connectors.base import (
    Accepted,
    Change,
    EraseResult,
    ExportResult,
    FindResult,
    Identifiers,
    RectifyResult,
    StoreUnavailable,
)

MAX_RESPONSE_BYTES = 5 * 1024 * 1024
MAX_CLOCK_SKEW = 300


def sign(secret: bytes, timestamp: str, body: bytes) -> str:
    return (
        "sha256=" + hmac.new(secret, timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    )


def verify_signature(
    secret: bytes, timestamp: str, body: bytes, signature: str, now: float | None = None
) -> bool:
    """A callback is genuine: right signature, and sent within five minutes of now."""
    try:
        age = abs((now or time.time()) - int(timestamp))
    except ValueError:
        return False
    return age <= MAX_CLOCK_SKEW and hmac.compare_digest(sign(secret, timestamp, body), signature)


class HttpConnector:
    def __init__(
        self,
        store: HttpStore,
        secret: bytes,
        callback_base: str,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        self.name = store.name
        self.store = store
        self._secret = secret
        self._callback_base = callback_base.rstrip("/")
        self._client = client or httpx.AsyncClient(timeout=store.timeout)

    async def close(self) -> None:
        await self._client.aclose()

    async def find(self, who: Identifiers, job: str = "") -> FindResult:
        return parse_find(await self._call("find", who, job))

    async def export(self, who: Identifiers, job: str = "") -> ExportResult:
        return parse_export(await self._call("export", who, job))

    async def erase(self, who: Identifiers, today: date, job: str = "") -> EraseResult:
        return parse_erase(await self._call("erase", who, job))

    async def rectify(
        self, who: Identifiers, changes: list[Change], job: str = ""
    ) -> RectifyResult:
        extra = {"changes": [{"field": c.field, "value": c.value} for c in changes]}
        return parse_rectify(await self._call("rectify", who, job, extra))

    def verify(self, timestamp: str, body: bytes, signature: str) -> bool:
        return bool(self._secret) and verify_signature(self._secret, timestamp, body, signature)

    async def check(self) -> list[str]:
        if not self._secret:
            where = f"${self.store.secret_env}" if self.store.secret_env else self.store.secret_file
            return [f"store {self.name}: the secret ({where}) is not set"]
        return []

    async def _call(
        self, action: str, who: Identifiers, job: str, extra: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        payload = {
            "action": action,
            "job": job,
            "identifiers": who.to_json(),
            "callback_url": f"{self._callback_base}/api/v1/callbacks/{job}" if job else None,
            **(extra or {}),
        }
        body = json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json",
            "Idempotency-Key": job,
            "X-DSR-Timestamp": timestamp,
            "X-DSR-Signature": sign(self._secret, timestamp, body),
        }
        try:
            response = await self._client.post(self.store.url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            raise StoreUnavailable(f"{self.name}: {type(exc).__name__}") from exc
        if response.status_code == 202:
            raise Accepted(self.name)
        if response.status_code != 200 or len(response.content) > MAX_RESPONSE_BYTES:
            raise StoreUnavailable(f"{self.name}: HTTP {response.status_code}")
        return result_of(response.content, self.name)


def result_of(content: bytes, name: str) -> dict[str, Any]:
    """The ``result`` of a processor's answer, or StoreUnavailable for anything malformed."""
    try:
        data = json.loads(content)
    except ValueError as exc:
        raise StoreUnavailable(f"{name}: answer is not JSON") from exc
    if not isinstance(data, dict) or data.get("status") != "done":
        raise StoreUnavailable(f"{name}: answer is not done")
    result = data.get("result", {})
    if not isinstance(result, dict):
        raise StoreUnavailable(f"{name}: result is not an object")
    return result


def _counts(value: Any) -> dict[str, int]:
    if not isinstance(value, dict):
        return {}
    return {str(k)[:64]: int(v) for k, v in value.items() if isinstance(v, int) and v >= 0}


def _strings(value: Any) -> list[str]:
    return [str(v)[:64] for v in value][:50] if isinstance(value, list) else []


def parse_find(result: dict[str, Any]) -> FindResult:
    return FindResult(
        counts=_counts(result.get("counts")), categories=_strings(result.get("categories"))
    )


def parse_export(result: dict[str, Any]) -> ExportResult:
    tables = result.get("tables")
    if not isinstance(tables, dict):
        return ExportResult(tables={})
    clean = {
        str(name)[:64]: [row for row in rows if isinstance(row, dict)]
        for name, rows in tables.items()
        if isinstance(rows, list)
    }
    return ExportResult(tables=clean)


def parse_erase(result: dict[str, Any]) -> EraseResult:
    return EraseResult(
        erased=_counts(result.get("erased")), categories=_strings(result.get("categories"))
    )


def parse_rectify(result: dict[str, Any]) -> RectifyResult:
    return RectifyResult(
        changed=_counts(result.get("changed")), fields=_strings(result.get("fields"))
    )
