"""What the letter says about withheld data: per table and reason, only what was recorded."""

from __future__ import annotations

import pytest

from dsr.domain.redactions import Cuts, Reason, Withheld
from dsr.domain.vocabulary import Language
from dsr.letters.withheld import letter_lines
from dsr.workflows.report import names
from tests.unit.test_package import CONFIG


def test_rows_are_counted_per_table_and_reason_and_columns_named() -> None:
    items = [
        Withheld("shop", "tickets:mentions", Reason.THIRD_PARTY, row=1),
        Withheld("shop", "tickets:mentions", Reason.THIRD_PARTY, row=3),
        Withheld("shop", "customers", Reason.TRADE_SECRET, column="note"),
        Withheld("shop", "customers", Reason.OTHER, row=2, note="Strafverfahren anhängig"),
    ]
    where, columns = names(CONFIG, items, Language.DE)
    assert letter_lines(items, Language.DE, where, columns) == [
        "Kundendatenbank › Anfragen (Einträge anderer, in denen Sie genannt werden): 2 Datensätze "
        "zurückgehalten, zum Schutz anderer Personen, deren Daten darin stehen "
        "(Art. 15 Abs. 4 DSGVO).",
        "Kundendatenbank › Kundenkonto: 1 Datensatz zurückgehalten, zum Schutz der Rechte und "
        "Freiheiten anderer (Art. 15 Abs. 4 DSGVO). Unsere Begründung: Strafverfahren anhängig",
        "Kundendatenbank › Kundenkonto: die Spalte „Notiz“ zurückgehalten, zum Schutz unserer "
        "Geschäftsgeheimnisse (Art. 15 Abs. 4 DSGVO).",
    ]
    where, columns = names(CONFIG, items[2:3], Language.EN)
    assert letter_lines(items[2:3], Language.EN, where, columns) == [
        "Customer database › Customer account: the column “Note” withheld to protect our trade "
        "secrets (Art. 15(4) GDPR)."
    ]
    assert letter_lines([], Language.DE, {}, {}) == []


def test_cuts_per_table() -> None:
    cuts = Cuts.of(
        [
            Withheld("shop", "customers", Reason.THIRD_PARTY, row=2),
            Withheld("shop", "customers", Reason.THIRD_PARTY, column="phone"),
        ]
    )
    table = cuts.table("shop", "customers")
    assert not table.keeps_row(2) and table.keeps_row(1) and not table.keeps("phone")
    assert not cuts.table("shop", "orders") and cuts
    with pytest.raises(ValueError):
        Withheld("shop", "customers", Reason.OTHER)  # a row or a column, never neither
