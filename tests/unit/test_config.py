"""dsr.yaml validation: wrong input is an error that names the file and the key."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from dsr.config import DsrConfig, Legal, load_config
from dsr.domain.errors import ConfigError

SHOP: dict[str, Any] = {
    "name": "shop",
    "type": "sql",
    "url": "sqlite:///shop.db",
    "system_of_record": True,
    "tables": [
        {
            "name": "customers",
            "identity": {"email": "email"},
            "columns": {"name": {"category": "identity", "erase": "mask"}},
        },
        {"name": "orders", "reference": {"column": "customer_id", "to": "customers.id"}},
    ],
}


def _write(tmp_path: Path, data: Any) -> Path:
    path = tmp_path / "dsr.yaml"
    path.write_text(yaml.safe_dump(data) if not isinstance(data, str) else data)
    return path


def test_the_example_configuration_is_valid() -> None:
    config = load_config(Path(__file__).parents[2] / "dsr.example.yaml", required=True)
    assert [s.name for s in config.stores] == ["shop", "sessions", "newsletter", "archive"]
    assert config.system_of_record is not None and config.system_of_record.name == "shop"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"stores": [{**SHOP, "colour": "blue"}]},
            "stores.0.sql.colour: Extra inputs are not permitted",
        ),
        ({"stores": [{**SHOP, "type": "ftp"}]}, "stores.0: Input tag 'ftp'"),
        (
            {
                "stores": [
                    {
                        **SHOP,
                        "tables": [{"name": "users; DROP TABLE x", "identity": {"email": "e"}}],
                    }
                ]
            },
            "stores.0.sql.tables.0.name",
        ),
        (
            {
                "stores": [
                    {
                        **SHOP,
                        "tables": [{"name": "t", "identity": {"email": "e"}, "erase": "shred"}],
                    }
                ]
            },
            "erase: Input should be 'update', 'delete' or 'keep'",
        ),
        (
            {
                "stores": [
                    {
                        **SHOP,
                        "tables": [
                            {"name": "orders", "reference": {"column": "c", "to": "nowhere.id"}}
                        ],
                    }
                ]
            },
            "unknown table 'nowhere'",
        ),
        (
            {"stores": [{**SHOP, "tables": [{"name": "lonely"}]}]},
            "needs identity columns, a reference, or a reference to it",
        ),
        (
            {"stores": [{**SHOP, "system_of_record": False}]},
            "exactly one sql store needs system_of_record",
        ),
        ({"stores": [SHOP, {**SHOP}]}, "store names must be unique"),
        (
            {"stores": [SHOP, {"name": "hook", "type": "http", "url": "https://x"}]},
            "give exactly one of secret_env and secret_file",
        ),
        (
            {"stores": [SHOP, {"name": "Bad Name", "type": "manual", "instructions": "x"}]},
            "stores.1.manual.name",
        ),
        ({"policies": {"reminders_days": "soon"}}, "policies.reminders_days"),
    ],
)
def test_errors_name_the_key(tmp_path: Path, change: dict[str, Any], message: str) -> None:
    path = _write(tmp_path, {"stores": [SHOP], **change})
    with pytest.raises(ConfigError) as caught:
        load_config(path, required=True)
    assert str(path) in str(caught.value) and message in str(caught.value)


def test_broken_yaml_and_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(_write(tmp_path, "stores: [unclosed"), required=True)
    with pytest.raises(ConfigError, match="file not found"):
        load_config(tmp_path / "none.yaml", required=True)
    assert load_config(tmp_path / "none.yaml", required=False) == DsrConfig()


def test_the_letterhead_keys_of_the_example() -> None:
    config = load_config(Path(__file__).parents[2] / "dsr.example.yaml", required=True)
    controller = config.controller
    assert controller.phone and controller.legal is not None
    assert controller.legal.register_court == "Amtsgericht Essen"
    assert controller.legal.managing_directors == ["Maria Beispiel", "Jonas Muster"]
    assert controller.dpo.title == {"de": "Datenschutzbeauftragte", "en": "Data protection officer"}
    assert controller.supervisory_authority.postal_box == ["Postfach 20 04 44", "40102 Düsseldorf"]
    assert controller.has_legal_form


def test_managing_directors_cannot_be_left_out() -> None:
    with pytest.raises(ValidationError):
        Legal(
            seat="Essen",
            register_court="Amtsgericht Essen",
            register_number="HRB 1",
            managing_directors=[],
        )
