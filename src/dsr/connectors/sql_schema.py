"""What a ``sql`` store really looks like (reflected once), and whether ``dsr.yaml`` fits it.

``dsr config check`` reports every mistake that would otherwise surface at the first request:
a missing table or column, a view not marked ``read_only``, references between columns of
incompatible types, and erasure strategies that cannot work on their column (NULL on a NOT
NULL or primary-key column, a hash on an integer, a mask or rewrite longer than the column).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from dsr.config import SqlStore, SqlTable

HASH_PREFIX = "hmac:"
HASH_MIN_LENGTH = 21  # "hmac:" and 16 hex digits (64 bits): no collisions among one store's rows


@dataclass(frozen=True, slots=True)
class ColumnInfo:
    name: str
    type: Any
    nullable: bool
    primary_key: bool

    @property
    def is_text(self) -> bool:
        return isinstance(self.type, sa.String)

    @property
    def is_integer(self) -> bool:
        return isinstance(self.type, sa.Integer)

    @property
    def length(self) -> int | None:
        return getattr(self.type, "length", None) if self.is_text else None

    @property
    def family(self) -> str:
        """Which values compare with which: text, integer, number, date, time, bool, other."""
        kinds = [
            (sa.String, "text"),
            (sa.Integer, "integer"),
            (sa.Numeric, "number"),
            (sa.Float, "number"),
            (sa.DateTime, "time"),
            (sa.Date, "date"),
            (sa.Boolean, "bool"),
        ]
        return next((kind for cls, kind in kinds if isinstance(self.type, cls)), "other")


@dataclass(slots=True)
class TableInfo:
    name: str
    columns: dict[str, ColumnInfo] = field(default_factory=dict)
    is_view: bool = False


def split_name(name: str) -> tuple[str | None, str]:
    """``backup.customers`` -> (``backup``, ``customers``); ``customers`` -> (None, ...)."""
    schema, _, table = name.rpartition(".")
    return schema or None, table


def reflect(connection: sa.Connection, store: SqlStore) -> dict[str, TableInfo]:
    """The declared tables (and views) as they exist; missing ones are left out."""
    inspector = sa.inspect(connection)
    found: dict[str, TableInfo] = {}
    names: dict[str | None, tuple[set[str], set[str]]] = {}
    for table in store.tables:
        schema, bare = split_name(table.name)
        if schema not in names:
            try:
                names[schema] = (
                    set(inspector.get_table_names(schema=schema)),
                    set(inspector.get_view_names(schema=schema)),
                )
            except sa.exc.SQLAlchemyError:  # the schema does not exist
                names[schema] = (set(), set())
        tables, views = names[schema]
        if bare not in tables and bare not in views:
            continue
        keys = set(
            inspector.get_pk_constraint(bare, schema=schema).get("constrained_columns") or []
        )
        info = TableInfo(table.name, is_view=bare in views)
        for column in inspector.get_columns(bare, schema=schema):
            info.columns[column["name"]] = ColumnInfo(
                column["name"],
                column["type"],
                bool(column.get("nullable", True)),
                column["name"] in keys,
            )
        found[table.name] = info
    return found


def declared_columns(table: SqlTable) -> list[str]:
    names = [*table.primary_key, *(column for _, column in table.identity_columns())]
    names += [reference.column for reference in table.references]
    names += list(table.columns)
    if table.hold:
        names.append(table.hold.date_column)
    if table.restrict_column:
        names.append(table.restrict_column)
    return list(dict.fromkeys(names))


def problems(store: SqlStore, schema: dict[str, TableInfo]) -> list[str]:
    """Every way ``store``'s declaration does not fit the reflected ``schema``, in words."""
    found: list[str] = []
    for table in store.tables:
        info = schema.get(table.name)
        if info is None:
            found.append(f"store {store.name}: table {table.name} does not exist")
            continue
        missing = [c for c in declared_columns(table) if c not in info.columns]
        found += [f"store {store.name}: column {table.name}.{c} does not exist" for c in missing]
        if missing:
            continue
        if info.is_view and not (table.read_only or store.read_only):
            found.append(
                f"store {store.name}: {table.name} is a view; views are read for access only "
                "(set read_only: true on the table)"
            )
        found += _strategy_problems(store, table, info)
        found += _reference_problems(store, table, info, schema)
    return found


def _strategy_problems(store: SqlStore, table: SqlTable, info: TableInfo) -> list[str]:
    found: list[str] = []
    writes = not (table.read_only or store.read_only) and table.erase == "update"
    for name, spec in table.columns.items():
        column = info.columns[name]
        where = f"store {store.name}: column {table.name}.{name}"
        strategy = spec.erase
        if not writes or strategy == "keep":
            continue
        if strategy == "null" and column.primary_key:
            found.append(f"{where} is part of the primary key and cannot be NULL (erase: null)")
        elif strategy == "null" and not column.nullable:
            found.append(
                f"{where} is NOT NULL, so erase: null cannot work; "
                "use mask, hash, random, rewrite or keep"
            )
        elif strategy in ("mask", "hash", "rewrite") and not column.is_text:
            found.append(
                f"{where} holds {column.family} values; erase: {strategy} writes text "
                "(use null, random or keep)"
            )
        elif strategy == "hash" and column.length is not None and column.length < HASH_MIN_LENGTH:
            found.append(
                f"{where} holds at most {column.length} characters; erase: hash needs "
                f"{HASH_MIN_LENGTH}"
            )
        elif (
            strategy == "rewrite"
            and column.length is not None
            and len(spec.rewrite or "") > column.length
        ):
            found.append(
                f"{where} holds at most {column.length} characters; the rewrite text has "
                f"{len(spec.rewrite or '')}"
            )
        elif strategy == "random" and column.family not in ("text", "integer"):
            found.append(
                f"{where} holds {column.family} values; erase: random fills only text and "
                "integer columns"
            )
    for reference in table.references:
        if reference.role != "mentions" or not writes:
            continue
        mention = table.columns.get(reference.column)
        column = info.columns[reference.column]
        if (mention is None or mention.erase == "null") and not column.nullable:
            found.append(
                f"store {store.name}: column {table.name}.{reference.column} names the person "
                "(mentions) and is NOT NULL; declare its erase strategy (random, rewrite or keep)"
            )
    return found


def _reference_problems(
    store: SqlStore, table: SqlTable, info: TableInfo, schema: dict[str, TableInfo]
) -> list[str]:
    found: list[str] = []
    for reference in table.references:
        target = schema.get(reference.table)
        if target is None:
            continue  # reported as a missing table
        column = info.columns[reference.column]
        other = target.columns.get(reference.target_column)
        if other is None:
            found.append(
                f"store {store.name}: column {reference.to} (referenced by "
                f"{table.name}.{reference.column}) does not exist"
            )
            continue
        families = {column.family, other.family}
        if len(families) > 1 and families != {"integer", "number"}:
            found.append(
                f"store {store.name}: {table.name}.{reference.column} holds {column.family} "
                f"values but {reference.to} holds {other.family} values; the reference "
                "compares different types (declare columns of one type)"
            )
    return found
