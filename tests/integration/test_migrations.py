"""Migrations: empty -> head -> base -> head on each backend, and models == migrations."""

from __future__ import annotations

import asyncio
import hashlib
import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import JSON, Integer, String, Uuid, column, insert, inspect, select, table, text
from sqlalchemy.engine import Connection, make_url
from sqlmodel import SQLModel

from dsr import migrations
from dsr.db import Database
from dsr.domain.errors import ConfigError
from dsr.models.base import UTCDateTime
from dsr.security.audit import append_event, chain_all, verify_chain
from tests.conftest import BACKENDS, _pg_execute


@pytest.fixture(params=BACKENDS)
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}"
        return
    server: str = request.getfixturevalue("postgres_server_url")
    name = f"dsr_mig_{uuid.uuid4().hex[:10]}"
    asyncio.run(_pg_execute(server, f'CREATE DATABASE "{name}"'))
    url = make_url(server).set(drivername="postgresql+asyncpg", database=name)
    yield url.render_as_string(hide_password=False)
    asyncio.run(_pg_execute(server, f'DROP DATABASE "{name}" WITH (FORCE)'))


async def _inspect(url: str, work: object) -> object:
    database = Database.from_url(url)
    try:
        async with database.engine.connect() as connection:
            return await connection.run_sync(work)  # type: ignore[arg-type]
    finally:
        await database.dispose()


def _tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names()) - {"alembic_version"}


def _diff(connection: Connection) -> list[object]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return [
        change
        for change in compare_metadata(context, SQLModel.metadata)
        # expression indexes cannot be reflected on SQLite; compared on PostgreSQL only
        if not (connection.dialect.name == "sqlite" and "ix_request_effective_due" in str(change))
    ]


@pytest.mark.filterwarnings("ignore:.*expression-based index")
def test_upgrade_from_empty_and_downgrade_to_base(empty_database_url: str) -> None:
    expected = {table.name for table in SQLModel.metadata.sorted_tables}
    migrations.upgrade(empty_database_url)
    assert asyncio.run(_inspect(empty_database_url, _tables)) == expected
    migrations.downgrade(empty_database_url)
    assert asyncio.run(_inspect(empty_database_url, _tables)) == set()
    migrations.upgrade(empty_database_url)
    assert asyncio.run(_inspect(empty_database_url, _tables)) == expected


@pytest.mark.filterwarnings("ignore:.*expression-based index:UserWarning")
@pytest.mark.filterwarnings("ignore:.*expression-based index")
def test_models_and_migrations_agree(empty_database_url: str) -> None:
    migrations.upgrade(empty_database_url)
    assert asyncio.run(_inspect(empty_database_url, _diff)) == []


AUDIT_KEY = "migration-test-audit-key-0123456789"


def _legacy_link(prev: str, seq: int, at: datetime, action: str, payload: dict[str, int]) -> str:
    """The SHA-256 chain of revisions up to 0011."""
    body = json.dumps(
        {"seq": seq, "at": at.isoformat(timespec="microseconds"), "actor": "system",
         "request": None, "action": action, "payload": payload},
        sort_keys=True, separators=(",", ":"), ensure_ascii=False,
    )  # fmt: skip
    return hashlib.sha256((prev + body).encode()).hexdigest()


async def _write_legacy_chain(url: str, chained: int, pending: int) -> None:
    """Events as revision 0011's dsr wrote and chained them."""
    database = Database.from_url(url)
    prev, start = "0" * 64, datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
    try:
        async with database.engine.begin() as connection:
            for number in range(1, chained + pending + 1):
                at = start + timedelta(seconds=number, microseconds=number)
                payload = {"n": number}
                row = {"at": at, "actor": "system", "action": "test.old", "payload": payload}
                if number <= chained:
                    digest = _legacy_link(prev, number, at, "test.old", payload)
                    row |= {"seq": number, "prev_hash": prev, "hash": digest}
                    prev = digest
                await connection.execute(insert(LEGACY_EVENT).values(**row))
    finally:
        await database.dispose()


async def _legacy_chain_holds(url: str) -> int:
    """How many events the SHA-256 chain holds, all in order (AssertionError otherwise)."""
    database = Database.from_url(url)
    try:
        async with database.engine.connect() as connection:
            rows = (
                await connection.execute(
                    select(LEGACY_EVENT)
                    .where(LEGACY_EVENT.c.seq.is_not(None))
                    .order_by(LEGACY_EVENT.c.seq)
                )
            ).all()
    finally:
        await database.dispose()
    prev = "0" * 64
    for seq, row in enumerate(rows, start=1):
        assert (row.seq, row.prev_hash) == (seq, prev)
        assert row.hash == _legacy_link(prev, seq, row.at, row.action, row.payload), seq
        prev = row.hash
    return len(rows)


async def _keyed(url: str, work: Any) -> Any:
    database = Database.from_url(url, audit_key=AUDIT_KEY)
    try:
        async with database.session_scope() as session:
            return await work(session)
    finally:
        await database.dispose()


async def _version(url: str) -> str:
    database = Database.from_url(url)
    try:
        async with database.engine.connect() as connection:
            return str(
                (
                    await connection.execute(text("SELECT version_num FROM alembic_version"))
                ).scalar_one()
            )
    finally:
        await database.dispose()


LEGACY_EVENT = table(
    "event",
    column("id", Integer()),
    column("seq", Integer()),
    column("at", UTCDateTime()),
    column("actor", String()),
    column("request_id", Uuid()),
    column("action", String()),
    column("payload", JSON()),
    column("prev_hash", String()),
    column("hash", String()),
)


BEFORE_KEYED_CHAIN = "0013"  # the revision before 0014, where an upgrade stops when it fails


@pytest.mark.filterwarnings("ignore:.*expression-based index")
def test_an_existing_chain_is_rekeyed_from_a_verified_state_and_back(
    empty_database_url: str,
) -> None:
    url = empty_database_url
    migrations.upgrade(url, "0011")
    asyncio.run(_write_legacy_chain(url, chained=4, pending=1))

    with pytest.raises(ConfigError, match="DSR_AUDIT_KEY"):  # the key is needed to re-key
        migrations.upgrade(url)
    # An edited event: the upgrade stops and changes nothing.
    asyncio.run(_execute(url, "UPDATE event SET payload = '{\"n\": 99}' WHERE seq = 2"))
    with pytest.raises(ConfigError, match="broken at seq 2"):
        migrations.upgrade(url, "head", AUDIT_KEY)
    asyncio.run(_execute(url, "UPDATE event SET payload = '{\"n\": 2}' WHERE seq = 2"))
    # the re-keying did not happen (PostgreSQL rolls the whole upgrade back, SQLite stops)
    assert asyncio.run(_version(url)) in ("0011", BEFORE_KEYED_CHAIN)
    assert asyncio.run(_legacy_chain_holds(url)) == 4

    migrations.upgrade(url, "head", AUDIT_KEY)
    report = asyncio.run(_keyed(url, verify_chain))
    assert (report.ok, report.checked, report.pending) == (True, 4, 1)
    assert asyncio.run(_keyed(url, chain_all)) == 1  # the old unchained event, now with a MAC

    async def append(session: Any) -> None:
        await append_event(session, actor="system", action="test.new", payload={"n": 6})

    asyncio.run(_keyed(url, append))
    assert asyncio.run(_keyed(url, chain_all)) == 1
    report = asyncio.run(_keyed(url, verify_chain))
    assert (report.ok, report.checked) == (True, 6)
    wrong = Database.from_url(url, audit_key="not-the-key-of-this-chain-0123456789")
    assert asyncio.run(_verify_with(wrong)).first_bad_seq == 1  # keyed: another key fails

    migrations.downgrade(url, "0011", AUDIT_KEY)
    assert asyncio.run(_legacy_chain_holds(url)) == 6
    migrations.upgrade(url, "head", AUDIT_KEY)
    report = asyncio.run(_keyed(url, verify_chain))
    assert (report.ok, report.checked, report.pending) == (True, 6, 0)


@pytest.mark.filterwarnings("ignore:.*expression-based index")
def test_the_downgrade_refuses_a_chain_with_a_forged_event(empty_database_url: str) -> None:
    url = empty_database_url
    migrations.upgrade(url, "0011")
    asyncio.run(_write_legacy_chain(url, chained=2, pending=0))
    migrations.upgrade(url, "head", AUDIT_KEY)
    forged = (
        "INSERT INTO event (at, actor, action, payload, nonce, mac) VALUES "
        "('2026-12-01 10:00:00+00', 'dpo:x', 'request.approved', '{}', 'aa', 'bb')"
    )
    asyncio.run(_execute(url, forged))
    with pytest.raises(ConfigError, match="not written by dsr"):
        migrations.downgrade(url, "0011", AUDIT_KEY)
    assert asyncio.run(_version(url)) >= "0014"  # still keyed (revisions are zero-padded)


async def _verify_with(database: Database) -> Any:
    try:
        async with database.session_scope() as session:
            return await verify_chain(session)
    finally:
        await database.dispose()


async def _execute(url: str, statement: str) -> None:
    database = Database.from_url(url)
    try:
        async with database.engine.begin() as connection:
            await connection.execute(text(statement))
    finally:
        await database.dispose()
