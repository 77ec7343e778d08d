from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from dsr.domain.errors import ConfigError
from dsr.domain.vocabulary import Language
from dsr.i18n import pick_language
from dsr.settings import Mode, Settings, with_secrets


def test_demo_mode_generates_secrets_once_and_keeps_them_private(tmp_path: Path) -> None:
    first = with_secrets(Settings(var_dir=tmp_path))
    second = with_secrets(Settings(var_dir=tmp_path))
    assert first.encryption_keys and first.hmac_key and first.secret_key
    assert (first.encryption_keys, first.hmac_key) == (second.encryption_keys, second.hmac_key)
    stored = tmp_path / "secrets.json"
    assert json.loads(stored.read_text())["hmac_key"] == first.hmac_key
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600


def test_production_mode_refuses_to_start_without_secrets(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        with_secrets(Settings(env=Mode.PRODUCTION, var_dir=tmp_path, hmac_key="x" * 20))
    assert "DSR_ENCRYPTION_KEYS" in str(caught.value) and "DSR_SECRET_KEY" in str(caught.value)
    assert "DSR_HMAC_KEY" not in str(caught.value)
    assert not (tmp_path / "secrets.json").exists()


def test_settings_come_from_dsr_environment_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DSR_REGION", "DE-BY")
    monkeypatch.setenv("DSR_DATABASE_URL", "postgresql+asyncpg://db/dsr")
    settings = Settings()
    assert settings.region == "DE-BY"
    assert settings.database_url == "postgresql+asyncpg://db/dsr"


@pytest.mark.parametrize(
    ("header", "requested", "language"),
    [
        (None, None, Language.DE),
        ("en-GB,en;q=0.9", None, Language.EN),
        ("fr-FR, en;q=0.5, de;q=0.8", None, Language.DE),
        ("fr, es", None, Language.DE),
        ("de", "en", Language.EN),
        ("en;q=0", None, Language.DE),
        ("en;q=bogus", None, Language.DE),
        ("tr-TR,tr;q=0.9,de;q=0.8", None, Language.TR),
        ("fr, pl;q=0.7, en;q=0.5", None, Language.PL),
        ("ru-RU", None, Language.RU),
        ("uk, ru;q=0.9", None, Language.UK),
        ("ar-EG,ar;q=0.9", None, Language.AR),
        ("ar", "de", Language.DE),
        ("de", "ar", Language.AR),
        ("de", "xx", Language.DE),
    ],
)
def test_language_choice(header: str | None, requested: str | None, language: Language) -> None:
    assert pick_language(header, requested) is language


@pytest.mark.parametrize(
    ("header", "requested", "language"),
    [("tr-TR, en;q=0.5", None, Language.EN), ("ar", None, Language.DE), (None, "ru", Language.DE)],
)
def test_staff_pages_choose_between_german_and_english_only(
    header: str | None, requested: str | None, language: Language
) -> None:
    assert pick_language(header, requested, among=(Language.DE, Language.EN)) is language


def test_letters_are_german_or_english_and_arabic_is_written_right_to_left() -> None:
    assert [language.letters for language in Language] == [
        Language.DE,
        Language.EN,
        Language.EN,
        Language.EN,
        Language.EN,
        Language.EN,
        Language.EN,
    ]
    assert [language for language in Language if language.direction == "rtl"] == [Language.AR]
