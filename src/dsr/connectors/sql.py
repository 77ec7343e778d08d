"""The ``sql`` connector: any SQLAlchemy database (SQLite, PostgreSQL, MariaDB).

Every action is set-based: one parameterised statement per table, never one per row, all in
one transaction per store. Which rows belong to the person is a condition per table: tables
with identity columns match the identifiers; tables with a reference follow it to their
parent's rows, transitively. Erasure works from the deepest table up, so a parent's rows
still identify its children while those are erased.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from dsr.config import SqlStore, SqlTable
from dsr.connectors.base import (
    Change,
    EraseResult,
    ExportFile,
    ExportResult,
    FindResult,
    HeldRows,
    Identifiers,
    RectifyResult,
    StoreUnavailable,
    json_value,
)
from dsr.db import async_url
from dsr.domain.retention import hold_cutoff, hold_ends

MASK = "***"
Condition = sa.ColumnElement[bool]
POOL = 10  # connections to one store per dsr process


class SqlConnector:
    def __init__(self, store: SqlStore, hash_key: bytes, engine: AsyncEngine | None = None) -> None:
        self.name = store.name
        self.store = store
        self._hash_key = hash_key
        # Connections are kept, not opened per task: up to POOL at once, more tasks wait
        # for one (within the store's timeout) instead of opening and closing extra ones.
        url = async_url(store.url)
        pool = {} if url.startswith("sqlite") else {"pool_size": POOL, "max_overflow": 0}
        self._engine = engine or create_async_engine(url, pool_pre_ping=True, **pool)
        self._tables = {table.name: table for table in store.tables}
        self._order = _parents_first(store.tables)
        self._key_types: dict[str, type | None] = {}  # primary key type, reflected once
        self._clauses = {table.name: _table(table) for table in store.tables}

    def _clause(self, table: SqlTable) -> sa.TableClause:
        return self._clauses[table.name]

    async def close(self) -> None:
        await self._engine.dispose()

    async def find(self, who: Identifiers, job: str = "") -> FindResult:
        async with self._connect() as connection:
            conditions = await self._conditions(connection, who)
            counts: dict[str, int] = {}
            for table in self._order:
                t = self._clause(table)
                statement = sa.select(sa.func.count()).select_from(t).where(conditions[table.name])
                counts[table.name] = int((await connection.execute(statement)).scalar_one())
            keys = (
                await self._keys(connection, conditions) if any(counts.values()) else Identifiers()
            )
        categories = sorted(
            {
                spec.category
                for t in self.store.tables
                if counts[t.name]
                for spec in t.columns.values()
            }
        )
        return FindResult(counts=counts, categories=categories, keys=keys)

    async def export(self, who: Identifiers, job: str = "") -> ExportResult:
        out = ExportFile()
        try:
            await self.export_into(who, out, job)
            return out.result()
        finally:
            out.close()

    async def export_into(self, who: Identifiers, out: ExportFile, job: str = "") -> None:
        """Every row of the person, streamed from a server-side cursor into ``out``."""
        out.categories.update(
            {
                table.name: {column: spec.category for column, spec in table.columns.items()}
                for table in self.store.tables
            }
        )
        async with self._connect() as connection:
            conditions = await self._conditions(connection, who)
            for table in self._order:
                t = self._clause(table)
                statement: sa.Select[Any] = (
                    sa.select(sa.literal_column("*"))
                    .select_from(t)
                    .where(conditions[table.name])
                    .order_by(_c(table.primary_key))
                )
                out.table(table.name)
                result = await connection.stream(statement.execution_options(yield_per=1000))
                async for row in result:
                    out.write(
                        table.name, {key: json_value(value) for key, value in row._mapping.items()}
                    )

    async def erase(self, who: Identifiers, today: date, job: str = "") -> EraseResult:
        erased: dict[str, int] = {}
        held: list[HeldRows] = []
        categories: set[str] = set()
        async with self._connect() as connection:
            conditions = await self._conditions(connection, who)
            for table in reversed(self._order):  # children before their parents
                mine = conditions[table.name]
                if table.erase == "keep":
                    continue
                t = self._clause(table)
                erasable: Condition = mine
                if table.hold:
                    kept = _c(table.hold.date_column) >= hold_cutoff(today, table.hold.years)
                    held_rows = await self._restrict(connection, table, sa.and_(mine, kept))
                    if held_rows:
                        held.append(held_rows)
                    erasable = sa.and_(mine, sa.not_(kept))
                if table.erase == "delete":
                    result = await connection.execute(sa.delete(t).where(erasable))
                else:
                    values = await self._erasure_values(connection, table, erasable)
                    if not values:
                        continue
                    result = await connection.execute(sa.update(t).where(erasable).values(values))
                erased[table.name] = max(result.rowcount, 0)
                if erased[table.name]:
                    categories |= {spec.category for spec in table.columns.values()}
        return EraseResult(erased=erased, held=held, categories=sorted(categories))

    async def rectify(
        self, who: Identifiers, changes: list[Change], job: str = ""
    ) -> RectifyResult:
        changed: dict[str, int] = {}
        async with self._connect() as connection:
            conditions = await self._conditions(connection, who)
            for table in self._order:
                values = {
                    column: change.value
                    for change in changes
                    for column, spec in table.columns.items()
                    if spec.field == change.field
                }
                if not values:
                    continue
                statement = (
                    sa.update(self._clause(table)).where(conditions[table.name]).values(values)
                )
                result = await connection.execute(statement)
                changed[table.name] = max(result.rowcount, 0)
        return RectifyResult(changed=changed)

    async def latest_value(self, who: Identifiers, table: str, column: str, latest_by: str) -> Any:
        """The newest value of ``column`` among the person's rows (for phone verification)."""
        async with self._connect() as connection:
            conditions = await self._conditions(connection, who)
            statement = (
                sa.select(_c(column))
                .select_from(self._clause(self._tables[table]))
                .where(conditions[table])
                .order_by(_c(latest_by).desc())
                .limit(1)
            )
            return (await connection.execute(statement)).scalar_one_or_none()

    async def check(self) -> list[str]:
        """Every declared table and column exists."""
        problems: list[str] = []
        try:
            async with self._engine.connect() as connection:
                existing = await connection.run_sync(_columns_by_table)
        except (SQLAlchemyError, OSError) as exc:
            return [f"store {self.name}: cannot connect ({type(exc).__name__})"]
        for table in self.store.tables:
            if table.name not in existing:
                problems.append(f"store {self.name}: table {table.name} does not exist")
                continue
            for column in _declared_columns(table):
                if column not in existing[table.name]:
                    problems.append(
                        f"store {self.name}: column {table.name}.{column} does not exist"
                    )
        return problems

    @asynccontextmanager
    async def _connect(self) -> AsyncIterator[AsyncConnection]:
        """One transaction; driver and network errors become StoreUnavailable."""
        try:
            async with self._engine.begin() as connection:
                yield connection
        except (SQLAlchemyError, OSError) as exc:
            raise StoreUnavailable(f"{self.name}: {type(exc).__name__}") from exc

    async def _conditions(
        self, connection: AsyncConnection, who: Identifiers
    ) -> dict[str, Condition]:
        """Which rows of each table are the person's, as a condition on that table.

        Rows found through identity columns are fixed to their primary keys first, so that
        erasing an identity column cannot change which rows the later statements reach.
        """
        conditions: dict[str, Condition] = {}
        for table in self._order:
            parts: list[Condition] = []
            if table.identity:
                keys = await self._record_keys(connection, table, who)
                if keys is None:
                    matched = _identity_condition(table, who)
                    keys = [
                        row[0]
                        for row in await connection.execute(
                            sa.select(_c(table.primary_key))
                            .select_from(self._clause(table))
                            .where(matched)
                        )
                    ]
                parts.append(_c(table.primary_key).in_(keys) if keys else sa.false())
            if table.reference:
                parent = self._tables[table.reference.table]
                parent_rows = (
                    sa.select(_c(table.reference.target_column))
                    .select_from(self._clause(parent))
                    .where(conditions[parent.name])
                )
                parts.append(_c(table.reference.column).in_(parent_rows.scalar_subquery()))
            conditions[table.name] = sa.or_(*parts) if parts else sa.false()
        return conditions

    async def _record_keys(
        self, connection: AsyncConnection, table: SqlTable, who: Identifiers
    ) -> list[Any] | None:
        """The primary keys this store's search already found for ``table`` (carried in
        ``who.record_ids``), typed like the column so its index is used; None if it found
        none. The rows the search fixed are the person's; matching again by a phone number
        read from them could reach a relative's account, and costs a scan per column."""
        prefix = f"{table.name}:"
        ids = [rid.removeprefix(prefix) for rid in who.record_ids if rid.startswith(prefix)]
        if not ids:
            return None
        if table.name not in self._key_types:

            def reflect(sync: sa.Connection) -> type | None:
                types = {c["name"]: c["type"] for c in sa.inspect(sync).get_columns(table.name)}
                key = types.get(table.primary_key)
                if isinstance(key, sa.Integer):
                    return int
                return str if isinstance(key, sa.String) else None

            self._key_types[table.name] = await connection.run_sync(reflect)
        kind = self._key_types[table.name]
        if kind is int:
            return [int(i) for i in ids if i.lstrip("-").isdigit()]
        return ids if kind is str else None  # other key types: matched as before

    async def _keys(
        self, connection: AsyncConnection, conditions: dict[str, Condition]
    ) -> Identifiers:
        """The identifiers the store holds for the rows found (they seed the other stores)."""
        found = Identifiers()
        for table in self.store.tables:
            if not table.identity:
                continue
            columns = [
                _c(table.primary_key),
                *(_c(c) for c in table.identity.values()),
            ]
            statement = (
                sa.select(*columns).select_from(self._clause(table)).where(conditions[table.name])
            )
            for row in await connection.execute(statement):
                values = dict(zip(["_pk", *table.identity.keys()], row, strict=True))
                found = found.merge(
                    Identifiers(
                        emails=_normal(values.get("email"), str.lower),
                        phones=_normal(values.get("phone"), str.strip),
                        customer_numbers=_normal(values.get("customer_number"), str.upper),
                        record_ids=frozenset({f"{table.name}:{values['_pk']}"}),
                    )
                )
        return found

    async def _restrict(
        self, connection: AsyncConnection, table: SqlTable, kept: Condition
    ) -> HeldRows | None:
        assert table.hold is not None
        date_column = _c(table.hold.date_column)
        count, newest = (
            await connection.execute(
                sa.select(sa.func.count(), sa.func.max(date_column))
                .select_from(self._clause(table))
                .where(kept)
            )
        ).one()
        if not count:
            return None
        if table.restrict_column:
            await connection.execute(
                sa.update(self._clause(table))
                .where(kept)
                .values({table.restrict_column: sa.true()})
            )
        return HeldRows(
            table=table.name,
            count=int(count),
            law=table.hold.law,
            until=hold_ends(_as_date(newest), table.hold.years),
            categories=sorted({spec.category for spec in table.columns.values()}),
        )

    async def _erasure_values(
        self, connection: AsyncConnection, table: SqlTable, rows: Condition
    ) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for column, spec in table.columns.items():
            if spec.erase == "null":
                values[column] = None
            elif spec.erase == "mask":
                values[column] = MASK
            elif spec.erase == "hash":
                distinct = await connection.execute(
                    sa.select(_c(column)).select_from(self._clause(table)).where(rows).distinct()
                )
                mapping = {v: self._hash(v) for (v,) in distinct if v is not None}
                if mapping:
                    values[column] = sa.case(mapping, value=_c(column), else_=_c(column))
        return values

    def _hash(self, value: Any) -> str:
        digest = hmac.new(self._hash_key, str(value).encode(), hashlib.sha256).hexdigest()
        return f"hmac:{digest[:32]}"


def _c(name: str) -> sa.ColumnClause[Any]:
    return sa.column(name)


def _columns_by_table(connection: sa.Connection) -> dict[str, set[str]]:
    inspector = sa.inspect(connection)
    return {
        name: {column["name"] for column in inspector.get_columns(name)}
        for name in inspector.get_table_names()
    }


def _table(table: SqlTable) -> sa.TableClause:
    return sa.table(table.name, *(_c(c) for c in _declared_columns(table)))


def _declared_columns(table: SqlTable) -> list[str]:
    names = [table.primary_key, *table.identity.values(), *table.columns]
    if table.reference:
        names.append(table.reference.column)
    if table.hold:
        names.append(table.hold.date_column)
    if table.restrict_column:
        names.append(table.restrict_column)
    return list(dict.fromkeys(names))


def _identity_condition(table: SqlTable, who: Identifiers) -> Condition:
    parts: list[Condition] = []
    for identifier, column in table.identity.items():
        values = {
            "email": who.emails,
            "phone": who.phones,
            "customer_number": who.customer_numbers,
        }[identifier]
        if not values:
            continue
        if identifier == "email":
            parts.append(sa.func.lower(_c(column)).in_(sorted(v.lower() for v in values)))
        elif identifier == "customer_number":
            parts.append(sa.func.upper(_c(column)).in_(sorted(v.upper() for v in values)))
        else:
            parts.append(_c(column).in_(sorted(values)))
    prefix = f"{table.name}:"
    ids = [rid.removeprefix(prefix) for rid in who.record_ids if rid.startswith(prefix)]
    if ids:
        parts.append(sa.cast(_c(table.primary_key), sa.String).in_(ids))
    return sa.or_(*parts) if parts else sa.false()


def _parents_first(tables: Iterable[SqlTable]) -> list[SqlTable]:
    """Tables ordered so that each comes after the table it references; refuses cycles."""
    pending = {table.name: table for table in tables}
    ordered: list[SqlTable] = []
    while pending:
        ready = [
            t for t in pending.values() if t.reference is None or t.reference.table not in pending
        ]
        if not ready:
            raise ValueError(f"tables reference each other in a cycle: {sorted(pending)}")
        for table in ready:
            ordered.append(table)
            del pending[table.name]
    return ordered


def _normal(value: Any, how: Any) -> frozenset[str]:
    return frozenset({how(str(value))}) if value not in (None, "") else frozenset()


def _as_date(value: Any) -> date:
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])
