"""What a rectification may change: an address only in its parts, each part checked."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from dsr.domain.changes import address_errors, fields_written, requested
from dsr.domain.identity import clean_text


def _clean(value: str | None, field: str, errors: dict[str, str]) -> str | None:
    if value is None:
        return None
    try:
        return clean_text(value) or None
    except ValueError:
        errors[field] = "invalid_text"
        return None


def _change(field: str, value: str | None = None, **address: str) -> Any:
    parts = SimpleNamespace(
        **{p: address.get(p) for p in ("street", "postcode", "city", "country")}
    )
    return SimpleNamespace(
        field=field, value=value, current=None, address=parts if address else None
    )


@pytest.mark.parametrize(
    ("parts", "expected"),
    [
        ({"postal_address.postcode": "45131"}, {}),
        ({"postal_address.postcode": "4513"}, {"x.postal_address.postcode": "invalid_postcode"}),
        ({"postal_address.postcode": "1012 AB", "postal_address.country": "NL"}, {}),
        ({"postal_address.country": "DEU"}, {"x.postal_address.country": "invalid_country"}),
        (
            {"postal_address.street": "Weg 2, 45131 Essen"},
            {"x.postal_address.street": "address_structured"},
        ),
        ({"postal_address.street": "Weg 2, Hinterhaus"}, {}),
    ],
)
def test_each_part_of_an_address_is_checked(
    parts: dict[str, str], expected: dict[str, str]
) -> None:
    assert address_errors(parts, "x") == expected


def test_an_address_becomes_one_change_per_part_and_a_whole_one_is_refused() -> None:
    errors: dict[str, str] = {}
    stored = requested(
        [
            _change("postal_address", street="Am Markt 1", postcode="45127", country="de"),
            _change("name", "Erika Neu"),
        ],
        _clean,
        errors,
    )
    assert errors == {}
    assert [(c["field"], c["value"]) for c in stored] == [
        ("postal_address.street", "Am Markt 1"),
        ("postal_address.postcode", "45127"),
        ("postal_address.country", "DE"),
        ("name", "Erika Neu"),
    ]
    refused: dict[str, str] = {}
    assert requested([_change("postal_address", "Am Markt 1, 45127 Essen")], _clean, refused) == []
    assert refused == {"changes.0.field": "address_structured"}
    twice: dict[str, str] = {}
    requested([_change("name", "A"), _change("name", "B")], _clean, twice)
    assert twice == {"changes": "duplicate_change"}


def test_only_fields_a_store_recorded_count_as_written() -> None:
    summaries = [
        {"changed": {"customers": 1}, "fields": ["postal_address.street"]},
        {"changed": {}},
    ]
    assert fields_written(summaries) == {"postal_address.street"}
