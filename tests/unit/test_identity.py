from __future__ import annotations

import pytest

from dsr.domain.errors import InvalidInput
from dsr.domain.identity import (
    clean_text,
    normalize_customer_number,
    normalize_email,
    normalize_identity,
    normalize_phone,
)


@pytest.mark.parametrize(
    ("raw", "normal"),
    [
        ("max@example.org", "max@example.org"),
        ("  Max.Mustermann@Example.ORG ", "max.mustermann@example.org"),
        ("ｍａｘ@example.org", "max@example.org"),  # full-width letters (NFKC)
        ("jörg@müller.de", "jörg@müller.de"),
    ],
)
def test_equal_addresses_have_one_normal_form(raw: str, normal: str) -> None:
    assert normalize_email(raw) == normal


@pytest.mark.parametrize(
    "raw",
    ["", "max", "max@", "max@example", "a b@example.org", "max\u200b@example.org", "m\r\n@x.de"],
)
def test_invalid_or_disguised_addresses_are_refused(raw: str) -> None:
    with pytest.raises(ValueError):
        normalize_email(raw)


@pytest.mark.parametrize(
    ("raw", "normal"),
    [
        ("0201 1234567", "+492011234567"),
        ("+49 (201) 123-4567", "+492011234567"),
        ("0049 201 1234567", "+492011234567"),
        ("0171/2345678", "+491712345678"),
        ("+43 1 5131512", "+4315131512"),
    ],
)
def test_phone_numbers_become_e164(raw: str, normal: str) -> None:
    assert normalize_phone(raw) == normal


@pytest.mark.parametrize("raw", ["123", "not a number", "+49 0000"])
def test_invalid_phone_numbers_are_refused(raw: str) -> None:
    with pytest.raises(ValueError):
        normalize_phone(raw)


@pytest.mark.parametrize(
    ("raw", "normal"),
    [("k-100 42", "K10042"), ("K10042", "K10042"), ("k.100/42", "K10042"), ("１２３", "123")],
)
def test_customer_numbers_ignore_separators_and_case(raw: str, normal: str) -> None:
    assert normalize_customer_number(raw) == normal


@pytest.mark.parametrize("raw", ["", "--", "K1'; DROP TABLE x", "K1ö"])
def test_customer_numbers_with_other_characters_are_refused(raw: str) -> None:
    with pytest.raises(ValueError):
        normalize_customer_number(raw)


def test_text_loses_invisible_direction_marks_and_extra_space() -> None:
    assert clean_text("  Jörg \u202eMüller\u200b  ") == "Jörg Müller"
    assert clean_text("Zeile 1\r\n  Zeile 2\n\n", multiline=True) == "Zeile 1\nZeile 2"
    with pytest.raises(ValueError):
        clean_text("Max\r\nBcc: evil@example.org")
    with pytest.raises(ValueError):
        clean_text("nul\x00byte", multiline=True)


def test_every_invalid_field_is_reported_under_its_own_path() -> None:
    with pytest.raises(InvalidInput) as caught:
        normalize_identity(name="Max\nMuster", email="nope", phone="1", customer_number="?")
    assert caught.value.fields == {
        "subject.name": "invalid_name",
        "subject.email": "invalid_email",
        "subject.phone": "invalid_phone",
        "subject.customer_number": "invalid_customer_number",
    }


def test_missing_name_and_too_long_fields() -> None:
    with pytest.raises(InvalidInput) as caught:
        normalize_identity(name="   ", email="a" * 300 + "@example.org")
    assert caught.value.fields == {"subject.name": "required", "subject.email": "too_long"}


def test_a_full_identity_in_normal_form() -> None:
    identity = normalize_identity(
        name=" Erika  Mustermann ",
        email="Erika@Example.org",
        phone="0201 1234567",
        customer_number="k-100",
        postal_address="Musterstraße 1\r\n45127 Essen",
    )
    assert identity.name == "Erika Mustermann"
    assert identity.email == "erika@example.org"
    assert identity.phone == "+492011234567"
    assert identity.customer_number == "K100"
    assert identity.postal_address == "Musterstraße 1\n45127 Essen"


@pytest.mark.parametrize(
    "spelling",
    ["erika@example.org", "Erika@Example.ORG", " erika@example.org ", "ｅｒｉｋａ@example.org"],
)
def test_spellings_of_one_address_are_one_address(spelling: str) -> None:
    assert normalize_email(spelling) == "erika@example.org"


@pytest.mark.parametrize(
    "look_alike",
    ["еrika@example.org", "erika@exаmple.org", "erikа@example.org", "erika@example.οrg"],
)
def test_look_alike_addresses_mixing_scripts_are_refused(look_alike: str) -> None:
    with pytest.raises(ValueError, match="several scripts"):
        normalize_email(look_alike)


def test_addresses_in_one_other_script_are_accepted() -> None:
    assert normalize_email("ерика@пример.рф") == "ерика@пример.рф"
    assert normalize_email("Jörg.Müller@example.de") == "jörg.müller@example.de"
