"""Every text a user can see exists in every language they can choose — extracted like
`make messages`: everything in German (the default, also the staff's), and everything the
person sees (the files of babel-person.cfg) in each of the person's other languages."""

from __future__ import annotations

import configparser
import re
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

import dsr
from dsr.domain.vocabulary import LANGUAGES, Language
from dsr.i18n import LOCALE_DIR, MESSAGES, translations
from dsr.web.pages import STAFF_LANGUAGES

ROOT = Path(dsr.__file__).parent
REPOSITORY = ROOT.parents[1]
METHODS = [
    ("**.py", "python"),
    ("web/templates/**.html", "jinja2"),
    ("web/templates/**.txt", "jinja2"),
]
PLACEHOLDER = re.compile(r"%\([a-z_]+\)s")
TRANSLATED = [language for language in Language if language is not Language.EN]
PERSON_ONLY = [language for language in TRANSLATED if language not in STAFF_LANGUAGES]


def _messages(found: object) -> set[str]:
    return {m for _, _, m, _, _ in found if isinstance(m, str) and m}  # type: ignore[attr-defined]


def _extracted() -> set[str]:
    return _messages(extract_from_dir(ROOT, METHODS, keywords={"_": None, "N_": None}))


def _person_texts() -> set[str]:
    """What babel-person.cfg names: the public pages, the mails to the person, their texts."""
    mapping = configparser.ConfigParser()
    mapping.read(REPOSITORY / "babel-person.cfg")
    methods = [
        (section.split(":", 1)[1].strip(), section.split(":", 1)[0].strip())
        for section in mapping.sections()
    ]
    assert len(methods) > 20, "babel-person.cfg lists the person's files"
    return _messages(extract_from_dir(REPOSITORY, methods, keywords={"_": None, "N_": None}))


def _catalog(language: Language) -> Catalog:
    with (LOCALE_DIR / language.value / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return read_po(handle, locale=language.value)


def _translated(language: Language) -> dict[str, str]:
    return {
        str(m.id): str(m.string) for m in _catalog(language) if m.id and m.string and not m.fuzzy
    }


def test_every_language_has_its_record_and_catalog() -> None:
    assert set(LANGUAGES) == set(Language)
    for language in TRANSLATED:
        assert (LOCALE_DIR / language.value / "LC_MESSAGES" / "messages.po").is_file(), language


def test_every_visible_text_has_a_german_translation() -> None:
    missing = sorted(_extracted() - set(_translated(Language.DE)))
    assert missing == [], "run `make messages` and translate these"


@pytest.mark.parametrize("language", PERSON_ONLY, ids=str)
def test_everything_the_person_sees_is_translated(language: Language) -> None:
    person = _person_texts()
    assert "Make a request" in person and "Your confirmation code:" in person
    assert "Sign in" not in person  # staff pages are German and English only
    missing = sorted(person - set(_translated(language)))
    assert missing == [], f"translate these in locale/{language.value}/LC_MESSAGES/messages.po"


@pytest.mark.parametrize("language", TRANSLATED, ids=str)
def test_placeholders_survive_translation(language: Language) -> None:
    for english, text in _translated(language).items():
        assert sorted(PLACEHOLDER.findall(english)) == sorted(PLACEHOLDER.findall(text)), english


@pytest.mark.parametrize("language", [Language.DE, *PERSON_ONLY], ids=str)
def test_the_api_messages_are_translated(language: Language) -> None:
    catalog = translations(language)
    for code, english in MESSAGES.items():
        assert catalog.gettext(english) != english, code
