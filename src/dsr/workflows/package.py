"""The access package (Art. 15(3), Art. 20): JSON for machines, one CSV per table, and a
readable HTML summary with the categories per store, in one zip."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from html import escape
from typing import Any

from dsr.connectors.base import ExportResult


@dataclass(frozen=True, slots=True)
class PackageInfo:
    reference: str
    controller: str
    created_at: datetime


def build_package(info: PackageInfo, exports: Mapping[str, ExportResult]) -> bytes:
    """Zip bytes: ``data.json``, ``<store>/<table>.csv`` and ``index.html``."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        document = {
            "reference": info.reference,
            "controller": info.controller,
            "created_at": info.created_at.isoformat(),
            "stores": {
                store: {"tables": result.tables, "categories": result.categories}
                for store, result in sorted(exports.items())
            },
        }
        archive.writestr(
            "data.json", json.dumps(document, ensure_ascii=False, indent=2, default=str)
        )
        for store, result in sorted(exports.items()):
            for table, rows in sorted(result.tables.items()):
                if rows:
                    archive.writestr(f"{_safe(store)}/{_safe(table)}.csv", _csv(rows))
        archive.writestr("index.html", _summary(info, exports))
    return buffer.getvalue()


def _csv(rows: list[dict[str, Any]]) -> str:
    columns = list(dict.fromkeys(key for row in rows for key in row))
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: _cell(v) for k, v in row.items()})
    return out.getvalue()


def _cell(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False) if isinstance(value, dict | list) else str(value)
    # Spreadsheet formula injection: a cell must not start like a formula.
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in name)[:64] or "_"


def _categories(result: ExportResult, table: str) -> str:
    return ", ".join(sorted(set(result.categories.get(table, {}).values()))) or "-"


def _summary(info: PackageInfo, exports: Mapping[str, ExportResult]) -> str:
    sections = []
    for store, result in sorted(exports.items()):
        rows = "".join(
            f"<tr><td>{escape(table)}</td><td>{len(records)}</td>"
            f"<td>{escape(_categories(result, table))}</td></tr>"
            for table, records in sorted(result.tables.items())
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
        "the CSV files open in a spreadsheet.</p>" + "".join(sections) + "</body></html>"
    )
