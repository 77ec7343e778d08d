"""Art. 15(4): what the DPO withholds from an access package, and why.

A redaction names a whole row (its number in the store's export of that table, from 1) or a
whole column of one table, with a reason from a closed list. The reason and the DPO's note
go into the letter; the numbers, names and reason code go into the audit trail. Nothing here
does I/O.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum


class Reason(StrEnum):
    THIRD_PARTY = "third_party"  # the rights of other people (their data)
    TRADE_SECRET = "trade_secret"  # noqa: S105 - business secrets, intellectual property
    OTHER = "other"  # another right or freedom of others; the note says which


NOTE_REQUIRED = frozenset({Reason.OTHER})
MAX_NOTE = 500
MAX_ROW = 10_000_000


@dataclass(frozen=True, slots=True)
class Withheld:
    """One redaction: ``row`` (from 1) or ``column`` of ``table`` in ``store``."""

    store: str
    table: str
    reason: Reason
    row: int | None = None
    column: str | None = None
    note: str = ""

    def __post_init__(self) -> None:
        if (self.row is None) == (self.column is None):
            raise ValueError("a redaction names a row or a column")


@dataclass(frozen=True, slots=True)
class TableCut:
    """What one table loses: row numbers (from 1) and column names."""

    rows: frozenset[int] = frozenset()
    columns: frozenset[str] = frozenset()

    def keeps_row(self, number: int) -> bool:
        return number not in self.rows

    def keeps(self, column: str) -> bool:
        return column not in self.columns

    def __bool__(self) -> bool:
        return bool(self.rows or self.columns)


NOTHING = TableCut()


@dataclass(frozen=True, slots=True)
class Cuts:
    """Every table's cut, from a request's redactions."""

    tables: dict[tuple[str, str], TableCut]

    @classmethod
    def of(cls, redactions: Iterable[Withheld]) -> Cuts:
        rows: dict[tuple[str, str], set[int]] = {}
        columns: dict[tuple[str, str], set[str]] = {}
        for item in redactions:
            key = (item.store, item.table)
            rows.setdefault(key, set())
            columns.setdefault(key, set())
            if item.row is not None:
                rows[key].add(item.row)
            if item.column is not None:
                columns[key].add(item.column)
        return cls({key: TableCut(frozenset(rows[key]), frozenset(columns[key])) for key in rows})

    def table(self, store: str, table: str) -> TableCut:
        return self.tables.get((store, table), NOTHING)

    def __bool__(self) -> bool:
        return any(self.tables.values())


NONE = Cuts({})
