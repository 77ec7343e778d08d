"""Migrations: empty -> head -> base -> head on each backend, and models == migrations."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Connection, make_url
from sqlmodel import SQLModel

from dsr import migrations
from dsr.db import Database
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
