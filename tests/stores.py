"""Real data stores for connector and runner tests: the demo shop in SQLite, PostgreSQL or
MariaDB (a fresh database per test), Redis with a private key prefix, and a webhook
processor on a local port."""

from __future__ import annotations

import asyncio
import json
import os
import threading
import uuid
from collections.abc import Callable, Iterator
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import make_url

from dsr import demo
from dsr.config import DsrConfig
from tests.conftest import _pg_execute, need_service

TODAY = date(2026, 11, 28)
SHOP_BACKENDS = ["sqlite", "postgresql", "mariadb"]


def shop_config(url: str, extra_stores: list[dict[str, Any]] | None = None) -> DsrConfig:
    config = demo.demo_config(url, Path("/nonexistent"), None, "http://127.0.0.1:1")
    stores = [s for s in config["stores"] if s["type"] == "sql"] + (extra_stores or [])
    return DsrConfig.model_validate({**config, "stores": stores})


async def _mariadb_execute(url: str, statement: str) -> None:
    import aiomysql

    parsed = make_url(url)
    connection = await aiomysql.connect(
        host=parsed.host or "127.0.0.1",
        port=parsed.port or 3306,
        user=parsed.username or "root",
        password=parsed.password or "",
        connect_timeout=5,
    )
    try:
        async with connection.cursor() as cursor:
            await cursor.execute(statement)
    finally:
        connection.close()


@pytest.fixture(params=SHOP_BACKENDS)
def shop_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database for the shop, on each backend."""
    name = f"shop_{uuid.uuid4().hex[:10]}"
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'shop.db'}"
        return
    if request.param == "postgresql":
        server: str = request.getfixturevalue("postgres_server_url")
        asyncio.run(_pg_execute(server, f'CREATE DATABASE "{name}"'))
        yield make_url(server).set(drivername="postgresql", database=name).render_as_string(False)
        asyncio.run(_pg_execute(server, f'DROP DATABASE "{name}" WITH (FORCE)'))
        return
    server = os.environ.get("DSR_TEST_MARIADB_URL", "")
    if not server:
        need_service(
            "MariaDB tests need DSR_TEST_MARIADB_URL (e.g. mysql://root@127.0.0.1:3306/test)"
        )
    try:
        asyncio.run(_mariadb_execute(server, f"CREATE DATABASE `{name}`"))
    except OSError as exc:
        need_service(f"MariaDB at DSR_TEST_MARIADB_URL is unreachable: {type(exc).__name__}")
    except Exception as exc:  # noqa: BLE001 - pymysql raises its own OperationalError
        need_service(f"MariaDB at DSR_TEST_MARIADB_URL is unreachable: {type(exc).__name__}")
    yield make_url(server).set(drivername="mysql", database=name).render_as_string(False)
    asyncio.run(_mariadb_execute(server, f"DROP DATABASE `{name}`"))


@pytest.fixture
def redis_url() -> str:
    url = os.environ.get("DSR_TEST_REDIS_URL", "")
    if not url:
        need_service("Redis tests need DSR_TEST_REDIS_URL (e.g. redis://127.0.0.1:6379/0)")
    from redis import Redis
    from redis.exceptions import RedisError

    try:
        Redis.from_url(url, socket_connect_timeout=2).ping()
    except (RedisError, OSError) as exc:
        need_service(f"Redis at DSR_TEST_REDIS_URL is unreachable: {type(exc).__name__}")
    return url


class Processor:
    """A processor's webhook on a local port; ``behave(call) -> (status, body)`` decides."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self.behave: Callable[[dict[str, Any]], tuple[int, Any]] = lambda call: (
            200,
            {
                "status": "done",
                "result": {"erased": {"subscribers": 1}, "counts": {"subscribers": 1}},
            },
        )
        processor = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                call = json.loads(body)
                processor.calls.append(call)
                processor.headers.append(dict(self.headers.items()) | {"_raw": body.decode()})
                status, answer = processor.behave(call)
                payload = answer if isinstance(answer, bytes) else json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: Any) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/dsr"


@pytest.fixture
def processor() -> Iterator[Processor]:
    server = Processor()
    server.thread.start()
    yield server
    server.server.shutdown()
    server.server.server_close()
