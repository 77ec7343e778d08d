"""What staff pages say: the words beside a deadline light, and a manual store's
instructions for the action at hand (never the erasure text on an access request)."""

from __future__ import annotations

from datetime import date

import pytest
from pydantic import ValidationError

from dsr.config import ManualStore
from dsr.domain.vocabulary import Language
from dsr.web.staff_labels import deadline_text, name

TODAY = date(2026, 12, 1)


@pytest.mark.parametrize(
    ("due", "german", "english"),
    [
        (date(2026, 12, 3), "noch 2 Tage", "2 days left"),
        (date(2026, 12, 2), "noch 1 Tag", "1 day left"),
        (date(2026, 12, 1), "heute fällig", "due today"),
        (date(2026, 11, 30), "1 Tag überfällig", "1 day overdue"),
        (date(2026, 11, 28), "3 Tage überfällig", "3 days overdue"),
        (date(2027, 1, 4), "noch 34 Tage", "34 days left"),
    ],
)
def test_every_deadline_light_has_words(due: date, german: str, english: str) -> None:
    assert deadline_text(due, TODAY, Language.DE) == german
    assert deadline_text(due, TODAY, Language.EN) == english


@pytest.mark.parametrize(
    ("table", "code", "german"),
    [
        ("channel", "web", "Webformular"),
        ("level", "email_matched", "E-Mail bestätigt und im führenden System gefunden"),
        ("status", "completed", "Abgeschlossen"),
        ("status", "awaiting_verification", "Wartet auf Bestätigung durch die Person"),
        ("role", "agent", "Call-Center-Mitarbeiter"),
        ("task_status", "waiting", "wartet auf eine Person oder einen Auftragsverarbeiter"),
        ("channel", "pigeon", "pigeon"),  # an unknown code stays readable
    ],
)
def test_codes_have_staff_words(table: str, code: str, german: str) -> None:
    assert name(table, code, Language.DE) == german


def _store(instructions: object) -> ManualStore:
    return ManualStore.model_validate(
        {"name": "archive", "type": "manual", "instructions": instructions}
    )


def test_one_text_serves_every_action() -> None:
    store = _store("Papierakte prüfen.")
    assert {store.instructions_for(a) for a in ("export", "erase", "rectify")} == {
        "Papierakte prüfen."
    }


def test_instructions_per_action_never_show_another_actions_text() -> None:
    store = _store({"access": "Kopien beilegen.", "erasure": "Akte vernichten."})
    assert store.instructions_for("export") == "Kopien beilegen."
    assert store.instructions_for("erase") == "Akte vernichten."
    assert store.instructions_for("rectify") == ""  # none given: nothing, not the erasure text


def test_unknown_instruction_keys_are_errors_that_name_the_key() -> None:
    with pytest.raises(ValidationError, match="destroy"):
        _store({"access": "x", "destroy": "y"})
