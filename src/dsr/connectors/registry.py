"""Building the connectors of ``dsr.yaml``: the one place that reads their secrets."""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import date

from dsr.config import DsrConfig, HttpStore, RedisStore, SqlStore, Store
from dsr.connectors.base import (
    Change,
    Connector,
    EraseResult,
    ExportResult,
    FindResult,
    Identifiers,
    RectifyResult,
    StoreError,
)
from dsr.connectors.http import HttpConnector
from dsr.connectors.manual import ManualConnector
from dsr.connectors.sql import SqlConnector


def build_connectors(
    config: DsrConfig,
    hash_key: bytes,
    base_url: str,
    environ: Mapping[str, str] | None = None,
) -> dict[str, Connector]:
    environ = os.environ if environ is None else environ
    connectors: dict[str, Connector] = {}
    for store in config.stores:
        try:
            connectors[store.name] = _build(config, store, hash_key, base_url, environ)
        except Exception as exc:  # noqa: BLE001 - a bad URL or a missing driver: the
            # app still starts, and the store's tasks fail with the reason for the DPO
            connectors[store.name] = BrokenConnector(store.name, type(exc).__name__)
    return connectors


def _build(
    config: DsrConfig,
    store: Store,
    hash_key: bytes,
    base_url: str,
    environ: Mapping[str, str],
) -> Connector:
    if isinstance(store, SqlStore):
        return SqlConnector(store, hash_key, identifier_types=config.identifiers)
    if isinstance(store, RedisStore):
        from dsr.connectors.redis import RedisConnector  # redis-py only when used

        return RedisConnector(store)
    if isinstance(store, HttpStore):
        return HttpConnector(store, store.secret(environ), base_url)
    return ManualConnector(store)


class BrokenConnector:
    """A store whose connector could not even be built (its URL names no driver here)."""

    def __init__(self, name: str, reason: str) -> None:
        self.name = name
        self.reason = f"{name}: the connection cannot be set up ({reason}; check its url)"

    async def find(self, who: Identifiers, job: str = "") -> FindResult:
        raise StoreError(self.reason)

    async def export(self, who: Identifiers, job: str = "") -> ExportResult:
        raise StoreError(self.reason)

    async def erase(self, who: Identifiers, today: date, job: str = "") -> EraseResult:
        raise StoreError(self.reason)

    async def rectify(
        self, who: Identifiers, changes: list[Change], job: str = ""
    ) -> RectifyResult:
        raise StoreError(self.reason)

    async def check(self) -> list[str]:
        return [f"store {self.reason}"]

    async def close(self) -> None:
        return None


async def close_all(connectors: Mapping[str, Connector]) -> None:
    for connector in connectors.values():
        await connector.close()
