"""Shared fixtures: our own database on SQLite and on PostgreSQL, settings, the app client.

Server-backed tests read the server's URL from the environment and skip with the reason when
it is absent; with DSR_REQUIRE_SERVICES=1 (as in CI) that skip becomes a failure.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import uuid
from collections.abc import AsyncIterator, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy.engine import make_url
from sqlmodel import SQLModel

import dsr.models
from dsr import migrations
from dsr.app import create_app
from dsr.db import Database
from dsr.letters.render import soffice
from dsr.notify.catcher import MailCatcher
from dsr.settings import Settings, new_encryption_key

BACKENDS = ["sqlite", "postgresql"]
pytest_plugins = ["tests.stores", "tests.staff", "tests.imap"]  # data stores, staff console


# Servers at their standard local addresses, used when they answer and no variable names
# another (a newcomer's plain `make test` then runs the whole suite where they exist).
STANDARD_SERVERS = (
    ("PostgreSQL", "DSR_TEST_POSTGRES_URL", 5432, "postgresql://postgres@127.0.0.1:5432/postgres"),
    ("MariaDB", "DSR_TEST_MARIADB_URL", 3306, "mysql://root@127.0.0.1:3306/mysql"),
    ("Redis", "DSR_TEST_REDIS_URL", 6379, "redis://127.0.0.1:6379/0"),
)
_servers: list[str] = []


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def pytest_configure(config: pytest.Config) -> None:
    for name, variable, port, url in STANDARD_SERVERS:
        if os.environ.get(variable):
            _servers.append(f"{name} from {variable}")
        elif _answers(port):
            os.environ[variable] = url
            _servers.append(f"{name} at 127.0.0.1:{port}")
        else:
            _servers.append(f"{name} MISSING (set {variable}; its tests are skipped)")


def pytest_report_header(config: pytest.Config) -> str:
    return "servers: " + "; ".join(_servers)


def need_service(reason: str) -> None:
    """Skip (locally) or fail (DSR_REQUIRE_SERVICES=1) because a server is missing."""
    if os.environ.get("DSR_REQUIRE_SERVICES") == "1":
        pytest.fail(f"required service missing: {reason}", pytrace=False)
    pytest.skip(reason)


_SOFFICE = os.environ.get("DSR_SOFFICE")  # as the person running the tests set it


@pytest.fixture(autouse=True)
def _letters_as_pdf_only_where_marked(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    """LibreOffice takes a second or more per letter: only tests marked ``pdf`` convert (and
    need it); every other test sends the Word documents, as dsr does without LibreOffice
    (``DSR_SOFFICE=none``, inherited by the servers and workers a test starts)."""
    if request.node.get_closest_marker("pdf") is None:
        monkeypatch.setenv("DSR_SOFFICE", "none")
        return
    if _SOFFICE is None:
        monkeypatch.delenv("DSR_SOFFICE", raising=False)
    else:
        monkeypatch.setenv("DSR_SOFFICE", _SOFFICE)
    if soffice() is None:
        need_service("LibreOffice for PDF/A letters (apt-get install libreoffice-writer-nogui)")


def _asyncpg_dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def postgres_server_url() -> str:
    url = os.environ.get("DSR_TEST_POSTGRES_URL")
    if not url:
        need_service(
            "PostgreSQL tests need DSR_TEST_POSTGRES_URL (e.g. postgresql://postgres@127.0.0.1:5432/test)"
        )
        raise AssertionError  # unreachable
    try:
        run_apart(_pg_execute(url, "SELECT 1"))
    except (OSError, asyncpg.PostgresError) as exc:
        need_service(f"PostgreSQL at DSR_TEST_POSTGRES_URL is unreachable: {type(exc).__name__}")
    return url


def run_apart(work: Coroutine[Any, Any, None]) -> None:
    """Run ``work`` to its end on an event loop of another thread (a Playwright test keeps
    one running in this thread)."""
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, work).result()


async def _pg_execute(url: str, *statements: str) -> None:
    connection = await asyncpg.connect(_asyncpg_dsn(url), timeout=5)
    try:
        for statement in statements:
            await connection.execute(statement)
    finally:
        await connection.close()


@pytest.fixture(scope="session")
def postgres_database(postgres_server_url: str) -> Iterator[str]:
    """A fresh, migrated database for this test session, dropped at the end."""
    name = f"dsr_test_{uuid.uuid4().hex[:12]}"
    asyncio.run(_pg_execute(postgres_server_url, f'CREATE DATABASE "{name}"'))
    url = make_url(postgres_server_url).set(drivername="postgresql+asyncpg", database=name)
    rendered = url.render_as_string(hide_password=False)
    migrations.upgrade(rendered)
    yield rendered
    asyncio.run(_pg_execute(postgres_server_url, f'DROP DATABASE "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "dsr.db"
    migrations.upgrade(f"sqlite+aiosqlite:///{path}")
    return path


def _truncate_all(url: str) -> None:
    """Empty this session's database for the next test. A connection an earlier test left
    behind (its event loop gone, its transaction open) would make TRUNCATE wait for ever:
    such connections to this database, ours alone, are ended first, and the lock wait is
    bounded so that a leak fails the test that meets it instead of hanging the run."""
    tables = ", ".join(f'"{t.name}"' for t in SQLModel.metadata.sorted_tables)
    asyncio.run(
        _pg_execute(
            url,
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()",
            "SET lock_timeout = '30s'",
            f"TRUNCATE {tables} RESTART IDENTITY CASCADE",
        )
    )


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated, empty database of our own, on each backend."""
    if request.param == "sqlite":
        path = tmp_path / "dsr.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite+aiosqlite:///{path}"
    url: str = request.getfixturevalue("postgres_database")
    _truncate_all(url)
    return url


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        database_url=database_url,
        var_dir=tmp_path / "var",
        secret_key="test-secret-key-0123456789",
        encryption_keys=new_encryption_key(),
        hmac_key="test-hmac-key-0123456789",
        audit_key="test-audit-key-0123456789-0123456789",
        worker=False,
        dev_mail_catcher=False,
    )


@pytest.fixture
async def db(settings: Settings) -> AsyncIterator[Database]:
    database = Database.from_settings(settings)
    yield database
    await database.dispose()


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[AsyncTestClient]:  # type: ignore[type-arg]
    async with AsyncTestClient(app=create_app(settings)) as test_client:
        yield test_client


assert dsr.models  # the tables are registered before SQLModel.metadata is used


@pytest.fixture
async def smtp_server() -> AsyncIterator[MailCatcher]:
    """A real SMTP server (aiosmtpd) on a free local port."""
    catcher = MailCatcher(port=0)
    await catcher.start()
    yield catcher
    await catcher.stop()


@pytest.fixture
def web_settings(settings: Settings, smtp_server: MailCatcher) -> Settings:
    """Settings for the public flow: mail to the test SMTP server, no background worker."""
    return settings.model_copy(update={"smtp_url": smtp_server.url})


@pytest.fixture
async def web_client(web_settings: Settings) -> AsyncIterator[AsyncTestClient]:  # type: ignore[type-arg]
    async with AsyncTestClient(
        app=create_app(web_settings), base_url="http://testserver.local"
    ) as test_client:
        yield test_client
