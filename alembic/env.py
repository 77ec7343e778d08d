"""Alembic environment: runs migrations on the async engine of our own database."""

from __future__ import annotations

import asyncio
import warnings
from typing import Any

from alembic import context
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SAWarning
from sqlmodel import SQLModel

import dsr.models  # noqa: F401  (registers the tables)
from dsr.db import Database
from dsr.models.base import UTCDateTime
from dsr.settings import Settings

config = context.config
target_metadata = SQLModel.metadata


def render_item(type_: str, obj: Any, autogen_context: Any) -> str | bool:
    """Write our column types as plain SQLAlchemy types into migration files."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        render_item=render_item,
        compare_type=True,
    )


def run_sync_migrations(connection: Connection) -> None:
    configure(connection)
    with warnings.catch_warnings(), context.begin_transaction():
        # SQLite's batch mode copies a table by reflecting it, and SQLAlchemy cannot reflect the
        # expression index ix_request_effective_due; the migrations that copy `request` drop
        # that index first and create it again after, so the skipped reflection loses nothing.
        warnings.filterwarnings(
            "ignore",
            message="Skipped unsupported reflection of expression-based index",
            category=SAWarning,
        )
        context.run_migrations()


async def run_async_migrations(url: str) -> None:
    database = Database.from_url(url)
    try:
        async with database.engine.connect() as connection:
            await connection.run_sync(run_sync_migrations)
            await connection.commit()
    finally:
        await database.dispose()


def database_url() -> str:
    return config.get_main_option("sqlalchemy.url") or Settings().database_url


if context.is_offline_mode():
    context.configure(url=database_url(), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    connection = config.attributes.get("connection")
    if connection is not None:
        run_sync_migrations(connection)
    else:
        asyncio.run(run_async_migrations(database_url()))
