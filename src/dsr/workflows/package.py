"""The access package (Art. 15(3), Art. 20): ``data.json`` for machines, one CSV per table for
spreadsheets, and ``index.html``, the person's data to read in a browser, in one zip.

The CSV files are in the dialect German Excel opens by double-click: UTF-8 with a byte order
mark, semicolons, CRLF, labelled headers, and (German) a decimal comma. A value that a
spreadsheet would run as a formula (``=``, ``@``, a tab or CR first, or ``+``/``-`` followed by
anything but a plain number or phone number) is written with a leading apostrophe; plain
numbers and phone numbers such as ``+49 201 1234567`` or ``-12.50`` are written as they are, so
the guard never changes data the person reads. ``data.json`` always holds the exact values.

Withheld rows and columns (Art. 15(4), ``dsr.domain.redactions``) are left out of all three.
"""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import IO, Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from dsr.config import DsrConfig, localized
from dsr.connectors.base import ExportFile
from dsr.domain.redactions import NONE, Cuts
from dsr.domain.vocabulary import Language
from dsr.i18n import translations
from dsr.models import Task
from dsr.rendering import TEMPLATE_DIR, long_date
from dsr.workflows.report import Report, Table, build_report, text

BOM = "\ufeff"
# What may follow a leading + or -, and still be a number or a phone number, not a formula.
PLAIN_NUMBER = re.compile(r"[+-]?\d+([.,]\d+)?")
PHONE_NUMBER = re.compile(r"\+\d[\d ]{3,30}")
FORMULA_STARTS = ("=", "@", "\t", "\r")
DECIMAL = re.compile(r"-?\d+\.\d+")


@dataclass(frozen=True, slots=True)
class PackageInfo:
    reference: str
    controller: str
    created_at: datetime
    language: Language = Language.DE  # German or English: the request's letters language
    config: DsrConfig | None = field(default=None, compare=False)  # labels and categories
    paper: tuple[tuple[str, bool], ...] = ()  # (archive's label, file found) searched by hand


def build_package(
    info: PackageInfo, exports: Mapping[str, ExportFile], out: IO[bytes], cuts: Cuts = NONE
) -> None:
    """Write the zip to ``out``: ``data.json``, ``<store>/<table>.csv`` and ``index.html``,
    without what ``cuts`` withholds.

    Rows are copied from the export files one at a time; only a table's column names are
    held, so the size of an export does not show in memory."""
    report = build_report(exports, info.config, info.language.letters, cuts)
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        with archive.open("data.json", "w", force_zip64=True) as target:
            _data_json(info, report, target)
        for store in report.stores:
            for table in store.tables:
                if table.kept:
                    name = f"{_safe(store.name)}/{_safe(table.key)}.csv"
                    with archive.open(name, "w", force_zip64=True) as target:
                        write_csv(table, target)
        with archive.open("index.html", "w", force_zip64=True) as target:
            for piece in summary(info, report):
                target.write(piece.encode())


def paper_files(
    config: DsrConfig, tasks: Sequence[Task], language: Language = Language.DE
) -> tuple[tuple[str, bool], ...]:
    """The manual stores' tasks closed with "found" / "not found", by the store's label."""
    files = []
    for task in tasks:
        found = (task.result_summary or {}).get("found")
        if isinstance(found, bool):
            try:
                label = localized(config.store(task.store).label, language.value) or task.store
            except KeyError:
                label = task.store
            files.append((label, found))
    return tuple(files)


def _data_json(info: PackageInfo, report: Report, target: IO[bytes]) -> None:
    def dumps(value: Any) -> bytes:
        return json.dumps(value, ensure_ascii=False, default=str).encode()

    target.write(
        b'{\n  "reference": '
        + dumps(info.reference)
        + b',\n  "controller": '
        + dumps(info.controller)
        + b',\n  "created_at": '
        + dumps(info.created_at.isoformat())
        + b',\n  "paper_files": '
        + dumps([{"archive": label, "found": found} for label, found in info.paper])
        + b',\n  "stores": {'
    )
    for i, store in enumerate(report.stores):
        target.write(
            (b"," if i else b"") + b"\n    " + dumps(store.name) + b': {\n      "tables": {'
        )
        for j, table in enumerate(store.tables):
            target.write((b"," if j else b"") + b"\n        " + dumps(table.key) + b": [")
            rows: Iterator[bytes] = (
                (dumps(row) for row in table.records())
                if table.cut
                else table.export.raw_rows(table.key)
            )
            for k, raw in enumerate(rows):
                target.write((b",\n          " if k else b"\n          ") + raw)
            target.write(b"]")
        categories = {
            table.key: {
                column: category
                for column, category in table.export.categories.get(table.key, {}).items()
                if table.cut.keeps(column)
            }
            for table in store.tables
            if table.key in table.export.categories
        }
        target.write(b'\n      },\n      "categories": ' + dumps(categories) + b"\n    }")
    target.write(b"\n  }\n}\n")


def write_csv(table: Table, target: IO[bytes]) -> None:
    """One table as German Excel opens it (see the module's docstring)."""
    stream = io.TextIOWrapper(target, encoding="utf-8", newline="")
    stream.write(BOM)
    writer = csv.writer(stream, delimiter=";", lineterminator="\r\n")
    writer.writerow([spreadsheet_cell(c.label) for c in table.shown])
    german = table.language is Language.DE
    for row in table.rows():
        writer.writerow([spreadsheet_cell(cell, decimal_comma=german) for cell in row.cells])
    stream.flush()
    stream.detach()


def spreadsheet_cell(value: str, *, decimal_comma: bool = False) -> str:
    """``value`` as a spreadsheet cell: formulas neutralised, numbers and phones intact."""
    if decimal_comma and DECIMAL.fullmatch(value):
        return value.replace(".", ",")
    first = value[:1]
    if first in FORMULA_STARTS:
        return "'" + value
    if first in ("+", "-") and len(value) > 1:
        if PLAIN_NUMBER.fullmatch(value) or PHONE_NUMBER.fullmatch(value):
            return value
        return "'" + value
    return value


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in name)[:64] or "_"


@cache
def _environment() -> Environment:
    """The report's own templates (``report/``), escaped: the package is built by workers,
    which have no web app."""
    return Environment(
        loader=FileSystemLoader(TEMPLATE_DIR),
        autoescape=True,
        undefined=StrictUndefined,
        auto_reload=False,
    )


def summary(info: PackageInfo, report: Report) -> Iterator[str]:
    """``index.html``, one piece at a time."""
    language = report.language
    template = _environment().get_template("report/index.html")
    return template.generate(
        _=translations(language).gettext,
        lang=language.value,
        report=report,
        reference=info.reference,
        controller=info.controller,
        created_on=long_date(info.created_at.date(), language),
        dpo=False,
        text=text,
        paper=info.paper,
    )
