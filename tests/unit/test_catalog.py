"""Every text a user can see exists in German (the default) — extracted like `make messages`."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

import dsr
from dsr.domain.vocabulary import Language
from dsr.i18n import MESSAGES, translations

ROOT = Path(dsr.__file__).parent
METHODS = [
    ("**.py", "python"),
    ("web/templates/**.html", "jinja2"),
    ("web/templates/**.txt", "jinja2"),
]


def _extracted() -> set[str]:
    found = extract_from_dir(ROOT, METHODS, keywords={"_": None, "N_": None})
    return {message for _, _, message, _, _ in found if isinstance(message, str) and message}


def test_every_visible_text_has_a_german_translation() -> None:
    with (ROOT / "locale" / "de" / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalog = read_po(handle)
    german = {m.id: m.string for m in catalog if m.id and m.string and not m.fuzzy}
    missing = sorted(_extracted() - set(german))
    assert missing == [], "run `make messages` and translate these"


def test_placeholders_survive_translation() -> None:
    with (ROOT / "locale" / "de" / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalog = read_po(handle)
    for message in catalog:
        if message.id and "%(" in str(message.id):
            for name in ("%(reference)s", "%(kind)s"):
                assert (name in str(message.id)) == (name in str(message.string)), message.id


def test_the_api_messages_are_translated() -> None:
    german = translations(Language.DE)
    for code, english in MESSAGES.items():
        assert german.gettext(english) != english, code
