"""What a log line says about an error: its type and the statement's name, never values."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import IntegrityError

from dsr.logging import error_fields, statement_name


@pytest.mark.parametrize(
    ("sql", "name"),
    [
        ("UPDATE event SET seq=?, hash=? WHERE event.id = ?", "UPDATE event"),
        ("  update\n  staff SET failed_logins = $1", "UPDATE staff"),
        ("INSERT INTO outbox (recipient_enc) VALUES (?)", "INSERT outbox"),
        ('SELECT a, b FROM "request" WHERE email_index = $1', "SELECT request"),
        ("DELETE FROM download WHERE expires_at < ?", "DELETE download"),
        ("WITH number AS (INSERT INTO reference_counter ...) SELECT 1", "WITH reference_counter"),
        ("SELECT pg_advisory_xact_lock($1)", "SELECT"),
        ("", "unknown"),
    ],
)
def test_a_statement_is_named_by_its_verb_and_first_table(sql: str, name: str) -> None:
    assert statement_name(sql) == name


def test_a_database_error_keeps_its_type_and_statement_name_only() -> None:
    error = IntegrityError(
        "INSERT INTO subject (email_enc) VALUES (?)", ("erika@example.org",), ValueError("dup")
    )
    fields = error_fields(error)
    assert fields == {
        "error_type": "IntegrityError",
        "cause": "ValueError",
        "statement": "INSERT subject",
    }
    assert "erika" not in str(fields)
    assert error_fields(KeyError("erika@example.org")) == {"error_type": "KeyError"}
