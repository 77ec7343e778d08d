"""What a rectification may change, field by field (Art. 16).

A postal address is four fields, never one string: the whole new address written into the
column that holds the street left the old postcode and city beside it. Each part is mapped
to its own column in ``dsr.yaml`` (``field: postal_address.postcode``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping

ADDRESS = "postal_address"
ADDRESS_PARTS = ("street", "postcode", "city", "country")
ADDRESS_FIELDS = tuple(f"{ADDRESS}.{part}" for part in ADDRESS_PARTS)
STREET, POSTCODE, CITY, COUNTRY = ADDRESS_FIELDS
CONTACT = ("name", "email", "phone", "customer_number")
# What a column of a store can hold (``field:`` in dsr.yaml) and a change can name.
MAPPABLE = (*CONTACT, *ADDRESS_FIELDS)
CHANGEABLE = (*MAPPABLE, "other")
LIMITS = {STREET: 200, POSTCODE: 10, CITY: 100, COUNTRY: 2}

_COUNTRY = re.compile(r"^[A-Z]{2}$")
_POSTCODE = re.compile(r"^[0-9A-Z][0-9A-Z \-]{1,9}$")
_GERMAN_POSTCODE = re.compile(r"^\d{5}$")


def is_address(field: str) -> bool:
    """The whole address or one of its parts (a contact change: confirmed on file)."""
    return field == ADDRESS or field.startswith(f"{ADDRESS}.")


def address_errors(parts: Mapping[str, str], prefix: str = "changes") -> dict[str, str]:
    """Message codes per field path for the parts of one new address (``{field: value}``,
    already cleaned). The country is an ISO code; a German postcode has five digits."""
    errors: dict[str, str] = {}
    for field, value in parts.items():
        if len(value) > LIMITS.get(field, 500):
            errors[f"{prefix}.{field}"] = "too_long"
    country = parts.get(COUNTRY, "")
    if country and not _COUNTRY.match(country):
        errors[f"{prefix}.{COUNTRY}"] = "invalid_country"
    postcode = parts.get(POSTCODE, "")
    if postcode and (
        not _POSTCODE.match(postcode.upper())
        or ((country or "DE") == "DE" and not _GERMAN_POSTCODE.match(postcode))
    ):
        errors[f"{prefix}.{POSTCODE}"] = "invalid_postcode"
    street = parts.get(STREET, "")
    if street and "," in street and any(ch.isdigit() for ch in street.rpartition(",")[2]):
        errors[f"{prefix}.{STREET}"] = "address_structured"  # "Weg 2, 45131 Essen" in one field
    return errors


def normal_part(field: str, value: str) -> str:
    """Country codes in capitals; the rest as given."""
    return value.upper() if field in (COUNTRY, POSTCODE) else value


def fields_written(summaries: Iterable[Mapping[str, object]]) -> set[str]:
    """The change fields that at least one store recorded as written (task results)."""
    written: set[str] = set()
    for summary in summaries:
        fields = summary.get("fields")
        if isinstance(fields, list):
            written.update(str(field) for field in fields)
    return written


def requested(
    changes: Iterable[object],
    clean: Callable[[str | None, str, dict[str, str]], str | None],
    errors: dict[str, str],
) -> list[dict[str, str | None]]:
    """The changes of a request as stored: one per field, an address expanded into its
    parts. ``clean`` cleans a free text or records its error under the path given. A
    free-form address (``postal_address`` with a value and no parts) is refused."""
    stored: list[dict[str, str | None]] = []
    for index, change in enumerate(changes):
        path = f"changes.{index}"
        current = clean(getattr(change, "current", None), f"{path}.current", errors)
        parts = _parts(change, path, clean, errors)
        errors.update(address_errors({k: v for k, v in parts.items() if is_address(k)}, path))
        for number, (name, value) in enumerate(parts.items()):
            stored.append({"field": name, "value": value, "current": None if number else current})
    fields = [change["field"] for change in stored if change["field"] != "other"]
    if len(fields) != len(set(fields)):
        errors["changes"] = "duplicate_change"
    return stored


def _parts(
    change: object,
    path: str,
    clean: Callable[[str | None, str, dict[str, str]], str | None],
    errors: dict[str, str],
) -> dict[str, str]:
    """``{field: new value}`` of one requested change (several for an address)."""
    field = str(getattr(change, "field", ""))
    address = getattr(change, "address", None)
    if field != ADDRESS:
        raw = getattr(change, "value", None)
        if address is not None or raw is None:
            errors[f"{path}.address" if address is not None else f"{path}.value"] = (
                "invalid_value" if address is not None else "required"
            )
            return {}
        value = clean(raw, f"{path}.value", errors)
        return {field: normal_part(field, value)} if value else {}
    if address is None:
        errors[f"{path}.field"] = "address_structured"
        return {}
    parts = {
        f"{ADDRESS}.{part}": normal_part(f"{ADDRESS}.{part}", value)
        for part in ADDRESS_PARTS
        if (value := clean(getattr(address, part), f"{path}.address.{part}", errors))
    }
    if not parts:
        errors[f"{path}.address"] = "required"
    return parts
