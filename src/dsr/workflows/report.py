"""The access report as the person reads it: per store and table, the person's rows under
labelled columns, with the category of each column and the rows that are other people's
marked (``mentions`` and ``related`` in ``dsr.connectors.graph``).

One description serves ``index.html`` in the package, its CSV files and the DPO's preview, so
what the DPO reviews is what the person gets. Rows are read from the export files as they are
shown, never all at once.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from dsr.config import DsrConfig, SqlStore, SqlTable, localized
from dsr.connectors.base import ExportFile
from dsr.domain.redactions import NONE, Cuts, TableCut, Withheld
from dsr.domain.vocabulary import Language
from dsr.i18n import N_, gettext
from dsr.letters.facts import CATEGORIES

OWNS, MENTIONS, RELATED = "owns", "mentions", "related"

ROLE_NOTES = {
    MENTIONS: N_("Other people's records in which you are named"),
    RELATED: N_("Records your records use (they may concern others too)"),
}
# Labels for column names that many stores use, when dsr.yaml gives none.
COLUMN_LABELS: dict[str, str] = {
    "id": N_("ID"),
    "customer_id": N_("Customer ID"),
    "order_id": N_("Order ID"),
    "name": N_("Name"),
    "first_name": N_("First name"),
    "last_name": N_("Last name"),
    "email": N_("E-mail address"),
    "phone": N_("Phone number"),
    "mobile": N_("Mobile number"),
    "street": N_("Street and house number"),
    "zip": N_("Postcode"),
    "postcode": N_("Postcode"),
    "city": N_("City"),
    "country": N_("Country"),
    "birth_date": N_("Date of birth"),
    "date_of_birth": N_("Date of birth"),
    "customer_no": N_("Customer number"),
    "customer_number": N_("Customer number"),
    "created_on": N_("Created on"),
    "created_at": N_("Created at"),
    "total": N_("Total"),
    "price": N_("Price"),
    "quantity": N_("Quantity"),
    "product": N_("Product"),
    "subject": N_("Subject"),
    "ip": N_("IP address"),
}
YES, NO = N_("yes"), N_("no")
KEYS = N_("technical keys")  # the columns the connector adds to tie rows together


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    label: str
    category: str


@dataclass(frozen=True, slots=True)
class Row:
    number: int  # from 1, in the store's export of the table
    cells: list[str]
    withheld: bool = False


@dataclass(slots=True)
class Table:
    """One table's rows of one role (``key``: ``tickets`` or ``tickets:mentions``)."""

    store: str
    key: str
    label: str
    role: str
    note: str  # what the role means, for rows that are not the person's own
    count: int
    columns: list[Column]  # every column, the withheld ones too
    cut: TableCut
    export: ExportFile
    language: Language
    sample: list[Row] = field(default_factory=list)  # the DPO's preview: the first rows

    @property
    def third_party(self) -> bool:
        return self.role != OWNS

    @property
    def shown(self) -> list[Column]:
        """The columns the person gets."""
        return [c for c in self.columns if self.cut.keeps(c.name)]

    @property
    def categories(self) -> str:
        return ", ".join(dict.fromkeys(c.category for c in self.shown)) or "–"

    @property
    def kept(self) -> int:
        return self.count - len([n for n in self.cut.rows if 1 <= n <= self.count])

    def rows(self, *, withheld: bool = False, limit: int | None = None) -> Iterator[Row]:
        """The rows the person gets, or (``withheld``) every row with the cut ones marked;
        cells of ``shown`` columns, or of every column with ``withheld``."""
        columns = self.columns if withheld else self.shown
        for number, row in enumerate(self.export.rows(self.key), start=1):
            if limit is not None and number > limit:
                return
            cut = not self.cut.keeps_row(number)
            if cut and not withheld:
                continue
            cells = [text(row.get(c.name), self.language) for c in columns]
            yield Row(number, cells, cut)

    def records(self) -> Iterator[dict[str, Any]]:
        """The rows the person gets as they were exported, without the withheld columns."""
        for number, row in enumerate(self.export.rows(self.key), start=1):
            if self.cut.keeps_row(number):
                yield {k: v for k, v in row.items() if self.cut.keeps(k)}


@dataclass(slots=True)
class Store:
    name: str
    label: str
    tables: list[Table]


@dataclass(slots=True)
class Report:
    stores: list[Store]
    language: Language

    @property
    def withheld(self) -> bool:
        return any(table.cut for store in self.stores for table in store.tables)


def build_report(
    exports: Mapping[str, ExportFile],
    config: DsrConfig | None,
    language: Language,
    cuts: Cuts = NONE,
) -> Report:
    """The report of ``exports`` (store -> export) in ``language`` (German or English)."""
    stores = []
    for name, export in sorted(exports.items()):
        declared = _store(config, name)
        tables = [
            _table(name, key, export, declared, config, language, cuts.table(name, key))
            for key in sorted(export.counts)
        ]
        label = localized(declared.label, language.value) if declared is not None else ""
        stores.append(Store(name, label or name, tables))
    return Report(stores, language)


def _store(config: DsrConfig | None, name: str) -> Any:
    if config is None:
        return None
    try:
        return config.store(name)
    except KeyError:
        return None


def _table(
    store: str,
    key: str,
    export: ExportFile,
    declared: Any,
    config: DsrConfig | None,
    language: Language,
    cut: TableCut,
) -> Table:
    name, _, role = key.partition(":")
    role = role or OWNS
    spec = _spec(declared, name)
    categories = export.categories.get(key, {})
    names = list(dict.fromkeys([*categories, *columns_of(export, key)]))
    columns = []
    for column in names:
        column_spec = spec.columns.get(column) if spec is not None else None
        category = categories.get(column) or (column_spec.category if column_spec else "")
        columns.append(
            Column(
                column,
                _column_label(spec, column, language),
                category_name(config, category, language),
            )
        )
    label = localized(spec.label, language.value) if spec is not None else ""
    note = gettext(language, ROLE_NOTES[role]) if role in ROLE_NOTES else ""
    return Table(
        store=store,
        key=key,
        label=label or name,
        role=role,
        note=note,
        count=export.counts.get(key, 0),
        columns=_distinct_labels(columns),
        cut=cut,
        export=export,
        language=language,
    )


def _spec(declared: Any, table: str) -> SqlTable | None:
    if isinstance(declared, SqlStore):
        return next((t for t in declared.tables if t.name == table), None)
    return None


def _column_label(spec: SqlTable | None, column: str, language: Language) -> str:
    column_spec = spec.columns.get(column) if spec is not None else None
    label = localized(column_spec.label, language.value) if column_spec else ""
    if not label and column in COLUMN_LABELS:
        label = gettext(language, COLUMN_LABELS[column])
    return label or column


def names(
    config: DsrConfig | None, items: Iterable[Withheld], language: Language
) -> tuple[dict[tuple[str, str], str], dict[tuple[str, str, str], str]]:
    """How the report names the tables and columns of ``items``: ``Store › Table`` (with
    the role's note for rows that are not the person's own), and each column's label."""
    where: dict[tuple[str, str], str] = {}
    columns: dict[tuple[str, str, str], str] = {}
    for item in items:
        declared = _store(config, item.store)
        name, _, role = item.table.partition(":")
        spec = _spec(declared, name)
        store_label = localized(declared.label, language.value) if declared is not None else ""
        table_label = (localized(spec.label, language.value) if spec is not None else "") or name
        if role in ROLE_NOTES:
            table_label = f"{table_label} ({gettext(language, ROLE_NOTES[role])})"
        where[(item.store, item.table)] = f"{store_label or item.store} › {table_label}"
        if item.column is not None:
            columns[(item.store, item.table, item.column)] = _column_label(
                spec, item.column, language
            )
    return where, columns


def columns_of(export: ExportFile, key: str) -> list[str]:
    """Every column any row of ``key`` has, in the order they first appear."""
    return list(dict.fromkeys(column for row in export.rows(key) for column in row))


def category_name(config: DsrConfig | None, category: str, language: Language) -> str:
    """``dsr.yaml`` ``categories:``, else the letters' name of a built-in one, else the key."""
    if not category:
        return ""
    named = config.categories.get(category) if config is not None else None
    if named:
        return localized(named, language.value)
    if category in CATEGORIES:
        return gettext(language, CATEGORIES[category])
    if category == "keys":
        return gettext(language, KEYS)
    return category


def text(value: Any, language: Language) -> str:
    """A value as the person reads it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return gettext(language, YES if value else NO)
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _distinct_labels(columns: list[Column]) -> list[Column]:
    """Two columns with one label (``email`` and a labelled ``mail``) keep their names."""
    seen: dict[str, int] = {}
    for column in columns:
        seen[column.label] = seen.get(column.label, 0) + 1
    return [
        Column(c.name, f"{c.label} ({c.name})", c.category) if seen[c.label] > 1 else c
        for c in columns
    ]
