"""A store's export as a file of lines: what is written is what the package reads back."""

from __future__ import annotations

import io
import json

from dsr.connectors.base import ExportFile, ExportResult


def test_rows_come_back_per_table_with_counts_and_categories() -> None:
    out = ExportFile({"kunden": {"name": "identity"}})
    out.table("leer")
    hostile = {"name": 'Eve "]\n[', "note": "Straße ✓", "n": 3}
    out.write("kunden", hostile)
    out.write("bestell]ungen", {"id": 1})
    out.write("kunden", {"name": "Zweite"})
    out.finish()
    again = ExportFile.opened(out.file)
    assert again.counts == {"leer": 0, "kunden": 2, "bestell]ungen": 1}
    assert again.categories == {"kunden": {"name": "identity"}}
    assert list(again.rows("kunden")) == [hostile, {"name": "Zweite"}]
    assert list(again.rows("bestell]ungen")) == [{"id": 1}]
    assert json.loads(b"[" + b",".join(again.raw_rows("kunden")) + b"]")[0] == hostile
    assert again.result().tables["leer"] == []
    again.close()


def test_an_export_stored_before_chunked_artifacts_is_read_too() -> None:
    legacy = json.dumps(
        {"tables": {"customers": [{"id": 7}], "orders": []}, "categories": {"customers": {}}}
    ).encode()
    opened = ExportFile.opened(io.BytesIO(legacy))
    assert opened.counts == {"customers": 1, "orders": 0}
    assert list(opened.rows("customers")) == [{"id": 7}]
    assert opened.result() == ExportResult(
        {"customers": [{"id": 7}], "orders": []}, {"customers": {}}
    )
