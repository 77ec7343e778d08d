"""The ``sql`` connector: any SQLAlchemy database (SQLite, PostgreSQL, MariaDB).

Which rows are the person's follows ``dsr.connectors.graph``: identity matches, then the
declared references, each with its meaning (owns, mentions, related) — and identifiers never
grow from the rows a reference reached. Every action is set-based: one parameterised
statement per table, role and step, never one per row, all in one transaction per store.

Erasure runs in an order that keeps every condition true while it works: related rows first
(kept when another person's row uses them), then the columns that name the person in other
people's rows, then the person's own rows, each table before the tables its rows were reached
through. Rows under a retention hold are restricted and kept, with the rows they own.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import AsyncIterator, Collection, Iterable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from dsr.config import ColumnSpec, IdentifierType, SqlStore, SqlTable
from dsr.connectors import graph as graphs
from dsr.connectors import sql_errors
from dsr.connectors.base import (
    Change,
    CurrentValue,
    EraseResult,
    ExportFile,
    ExportResult,
    FindResult,
    HeldRows,
    Identifiers,
    KeptRows,
    RectifyResult,
    StoreError,
    StoreUnavailable,
    json_value,
)
from dsr.connectors.graph import MENTIONS, OWNS, RELATED, Graph, Path
from dsr.connectors.sql_schema import (
    HASH_MIN_LENGTH,
    HASH_PREFIX,
    TableInfo,
    declared_columns,
    problems,
    reflect,
    split_name,
)
from dsr.db import async_url
from dsr.domain.retention import hold_cutoff, hold_ends

MASK = "***"
KEY_CATEGORY = "keys"  # primary keys and references: how the rows of the package belong together
Condition = sa.ColumnElement[bool]
POOL = 10  # connections to one store per dsr process
CURRENT_ROWS = 50  # rows read per table to show the DPO what a rectification overwrites
_IDENTITY_CATEGORY = {"email": "contact", "phone": "contact"}


def table_key(table: str, role: str) -> str:
    """The export's name for one table's rows of one role: ``tickets``, ``tickets:mentions``."""
    return table if role == OWNS else f"{table}:{role}"


def split_key(key: str) -> tuple[str, str]:
    table, _, role = key.partition(":")
    return table, role or OWNS


@dataclass(slots=True)
class Conditions:
    """Which rows of each table are the person's (``owned``), name the person (``mentions``,
    not owned) or are used by the person's rows (``related``, neither), and which owned rows
    erasure may change (``erasable``: not held, and not owned through a held row)."""

    owned: dict[str, Condition] = field(default_factory=dict)
    mentions: dict[str, Condition] = field(default_factory=dict)
    mention_columns: dict[str, dict[str, Condition]] = field(default_factory=dict)
    related: dict[str, Condition] = field(default_factory=dict)
    erasable: dict[str, Condition] = field(default_factory=dict)

    def of(self, table: str, role: str) -> Condition:
        return {OWNS: self.owned, MENTIONS: self.mentions, RELATED: self.related}[role].get(
            table, sa.false()
        )


class SqlConnector:
    def __init__(
        self,
        store: SqlStore,
        hash_key: bytes,
        engine: AsyncEngine | None = None,
        identifier_types: Iterable[IdentifierType] = (),
    ) -> None:
        self.name = store.name
        self.store = store
        self._hash_key = hash_key
        self._types = {t.name: t for t in identifier_types}
        # Connections are kept, not opened per task: up to POOL at once, more tasks wait
        # for one (within the store's timeout) instead of opening and closing extra ones.
        url = async_url(store.url)
        pool = {} if url.startswith("sqlite") else {"pool_size": POOL, "max_overflow": 0}
        self._engine = engine or create_async_engine(url, pool_pre_ping=True, **pool)
        self._tables = {table.name: table for table in store.tables}
        self.graph: Graph = graphs.build(store)
        self._schema: dict[str, TableInfo] | None = None  # reflected at first use
        self._clauses: dict[str, sa.TableClause] = {}

    async def close(self) -> None:
        await self._engine.dispose()

    # -- the port -----------------------------------------------------------------------

    async def find(self, who: Identifiers, job: str = "") -> FindResult:
        async with self._connect() as connection:
            where = await self._conditions(connection, who)
            counts: dict[str, int] = {}
            for table, role in self.graph.reached():
                statement = (
                    sa.select(sa.func.count())
                    .select_from(self._clause(table))
                    .where(where.of(table, role))
                )
                counts[table_key(table, role)] = int(
                    (await self._run(connection, statement, table)).scalar_one()
                )
            keys = await self._record_keys_found(connection, who) if any(counts.values()) else None
        categories = sorted(
            {
                category
                for key, count in counts.items()
                if count
                for category in self._categories(*split_key(key))
            }
        )
        return FindResult(counts=counts, categories=categories, keys=keys or Identifiers())

    async def export(self, who: Identifiers, job: str = "") -> ExportResult:
        out = ExportFile()
        try:
            await self.export_into(who, out, job)
            return out.result()
        finally:
            out.close()

    async def export_into(self, who: Identifiers, out: ExportFile, job: str = "") -> None:
        """Every declared column of every row of the person's, of the rows that mention
        them and of the rows theirs use, streamed from a server-side cursor into ``out``."""
        async with self._connect() as connection:
            where = await self._conditions(connection, who)
            for table, role in self.graph.reached():
                key = table_key(table, role)
                columns = self._export_columns(table)
                out.categories[key] = {c: self._category(table, c) for c in columns}
                statement: sa.Select[Any] = (
                    sa.select(*(_c(c) for c in columns))
                    .select_from(self._clause(table))
                    .where(where.of(table, role))
                    .order_by(*(_c(c) for c in self._tables[table].primary_key))
                )
                out.table(key)
                result = await self._stream(connection, statement, table)
                async for row in result:
                    out.write(key, {k: json_value(v) for k, v in row._mapping.items()})

    async def erase(self, who: Identifiers, today: date, job: str = "") -> EraseResult:
        return await self._erase(who, today, dry_run=False)

    async def rectify(
        self, who: Identifiers, changes: list[Change], job: str = ""
    ) -> RectifyResult:
        changed: dict[str, int] = {}
        kept: list[KeptRows] = []
        columns: dict[str, list[str]] = {}
        fields: set[str] = set()
        async with self._connect() as connection:
            where = await self._conditions(connection, who)
            for table, role in self.graph.reached():
                spec = self._tables[table]
                mapped = {
                    column: change
                    for change in changes
                    for column, column_spec in spec.columns.items()
                    if column_spec.field == change.field
                }
                values = {column: change.value for column, change in mapped.items()}
                if not values or role == MENTIONS:
                    continue
                rows = where.of(table, role)
                if self._read_only(spec):
                    count = await self._count(connection, table, rows)
                    if count:
                        kept.append(KeptRows(table, count, "read_only"))
                    continue
                if role == RELATED:
                    shared = self._shared(table, where)
                    count = await self._count(connection, table, sa.and_(rows, shared))
                    if count:
                        kept.append(KeptRows(table, count, "shared"))
                    rows = sa.and_(rows, sa.not_(shared))
                statement = sa.update(self._clause(table)).where(rows).values(values)
                result = await self._run(connection, statement, table, values)
                if result.rowcount:
                    key = table_key(table, role)
                    changed[key] = changed.get(key, 0) + max(result.rowcount, 0)
                    columns[key] = sorted({*columns.get(key, []), *values})
                    fields.update(change.field for change in mapped.values())
        return RectifyResult(changed=changed, kept=kept, columns=columns, fields=sorted(fields))

    async def current_values(self, who: Identifiers, fields: Collection[str]) -> list[CurrentValue]:
        """What the person's rows hold now in the columns mapped to ``fields``: the old
        values a rectification would overwrite, read in a transaction that is rolled back."""
        found: list[CurrentValue] = []
        async with self._connect(rollback=True) as connection:
            where = await self._conditions(connection, who)
            for table, role in self.graph.reached():
                if role == MENTIONS:
                    continue
                spec = self._tables[table]
                mapped = [
                    (column, str(s.field))
                    for column, s in spec.columns.items()
                    if s.field in fields
                ]
                if not mapped:
                    continue
                statement = (
                    sa.select(*(_c(column) for column, _ in mapped))
                    .select_from(self._clause(table))
                    .where(where.of(table, role))
                    .limit(CURRENT_ROWS)
                )
                rows = (await self._run(connection, statement, table)).all()
                for index, (column, field_) in enumerate(mapped):
                    values = {"" if r[index] is None else str(json_value(r[index])) for r in rows}
                    found.append(
                        CurrentValue(
                            table_key(table, role), column, field_, sorted(values), len(rows)
                        )
                    )
        return found

    async def latest_value(self, who: Identifiers, table: str, column: str, latest_by: str) -> Any:
        """The newest value of ``column`` among the person's rows (for phone verification)."""
        async with self._connect() as connection:
            where = await self._conditions(connection, who)
            statement = (
                sa.select(_c(column))
                .select_from(self._clause(table))
                .where(where.owned.get(table, sa.false()))
                .order_by(_c(latest_by).desc())
                .limit(1)
            )
            return (await self._run(connection, statement, table)).scalar_one_or_none()

    async def check(self) -> list[str]:
        """Every way the declaration does not fit the real store (empty when it fits)."""
        try:
            async with self._engine.connect() as connection:
                schema = await connection.run_sync(reflect, self.store)
        except (SQLAlchemyError, OSError) as exc:
            return [f"store {self.name}: cannot connect ({type(exc).__name__})"]
        return problems(self.store, schema)

    async def dry_erase(self, who: Identifiers, today: date) -> EraseResult:
        """What erasure would do, run in a transaction that is rolled back (``dsr plan``)."""
        return await self._erase(who, today, dry_run=True)

    async def counts(self, who: Identifiers) -> dict[str, int]:
        """Rows per table and role (``dsr plan``)."""
        return (await self.find(who)).counts

    def paths(self, table: str, role: str) -> list[str]:
        """How rows of ``table`` are reached as ``role``, one sentence per path."""
        return [
            path.describe([c for _, c in self._tables[path.start].identity_columns()])
            for path in self.graph.of(table, role)
        ]

    def export_columns(self, table: str) -> list[tuple[str, str]]:
        """(column, category) the export selects from ``table`` (after first use)."""
        return [(c, self._category(table, c)) for c in self._export_columns(table)]

    # -- erasure ------------------------------------------------------------------------

    async def _erase(self, who: Identifiers, today: date, *, dry_run: bool) -> EraseResult:
        erased: dict[str, int] = {}
        mentioned: dict[str, int] = {}
        held: list[HeldRows] = []
        kept: list[KeptRows] = []
        categories: set[str] = set()
        async with self._connect(rollback=dry_run) as connection:
            where = await self._conditions(connection, who, today)
            for table, role in self._erasure_order():
                spec = self._tables[table]
                rows = where.of(table, role)
                if self._read_only(spec):
                    count = await self._count(connection, table, rows)
                    if count:
                        categories_ = self._categories(table, role)
                        kept.append(KeptRows(table, count, "read_only", categories_))
                    continue
                if spec.erase == "keep" and role != MENTIONS:
                    continue
                if role == MENTIONS:
                    count = await self._erase_mentions(connection, spec, where)
                    if count:
                        mentioned[table] = count
                    continue
                if role == RELATED:
                    shared = self._shared(table, where)
                    count = await self._count(connection, table, sa.and_(rows, shared))
                    if count:
                        kept.append(KeptRows(table, count, "shared", self._categories(table, role)))
                    rows = sa.and_(rows, sa.not_(shared))
                else:
                    held += await self._hold(connection, spec, where, today)
                    rows = where.erasable[table]
                count = await self._erase_rows(connection, spec, rows)
                if count:
                    key = table_key(table, role)
                    erased[key] = erased.get(key, 0) + count
                    categories |= set(self._categories(table, role))
        return EraseResult(
            erased=erased,
            held=held,
            categories=sorted(categories),
            kept=kept,
            mentions=mentioned,
        )

    def _erasure_order(self) -> list[tuple[str, str]]:
        """Related, then mentions, then owned rows — each table before the tables on its
        paths, so that no statement changes rows a later statement reaches through."""
        reached = self.graph.reached()
        first = [(t, r) for t, r in reached if r == RELATED]
        second = [(t, r) for t, r in reached if r == MENTIONS]
        owned = [t for t, r in reached if r == OWNS]
        after: dict[str, set[str]] = {t: set() for t in owned}  # t must run before these
        for table in owned:
            for path in self.graph.of(table, OWNS):
                after[table] |= {name for name in path.tables[:-1] if name != table}
        ordered: list[str] = []
        pending = set(owned)
        while pending:
            # a table may run once nothing still pending must run before it
            ready = sorted(t for t in pending if not any(t in after[o] for o in pending if o != t))
            if not ready:  # owned paths in a cycle both ways: the order cannot be kept
                ready = sorted(pending)
            ordered += ready
            pending -= set(ready)
        return first + second + [(t, OWNS) for t in ordered]

    async def _erase_rows(
        self, connection: AsyncConnection, table: SqlTable, rows: Condition
    ) -> int:
        t = self._clause(table.name)
        if table.erase == "delete":
            result = await self._run(connection, sa.delete(t).where(rows), table.name)
            return int(max(result.rowcount, 0))
        values = await self._erasure_values(connection, table, rows, table.columns)
        if not values:
            return 0
        result = await self._run(
            connection, sa.update(t).where(rows).values(values), table.name, values
        )
        return int(max(result.rowcount, 0))

    async def _erase_mentions(
        self, connection: AsyncConnection, table: SqlTable, where: Conditions
    ) -> int:
        """Only the columns that name the person, by each column's strategy (default null)."""
        total = 0
        default = ColumnSpec(erase="keep" if table.erase == "keep" else "null")
        for column, rows in where.mention_columns.get(table.name, {}).items():
            spec = table.columns.get(column) or default
            if spec.erase == "keep":
                continue
            values = await self._erasure_values(connection, table, rows, {column: spec})
            statement = sa.update(self._clause(table.name)).where(rows).values(values)
            result = await self._run(connection, statement, table.name, values)
            total += max(result.rowcount, 0)
        return total

    async def _hold(
        self, connection: AsyncConnection, table: SqlTable, where: Conditions, today: date
    ) -> list[HeldRows]:
        """Restrict the owned rows erasure keeps; one entry per law and end date."""
        owned = where.owned[table.name]
        kept = sa.and_(owned, sa.not_(_is_true(where.erasable[table.name])))
        t = self._clause(table.name)
        groups: list[HeldRows] = []
        categories = self._categories(table.name, OWNS)
        if table.hold:
            date_column = _c(table.hold.date_column)
            year = sa.extract("year", date_column)
            own = sa.and_(owned, date_column >= hold_cutoff(today, table.hold.years))
            statement = sa.select(year, sa.func.count()).select_from(t).where(own).group_by(year)
            for issued_year, count in await self._run(connection, statement, table.name):
                until = hold_ends(date(int(issued_year), 1, 1), table.hold.years)
                groups.append(HeldRows(table.name, int(count), table.hold.law, until, categories))
        groups += await self._inherited_holds(connection, table, kept, where, today)
        if groups and table.restrict_column:
            await self._run(
                connection,
                sa.update(t).where(kept).values({table.restrict_column: sa.true()}),
                table.name,
            )
        return sorted(groups, key=lambda h: h.until)

    async def _inherited_holds(
        self,
        connection: AsyncConnection,
        table: SqlTable,
        kept: Condition,
        where: Conditions,
        today: date,
    ) -> list[HeldRows]:
        """Rows kept because a held row owns them (an order's lines with the held order):
        one entry per holding table, with its law and the end of its newest held row."""
        groups: list[HeldRows] = []
        own_free = _no_hold_today(table, today)
        for name in dict.fromkeys(
            name for path in self.graph.of(table.name, OWNS) for name in path.tables[:-1]
        ):
            holder = self._tables[name]
            if holder.hold is None or holder.hold.children != "keep":
                continue
            count = await self._count(connection, table.name, sa.and_(kept, own_free))
            date_column = _c(holder.hold.date_column)
            held = sa.and_(where.owned[name], date_column >= hold_cutoff(today, holder.hold.years))
            newest = (
                await self._run(
                    connection,
                    sa.select(sa.func.max(date_column)).select_from(self._clause(name)).where(held),
                    name,
                )
            ).scalar_one_or_none()
            if count and newest is not None:
                until = hold_ends(_as_date(newest), holder.hold.years)
                groups.append(
                    HeldRows(
                        table.name,
                        count,
                        holder.hold.law,
                        until,
                        self._categories(table.name, OWNS),
                    )
                )
                break  # one holder accounts for them; the rows are counted once
        return groups

    async def _erasure_values(
        self,
        connection: AsyncConnection,
        table: SqlTable,
        rows: Condition,
        columns: Mapping[str, ColumnSpec],
    ) -> dict[str, Any]:
        values: dict[str, Any] = {}
        info = self._info(table.name)
        for column, spec in columns.items():
            length = info.columns[column].length if column in info.columns else None
            if spec.erase == "null":
                values[column] = None
            elif spec.erase == "mask":
                values[column] = MASK[: length or len(MASK)]
            elif spec.erase == "rewrite":
                values[column] = spec.rewrite
            elif spec.erase == "random":
                values[column] = (
                    _random_number() if info.columns[column].is_integer else _random_text(length)
                )
            elif spec.erase == "hash":
                distinct = await self._run(
                    connection,
                    sa.select(_c(column))
                    .select_from(self._clause(table.name))
                    .where(rows)
                    .distinct(),
                    table.name,
                )
                kind = self._identity_type(table, column)
                mapping = {v: self._hash(v, kind, length) for (v,) in distinct if v is not None}
                if mapping:
                    values[column] = sa.case(mapping, value=_c(column), else_=_c(column))
        return values

    def _hash(self, value: Any, kind: str | None, length: int | None) -> str:
        """Keyed, over the value's normal form: ``Erika@X.de`` and ``erika@x.de`` hash alike."""
        text = self._normal(kind, str(value)) if kind else str(value)
        digest = hmac.new(self._hash_key, text.encode(), hashlib.sha256).hexdigest()
        size = max((length or 37) - len(HASH_PREFIX), HASH_MIN_LENGTH - len(HASH_PREFIX))
        return HASH_PREFIX + digest[: min(size, 32)]

    def _shared(self, table: str, where: Conditions) -> Condition:
        """Rows of ``table`` that a row outside the person's own rows refers to."""
        parts: list[Condition] = []
        for other in self.store.tables:
            for reference in other.references:
                if reference.table != table:
                    continue
                foreign = sa.not_(_is_true(where.owned.get(other.name, sa.false())))
                users = (
                    sa.select(_c(reference.column))
                    .select_from(self._clause(other.name))
                    .where(foreign, _c(reference.column).is_not(None))
                )
                parts.append(_c(reference.target_column).in_(users.scalar_subquery()))
        return sa.or_(*parts) if parts else sa.false()

    # -- which rows ---------------------------------------------------------------------

    async def _conditions(
        self, connection: AsyncConnection, who: Identifiers, today: date | None = None
    ) -> Conditions:
        """The person's rows per table and role, as conditions on each table."""
        roots = {
            table.name: await self._root_condition(connection, table, who)
            for table in self.store.tables
            if table.identity
        }
        where = Conditions()

        def through(path: Path, held_out: bool) -> Condition:
            """The rows ``path`` reaches; with ``held_out``, not those under a hold today —
            their own, or a row's on the way that keeps what it owns (``children: keep``)."""
            tables = path.tables

            def free(name: str) -> Condition:
                hold = self._tables[name].hold
                own = name == tables[-1]
                if not held_out or hold is None or not (own or hold.children == "keep"):
                    return sa.true()
                return _no_hold_today(self._tables[name], today)

            condition = sa.and_(roots[path.start], free(path.start))
            for hop in path.hops:
                source = hop.source
                if hop.role == RELATED:
                    picked = sa.select(_c(hop.column)).select_from(self._clause(source))
                    condition = _c(hop.target_column).in_(picked.where(condition).scalar_subquery())
                else:
                    picked = sa.select(_c(hop.target_column)).select_from(self._clause(source))
                    condition = _c(hop.column).in_(picked.where(condition).scalar_subquery())
                if hop.role == OWNS:
                    condition = sa.and_(condition, free(hop.reached))
            return condition

        for table, role in self.graph.reached():
            paths = self.graph.of(table, role)
            condition = sa.or_(*(through(path, False) for path in paths))
            if role == OWNS:
                where.owned[table] = condition
                where.erasable[table] = sa.or_(*(through(path, True) for path in paths))
        for table, role in self.graph.reached():
            if role == OWNS:
                continue
            not_owned = sa.not_(_is_true(where.owned.get(table, sa.false())))
            paths = self.graph.of(table, role)
            if role == MENTIONS:
                by_column: dict[str, list[Condition]] = {}
                for path in paths:
                    by_column.setdefault(path.hops[-1].column, []).append(through(path, False))
                where.mention_columns[table] = {
                    column: sa.and_(sa.or_(*parts), not_owned)
                    for column, parts in by_column.items()
                }
                where.mentions[table] = sa.or_(*where.mention_columns[table].values())
            else:
                mentions = where.mentions.get(table)
                condition = sa.and_(sa.or_(*(through(p, False) for p in paths)), not_owned)
                if mentions is not None:
                    condition = sa.and_(condition, sa.not_(_is_true(mentions)))
                where.related[table] = condition
        return where

    async def _root_condition(
        self, connection: AsyncConnection, table: SqlTable, who: Identifiers
    ) -> Condition:
        """Rows of ``table`` matched by identity. The rows this store's own search found
        (``who.record_ids``) are fixed to their keys: erasing an identity column cannot
        change what later statements reach, and matching again by a phone number read from
        them could reach a relative's record. A record table the search found nothing in
        matches nothing."""
        if not table.primary_key:
            return self._identity_condition(table, who)
        prefix = f"{table.name}:"
        ids = [r.removeprefix(prefix) for r in who.record_ids if r.startswith(prefix)]
        if ids:
            return self._key_condition(table, ids)
        searched = {r.split(":", 1)[0] for r in who.record_ids} & set(self._tables)
        if searched and not table.owns():
            return sa.false()
        return self._identity_condition(table, who)

    def _identity_condition(self, table: SqlTable, who: Identifiers) -> Condition:
        parts: list[Condition] = []
        for kind, column in table.identity_columns():
            values = who.get(kind)
            if not values:
                continue
            how = self._normalize(kind)
            if how == "lower":
                parts.append(sa.func.lower(_c(column)).in_(sorted({v.lower() for v in values})))
            elif how == "upper":
                parts.append(sa.func.upper(_c(column)).in_(sorted({v.upper() for v in values})))
            else:
                parts.append(_c(column).in_(sorted(values)))
        return sa.or_(*parts) if parts else sa.false()

    def _key_condition(self, table: SqlTable, ids: list[str]) -> Condition:
        """``ids`` (one text per row, a JSON list for a composite key) typed like the key's
        columns, so the key's index is used."""
        info = self._info(table.name)
        columns = table.primary_key
        rows: list[tuple[Any, ...]] = []
        for raw in ids:
            parts = json.loads(raw) if len(columns) > 1 else [raw]
            if len(parts) != len(columns):
                continue
            typed = [
                _typed(part, info.columns[c].family if c in info.columns else "other")
                for part, c in zip(parts, columns, strict=True)
            ]
            if all(value is not None for value in typed):
                rows.append(tuple(typed))
        if not rows:
            return sa.false()
        if len(columns) == 1:
            return _c(columns[0]).in_([row[0] for row in rows])
        return sa.tuple_(*(_c(c) for c in columns)).in_(rows)

    async def _record_keys_found(
        self, connection: AsyncConnection, who: Identifiers
    ) -> Identifiers:
        """The keys of the person's own record rows — rows matched by identity in tables
        that own nothing else (``customers``, ``employees``) — to seed the other stores.
        Never what rows reached through a reference hold: those may be anyone's."""
        found = Identifiers()
        for table in self.store.tables:
            if not table.identity or table.owns():
                continue
            columns = table.identity_columns()
            statement = (
                sa.select(*(_c(c) for c in table.primary_key), *(_c(c) for _, c in columns))
                .select_from(self._clause(table.name))
                .where(await self._root_condition(connection, table, who))
            )
            width = len(table.primary_key)
            for row in await self._run(connection, statement, table.name):
                key = row[:width]
                values: dict[str, set[str]] = {}
                for (kind, _), value in zip(columns, row[width:], strict=True):
                    if value not in (None, ""):
                        spelled = str(value).strip()
                        values.setdefault(kind, set()).update(
                            {spelled, self._normal(kind, spelled)}
                        )
                record = {f"{table.name}:{_key_text(key)}"} if width else set()
                found = found.merge(
                    Identifiers({k: frozenset(v) for k, v in values.items()}, frozenset(record))
                )
        return found

    # -- plumbing -----------------------------------------------------------------------

    @asynccontextmanager
    async def _connect(self, *, rollback: bool = False) -> AsyncIterator[AsyncConnection]:
        """One transaction. A store that is away or busy raises StoreUnavailable (retried);
        one that refuses the work raises StoreError, with the cause in words."""
        try:
            async with self._engine.connect() as connection:
                if self._schema is None:
                    self._schema = await connection.run_sync(reflect, self.store)
                    await connection.rollback()
                transaction = await connection.begin()
                try:
                    yield connection
                except BaseException:
                    await transaction.rollback()
                    raise
                if rollback:
                    await transaction.rollback()
                else:
                    await transaction.commit()
        except StoreError:
            raise
        except (SQLAlchemyError, OSError) as exc:
            if sql_errors.is_transient(exc):
                raise StoreUnavailable(f"{self.name}: {type(exc).__name__}") from exc
            raise StoreError(f"{self.name}: {sql_errors.describe(exc, '?', [], set())}") from exc

    async def _run(
        self,
        connection: AsyncConnection,
        statement: Any,
        table: str,
        values: Mapping[str, Any] | None = None,
    ) -> Any:
        try:
            return await connection.execute(statement)
        except SQLAlchemyError as exc:
            if sql_errors.is_transient(exc):
                raise
            raise self._refused(exc, table, values) from exc

    async def _stream(self, connection: AsyncConnection, statement: Any, table: str) -> Any:
        try:
            return await connection.stream(statement.execution_options(yield_per=1000))
        except SQLAlchemyError as exc:
            if sql_errors.is_transient(exc):
                raise
            raise self._refused(exc, table, None) from exc

    def _refused(
        self, exc: SQLAlchemyError, table: str, values: Mapping[str, Any] | None
    ) -> StoreError:
        info = self._schema.get(table) if self._schema else None
        columns = list(values or {}) or list(info.columns if info else [])
        primary = {c.name for c in info.columns.values() if c.primary_key} if info else set()
        return StoreError(f"{self.name}: {sql_errors.describe(exc, table, columns, primary)}")

    async def _count(self, connection: AsyncConnection, table: str, rows: Condition) -> int:
        statement = sa.select(sa.func.count()).select_from(self._clause(table)).where(rows)
        return int((await self._run(connection, statement, table)).scalar_one())

    def _info(self, table: str) -> TableInfo:
        if self._schema is None or table not in self._schema:
            raise StoreError(f"{self.name}: table {table} does not exist")
        return self._schema[table]

    def _clause(self, table: str) -> sa.TableClause:
        if table not in self._clauses:
            schema, bare = split_name(table)
            names = list(dict.fromkeys([*declared_columns(self._tables[table]), *self._all(table)]))
            self._clauses[table] = sa.table(bare, *(_c(c) for c in names), schema=schema)
        return self._clauses[table]

    def _all(self, table: str) -> list[str]:
        info = self._schema.get(table) if self._schema else None
        return list(info.columns) if info and self._tables[table].export_all else []

    def _export_columns(self, table: str) -> list[str]:
        spec = self._tables[table]
        columns = declared_columns(spec)
        if spec.restrict_column:
            columns.remove(spec.restrict_column)
        return list(dict.fromkeys([*columns, *self._all(table)]))

    def _category(self, table: str, column: str) -> str:
        spec = self._tables[table]
        if column in spec.columns:
            return spec.columns[column].category
        for kind, name in spec.identity_columns():
            if name == column:
                return _IDENTITY_CATEGORY.get(kind, "identity")
        if column in spec.primary_key or any(r.column == column for r in spec.references):
            return KEY_CATEGORY
        return "other"

    def _categories(self, table: str, role: str) -> list[str]:
        """The categories the Art. 15 answer names for rows of ``table`` of ``role``."""
        spec = self._tables[table]
        if role == MENTIONS:
            columns = [path.hops[-1].column for path in self.graph.of(table, role)]
            return sorted({spec.columns[c].category for c in columns if c in spec.columns})
        return sorted({s.category for s in spec.columns.values()})

    def _identity_type(self, table: SqlTable, column: str) -> str | None:
        kinds = [kind for kind, name in table.identity_columns() if name == column]
        if kinds:
            return kinds[0]
        field_ = table.columns[column].field if column in table.columns else None
        return field_ if field_ in ("email", "phone", "customer_number") else None

    def _normalize(self, kind: str) -> str:
        builtin = {"email": "lower", "customer_number": "upper", "phone": "none"}
        if kind in builtin:
            return builtin[kind]
        declared = self._types.get(kind)
        return declared.normalize if declared else "none"

    def _normal(self, kind: str, value: str) -> str:
        declared = self._types.get(kind)
        if declared:
            return declared.normal(value)
        how = self._normalize(kind)
        return value.lower() if how == "lower" else value.upper() if how == "upper" else value

    def _read_only(self, table: SqlTable) -> bool:
        info = self._schema.get(table.name) if self._schema else None
        return self.store.read_only or table.read_only or bool(info and info.is_view)


def _c(name: str) -> sa.ColumnClause[Any]:
    return sa.column(name)


def _is_true(condition: Condition) -> Condition:
    """``condition`` as strictly true or false: NOT of an unknown (NULL) IN is not true."""
    return sa.case((condition, sa.true()), else_=sa.false())


def _no_hold_today(table: SqlTable, today: date | None) -> Condition:
    """Rows of ``table`` not under its retention hold today (all of them without a hold)."""
    if table.hold is None or today is None:
        return sa.true()
    return _c(table.hold.date_column) < hold_cutoff(today, table.hold.years)


def _as_date(value: Any) -> date:
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def _typed(value: Any, family: str) -> Any:
    """A key read back from its text, as the column's driver wants it (None: not one)."""
    text = str(value)
    try:
        if family == "integer":
            return int(text) if text.lstrip("-").isdigit() else None
        if family == "number":
            return Decimal(text)
        if family == "time":
            return datetime.fromisoformat(text)
        if family == "date":
            return date.fromisoformat(text[:10])
    except (ValueError, ArithmeticError):
        return None
    return text


def _key_text(key: tuple[Any, ...]) -> str:
    if len(key) == 1:
        return str(key[0])
    return json.dumps([json_value(part) for part in key], separators=(",", ":"))


def _random_text(length: int | None) -> str:
    return secrets.token_hex(16)[: length or 32]


def _random_number() -> int:
    return secrets.randbelow(2**31 - 1) + 1
