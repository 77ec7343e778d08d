"""Building the connectors of ``dsr.yaml``: the one place that reads their secrets."""

from __future__ import annotations

import os
from collections.abc import Mapping

from dsr.config import DsrConfig, HttpStore, ManualStore, RedisStore, SqlStore
from dsr.connectors.base import Connector
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
        if isinstance(store, SqlStore):
            connectors[store.name] = SqlConnector(store, hash_key, identifier_types=config.identifiers)
        elif isinstance(store, RedisStore):
            from dsr.connectors.redis import RedisConnector  # redis-py only when used

            connectors[store.name] = RedisConnector(store)
        elif isinstance(store, HttpStore):
            connectors[store.name] = HttpConnector(store, store.secret(environ), base_url)
        elif isinstance(store, ManualStore):
            connectors[store.name] = ManualConnector(store)
    return connectors


async def close_all(connectors: Mapping[str, Connector]) -> None:
    for connector in connectors.values():
        await connector.close()
