"""The connector port: plain dataclasses in, plain dataclasses out.

A connector never sees an ORM object of ours nor global settings; it is built from its store
declaration and the secrets it needs, by ``dsr.connectors.registry``.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import IO, Any, Protocol, runtime_checkable

_PLURALS = {"email": "emails", "phone": "phones", "customer_number": "customer_numbers"}


@dataclass(frozen=True, slots=True)
class Identifiers:
    """Identifiers of one person, by type (``email``, ``phone``, ``customer_number`` and the
    types ``dsr.yaml`` declares), as verified or as the system of record holds them, each in
    its normal form and, where it differs, as spelled in the store it came from.

    ``record_ids`` are the primary keys of the system-of-record rows the search matched
    (``table:<key>``); they fix those rows for every later action in that store.
    """

    values: Mapping[str, frozenset[str]] = field(default_factory=dict)
    record_ids: frozenset[str] = frozenset()

    @classmethod
    def of(
        cls,
        *,
        emails: Iterable[str] = (),
        phones: Iterable[str] = (),
        customer_numbers: Iterable[str] = (),
        record_ids: Iterable[str] = (),
        **others: Iterable[str],
    ) -> Identifiers:
        values = {
            "email": frozenset(emails),
            "phone": frozenset(phones),
            "customer_number": frozenset(customer_numbers),
            **{name: frozenset(v) for name, v in others.items()},
        }
        return cls({k: v for k, v in values.items() if v}, frozenset(record_ids))

    def get(self, kind: str) -> frozenset[str]:
        return self.values.get(kind, frozenset())

    @property
    def emails(self) -> frozenset[str]:
        return self.get("email")

    @property
    def phones(self) -> frozenset[str]:
        return self.get("phone")

    @property
    def customer_numbers(self) -> frozenset[str]:
        return self.get("customer_number")

    @property
    def empty(self) -> bool:
        return not (any(self.values.values()) or self.record_ids)

    def merge(self, other: Identifiers) -> Identifiers:
        kinds = set(self.values) | set(other.values)
        return Identifiers(
            {kind: self.get(kind) | other.get(kind) for kind in kinds},
            self.record_ids | other.record_ids,
        )

    def without_records(self) -> Identifiers:
        """The same identifiers, no longer tied to rows of one store."""
        return Identifiers(self.values)

    def to_json(self) -> dict[str, list[str]]:
        data = {_PLURALS.get(kind, kind): sorted(v) for kind, v in self.values.items() if v}
        return {**data, "record_ids": sorted(self.record_ids)}

    @classmethod
    def from_json(cls, data: Mapping[str, list[str]]) -> Identifiers:
        singular = {plural: kind for kind, plural in _PLURALS.items()}
        values = {
            singular.get(key, key): frozenset(v)
            for key, v in data.items()
            if key != "record_ids" and v
        }
        return cls(values, frozenset(data.get("record_ids", [])))


@dataclass(frozen=True, slots=True)
class Change:
    """One requested rectification: a subject field and its new value."""

    field: str
    value: str


@dataclass(frozen=True, slots=True)
class FindResult:
    counts: dict[str, int]
    categories: list[str]
    keys: Identifiers = Identifiers()

    @property
    def found(self) -> bool:
        return any(self.counts.values())


@dataclass(frozen=True, slots=True)
class ExportResult:
    """Rows per table (values JSON-friendly), and each column's category."""

    tables: dict[str, list[dict[str, Any]]]
    categories: dict[str, dict[str, str]] = field(default_factory=dict)

    @property
    def counts(self) -> dict[str, int]:
        return {table: len(rows) for table, rows in self.tables.items()}


class ExportFile:
    """A store's export written while it is read: one JSON line ``[table, row]`` per row in a
    scratch file (in memory up to 1 MiB, then an unnamed file the system removes on close),
    so a subject with 100,000 rows is never held in memory whole. ``finish`` appends one
    line ``{"counts": ..., "categories": ...}``; ``opened`` reads such a file back."""

    def __init__(
        self, categories: dict[str, dict[str, str]] | None = None, file: IO[bytes] | None = None
    ) -> None:
        self.file: IO[bytes] = file or tempfile.SpooledTemporaryFile(max_size=1 << 20)  # noqa: SIM115
        self.counts: dict[str, int] = {}
        self.categories: dict[str, dict[str, str]] = dict(categories or {})

    @classmethod
    def opened(cls, file: IO[bytes]) -> ExportFile:
        """An export file as ``finish`` left it (or, from before chunked artifacts, one JSON
        object with ``tables`` and ``categories``)."""
        file.seek(0)
        for line in file:
            if line.startswith(b"{"):
                trailer = json.loads(line)
                if "tables" in trailer:  # the earlier format: rewritten as lines
                    file.close()
                    export = cls()
                    export.add(ExportResult(trailer["tables"], trailer.get("categories") or {}))
                    return export
                export = cls(trailer.get("categories"), file)
                export.counts = dict(trailer.get("counts") or {})
                return export
        return cls(file=file)

    def table(self, name: str) -> None:
        """Name a table even if it has no rows for this person."""
        self.counts.setdefault(name, 0)

    def write(self, table: str, row: dict[str, Any]) -> None:
        line = json.dumps([table, row], ensure_ascii=False, default=str, separators=(",", ":"))
        self.file.write(line.encode() + b"\n")
        self.counts[table] = self.counts.get(table, 0) + 1

    def add(self, result: ExportResult) -> None:
        for table, rows in result.tables.items():
            self.table(table)
            for row in rows:
                self.write(table, row)
        self.categories.update(result.categories)

    def finish(self) -> None:
        trailer = {"counts": self.counts, "categories": self.categories}
        self.file.write(json.dumps(trailer, ensure_ascii=False).encode() + b"\n")

    def raw_rows(self, table: str) -> Iterator[bytes]:
        """The JSON text of each row of ``table``, without parsing the others."""
        prefix = b"[" + json.dumps(table, ensure_ascii=False).encode() + b","
        self.file.seek(0)
        for line in self.file:
            if line.startswith(prefix):
                yield line[len(prefix) : line.rindex(b"]")]

    def rows(self, table: str) -> Iterator[dict[str, Any]]:
        for raw in self.raw_rows(table):
            row: dict[str, Any] = json.loads(raw)
            yield row

    def result(self) -> ExportResult:
        """Everything in memory: for small exports and tests only."""
        tables = {name: list(self.rows(name)) for name in self.counts}
        return ExportResult(tables=tables, categories=self.categories)

    def close(self) -> None:
        self.file.close()


@dataclass(frozen=True, slots=True)
class HeldRows:
    """Rows kept under a retention duty and restricted (Art. 17(3)(b), Art. 18), grouped by
    the day their own period ends."""

    table: str
    count: int
    law: str
    until: date
    categories: list[str]


@dataclass(frozen=True, slots=True)
class KeptRows:
    """Rows of the person's that erasure left alone, and why: ``shared`` (another person's
    row uses them too) or ``read_only`` (a view, or a store dsr never writes)."""

    table: str
    count: int
    reason: str
    categories: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class EraseResult:
    erased: dict[str, int]
    held: list[HeldRows] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    kept: list[KeptRows] = field(default_factory=list)
    mentions: dict[str, int] = field(default_factory=dict)  # rows where only the name went


@dataclass(frozen=True, slots=True)
class RectifyResult:
    """Rows changed per table; ``columns``: which columns were written per table, and
    ``fields``: which requested changes landed somewhere (the letter claims only those)."""

    changed: dict[str, int]
    kept: list[KeptRows] = field(default_factory=list)
    columns: dict[str, list[str]] = field(default_factory=dict)
    fields: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class CurrentValue:
    """What a column mapped to a change field holds now among the person's rows."""

    table: str
    column: str
    field: str
    values: list[str]
    rows: int


class StoreError(Exception):
    """The store refused the work for a reason retrying cannot fix (a missing column, a type
    mismatch, a violated constraint). The message names tables and columns, never values."""


class StoreUnavailable(Exception):
    """The store could not be reached or answered with an error; the task is retried."""


class NeedsPerson(Exception):
    """A person has to do this (paper archive, a processor without an API)."""

    def __init__(self, instructions: str) -> None:
        super().__init__(instructions)
        self.instructions = instructions


class Accepted(Exception):
    """A processor accepted the job and will report back through the callback."""


class Connector(Protocol):
    name: str

    async def find(self, who: Identifiers, job: str = "") -> FindResult: ...

    async def export(self, who: Identifiers, job: str = "") -> ExportResult: ...

    async def erase(self, who: Identifiers, today: date, job: str = "") -> EraseResult: ...

    async def rectify(
        self, who: Identifiers, changes: list[Change], job: str = ""
    ) -> RectifyResult: ...

    async def check(self) -> list[str]:
        """Problems with the declaration against the real store (empty when it fits)."""
        ...

    async def close(self) -> None: ...


@runtime_checkable
class StreamingExport(Protocol):
    """A connector that writes its export row by row instead of returning it whole."""

    async def export_into(self, who: Identifiers, out: ExportFile, job: str = "") -> None: ...


def json_value(value: Any) -> Any:
    """Values as JSON can carry them: dates and decimals become text."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, bytes):
        return value.hex()
    return str(value) if not hasattr(value, "isoformat") else value.isoformat()
