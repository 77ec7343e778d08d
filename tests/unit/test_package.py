"""The access package as the person opens it: index.html shows their data with labels and
categories, escaped; the CSV files open in German Excel; withheld rows and columns are gone."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import UTC, datetime

import pytest

from dsr.config import DsrConfig
from dsr.connectors.base import ExportFile
from dsr.domain.redactions import Cuts, Reason, Withheld
from dsr.domain.vocabulary import Language
from dsr.workflows.package import PackageInfo, build_package, spreadsheet_cell

HOSTILE = '<script>alert("x")</script> & <b>fett</b>'
CONFIG = DsrConfig.model_validate(
    {
        "categories": {"employment": {"de": "Beschäftigtendaten", "en": "employment data"}},
        "stores": [
            {
                "name": "shop",
                "type": "sql",
                "url": "sqlite:///:memory:",
                "system_of_record": True,
                "label": {"de": "Kundendatenbank", "en": "Customer database"},
                "tables": [
                    {
                        "name": "customers",
                        "label": {"de": "Kundenkonto", "en": "Customer account"},
                        "identity": {"email": "email"},
                        "columns": {
                            "name": {"category": "identity"},
                            "email": {"category": "contact"},
                            "phone": {"category": "contact"},
                            "note": {"category": "other", "label": {"de": "Notiz", "en": "Note"}},
                        },
                    },
                    {
                        "name": "tickets",
                        "label": {"de": "Anfragen", "en": "Tickets"},
                        "identity": {"email": "email"},
                        "references": [
                            {"column": "agent_id", "to": "customers.id", "role": "mentions"}
                        ],
                        "columns": {
                            "subject": {"category": "communication"},
                            "agent_id": {"category": "employment"},
                        },
                    },
                ],
            }
        ],
    }
)


def _export() -> ExportFile:
    out = ExportFile(
        {
            "customers": {
                "name": "identity",
                "email": "contact",
                "phone": "contact",
                "note": "other",
                "total": "payment",
            },
            "tickets:mentions": {"subject": "communication", "agent_id": "employment"},
        }
    )
    out.write(
        "customers",
        {
            "name": HOSTILE,
            "email": "eve@example.org",
            "phone": "+49 201 1234567",
            "note": '=HYPERLINK("http://evil")',
            "total": "19.95",
        },
    )
    out.write(
        "customers",
        {
            "name": "Zweite",
            "email": "z@example.org",
            "phone": "+492011234567",
            "note": "-2+3",
            "total": "-12.50",
        },
    )
    out.write("tickets:mentions", {"subject": "Rückruf Frau Dritte", "agent_id": 7})
    out.finish()
    return ExportFile.opened(out.file)


def _package(language: Language = Language.DE, cuts: Cuts | None = None) -> zipfile.ZipFile:
    info = PackageInfo(
        "DSR-2026-000042",
        "Beispiel <GmbH>",
        datetime(2026, 12, 1, tzinfo=UTC),
        language=language,
        config=CONFIG,
    )
    out = io.BytesIO()
    export = _export()
    try:
        build_package(info, {"shop": export}, out, **({"cuts": cuts} if cuts else {}))
    finally:
        export.close()
    return zipfile.ZipFile(out)


def test_index_shows_the_data_with_labels_categories_and_others_rows_marked() -> None:
    page = _package().read("index.html").decode()
    assert "<h2>Kundendatenbank</h2>" in page
    assert "Kundenkonto" in page and "Notiz" in page and "E-Mail-Adresse" in page
    assert "Kontaktdaten" in page  # the category's German name, not "contact"
    assert "Beschäftigtendaten" in page  # a category named in dsr.yaml
    assert "<td>+49 201 1234567</td>" in page and "<td>eve@example.org</td>" in page
    assert "Einträge anderer, in denen Sie genannt werden" in page
    assert 'class="report-table third-party"' in page
    assert "<td>Rückruf Frau Dritte</td>" in page
    english = _package(Language.TR).read("index.html").decode()  # Turkish: English letters
    assert "Customer database" in english and "E-mail address" in english
    assert (
        "contact data" in english and "Other people&#39;s records in which you are named" in english
    )


def test_index_escapes_every_value() -> None:
    page = _package().read("index.html").decode()
    assert "<script>" not in page and "<b>fett</b>" not in page
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &lt;b&gt;fett&lt;/b&gt;" in page
    assert "Beispiel &lt;GmbH&gt;" in page


def test_csv_opens_in_german_excel_with_phones_intact_and_formulas_neutralised() -> None:
    raw = _package().read("shop/customers.csv")
    assert raw.startswith("\ufeff".encode())  # UTF-8 with BOM
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["Name", "E-Mail-Adresse", "Telefonnummer", "Notiz", "Summe"]
    assert rows[1][2] == "+49 201 1234567" and rows[2][2] == "+492011234567"  # no apostrophe
    assert rows[1][3] == '\'=HYPERLINK("http://evil")'  # a formula is neutralised
    assert rows[2][3] == "'-2+3"
    assert rows[1][4] == "19,95" and rows[2][4] == "-12,50"  # decimal comma
    assert rows[1][0] == HOSTILE
    assert b"\r\n" in raw
    data = json.loads(_package().read("data.json"))
    assert data["stores"]["shop"]["tables"]["customers"][0]["note"] == '=HYPERLINK("http://evil")'
    english = _package(Language.EN).read("shop/customers.csv").decode("utf-8-sig")
    assert "19.95" in english and english.startswith("Name;E-mail address;")


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("+49 201 1234567", "+49 201 1234567"),
        ("+4920112345", "+4920112345"),
        ("-12.5", "-12.5"),
        ("+1", "+1"),
        ("-", "-"),
        ("=1+1", "'=1+1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("+1-2", "'+1-2"),
        ("-cmd|' /C calc'!A0", "'-cmd|' /C calc'!A0"),
        ("\tx", "'\tx"),
        ("Straße 1", "Straße 1"),
    ],
)
def test_spreadsheet_cells(value: str, cell: str) -> None:
    assert spreadsheet_cell(value) == cell


def test_withheld_rows_and_columns_are_left_out_of_every_file() -> None:
    cuts = Cuts.of(
        [
            Withheld("shop", "customers", Reason.THIRD_PARTY, row=1),
            Withheld("shop", "customers", Reason.TRADE_SECRET, column="note"),
            Withheld("shop", "tickets:mentions", Reason.THIRD_PARTY, row=1),
        ]
    )
    archive = _package(cuts=cuts)
    data = json.loads(archive.read("data.json"))
    assert data["stores"]["shop"]["tables"]["customers"] == [
        {"name": "Zweite", "email": "z@example.org", "phone": "+492011234567", "total": "-12.50"}
    ]
    assert data["stores"]["shop"]["tables"]["tickets:mentions"] == []
    assert "note" not in data["stores"]["shop"]["categories"]["customers"]
    rows = list(
        csv.reader(
            io.StringIO(archive.read("shop/customers.csv").decode("utf-8-sig")), delimiter=";"
        )
    )
    assert rows == [
        ["Name", "E-Mail-Adresse", "Telefonnummer", "Summe"],
        ["Zweite", "z@example.org", "+492011234567", "-12,50"],
    ]
    assert "shop/tickets_mentions.csv" not in archive.namelist()
    page = archive.read("index.html").decode()
    assert "eve@example.org" not in page and "Notiz" not in page and "Rückruf" not in page
    assert "Zweite" in page and "Einige Daten halten wir zum Schutz der Rechte anderer" in page
