"""The access package (Art. 15(3), Art. 20): JSON for machines, one CSV per table, and a
readable HTML summary with the categories per store, in one zip."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from html import escape
from typing import IO, Any

from dsr.config import DsrConfig, localized
from dsr.connectors.base import ExportFile
from dsr.models import Task


@dataclass(frozen=True, slots=True)
class PackageInfo:
    reference: str
    controller: str
    created_at: datetime
    paper: tuple[tuple[str, bool], ...] = ()  # (archive's label, file found) searched by hand


def build_package(info: PackageInfo, exports: Mapping[str, ExportFile], out: IO[bytes]) -> None:
    """Write the zip to ``out``: ``data.json``, ``<store>/<table>.csv`` and ``index.html``.

    Rows are copied from the export files one at a time; only a table's column names are
    held, so the size of an export does not show in memory."""
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        with archive.open("data.json", "w", force_zip64=True) as target:
            _data_json(info, exports, target)
        for store, export in sorted(exports.items()):
            for table in sorted(export.counts):
                if export.counts[table]:
                    name = f"{_safe(store)}/{_safe(table)}.csv"
                    with archive.open(name, "w", force_zip64=True) as target:
                        _csv(export, table, target)
        archive.writestr("index.html", _summary(info, exports))


def paper_files(config: DsrConfig, tasks: Sequence[Task]) -> tuple[tuple[str, bool], ...]:
    """The manual stores' tasks closed with "found" / "not found", by the store's label."""
    files = []
    for task in tasks:
        found = (task.result_summary or {}).get("found")
        if isinstance(found, bool):
            try:
                label = localized(config.store(task.store).label, "de") or task.store
            except KeyError:
                label = task.store
            files.append((label, found))
    return tuple(files)


def _data_json(info: PackageInfo, exports: Mapping[str, ExportFile], target: IO[bytes]) -> None:
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
    for i, (store, export) in enumerate(sorted(exports.items())):
        target.write((b"," if i else b"") + b"\n    " + dumps(store) + b': {\n      "tables": {')
        for j, table in enumerate(export.counts):
            target.write((b"," if j else b"") + b"\n        " + dumps(table) + b": [")
            for k, raw in enumerate(export.raw_rows(table)):
                target.write((b",\n          " if k else b"\n          ") + raw)
            target.write(b"]")
        target.write(b'\n      },\n      "categories": ' + dumps(export.categories) + b"\n    }")
    target.write(b"\n  }\n}\n")


def _csv(export: ExportFile, table: str, target: IO[bytes]) -> None:
    columns = list(dict.fromkeys(key for row in export.rows(table) for key in row))
    text = io.TextIOWrapper(target, encoding="utf-8", newline="")
    writer = csv.DictWriter(text, fieldnames=columns, extrasaction="ignore")
    writer.writeheader()
    for row in export.rows(table):
        writer.writerow({k: _cell(v) for k, v in row.items()})
    text.flush()
    text.detach()


def _cell(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False) if isinstance(value, dict | list) else str(value)
    # Spreadsheet formula injection: a cell must not start like a formula.
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in name)[:64] or "_"


def _categories(export: ExportFile, table: str) -> str:
    return ", ".join(sorted(set(export.categories.get(table, {}).values()))) or "-"


# Rows reached through a reference that is not the person's own (dsr.connectors.graph).
ROLES = {
    "mentions": "Einträge anderer, in denen Sie genannt werden / others' records naming you",
    "related": "von Ihren Einträgen genutzt / used by your records",
}


def _label(table: str) -> str:
    name, _, role = table.partition(":")
    return f"{name} ({ROLES[role]})" if role in ROLES else table


def _summary(info: PackageInfo, exports: Mapping[str, ExportFile]) -> str:
    sections = []
    for store, export in sorted(exports.items()):
        rows = "".join(
            f"<tr><td>{escape(_label(table))}</td><td>{count}</td>"
            f"<td>{escape(_categories(export, table))}</td></tr>"
            for table, count in sorted(export.counts.items())
        )
        sections.append(
            f"<h2>{escape(store)}</h2><table><tr><th>Tabelle / table</th>"
            f"<th>Einträge / records</th><th>Kategorien / categories</th></tr>{rows}</table>"
        )
    return (
        "<!doctype html><html lang='de'><head><meta charset='utf-8'>"
        f"<title>{escape(info.reference)}</title></head><body>"
        f"<h1>Ihre Daten / Your data – {escape(info.reference)}</h1>"
        f"<p>{escape(info.controller)}, {escape(info.created_at.date().isoformat())}</p>"
        "<p>data.json enthält alle Daten maschinenlesbar; die CSV-Dateien je Tabelle lassen sich "
        "mit einer Tabellenkalkulation öffnen. / data.json holds everything machine-readable; "
        "the CSV files open in a spreadsheet.</p>"
        + "".join(sections)
        + _paper(info)
        + "</body></html>"
    )


def _paper(info: PackageInfo) -> str:
    """One line per paper archive searched by hand: found, or nothing found."""
    if not info.paper:
        return ""
    lines = "".join(
        f"<li>{escape(label)}: "
        + ("Akte gefunden / file found" if found else "nichts gefunden / nothing found")
        + "</li>"
        for label, found in info.paper
    )
    return f"<h2>Papierakten / paper files</h2><ul>{lines}</ul>"
