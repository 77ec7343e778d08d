"""``dsr config check`` catches what would break at the first request, and ``dsr plan``
shows what a request would reach without changing anything — against real stores."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from dsr.config import DsrConfig
from dsr.connectors.sql import SqlConnector
from dsr.settings import Settings
from tests import graph_shop
from tests.e2e.test_demo_cli import _dsr
from tests.integration.test_data_graph import _backup_schema, graph_url  # noqa: F401 - fixture

MISTAKES: list[tuple[str, str, Any, str]] = [
    # (table, column or "", change to its declaration, what the check says)
    (
        "customers",
        "name",
        {"erase": "null"},
        "customers.name is NOT NULL, so erase: null cannot work",
    ),
    (
        "visits",
        "email",
        {"category": "usage", "erase": "null"},
        "visits.email is part of the primary key and cannot be NULL",
    ),
    (
        "customers",
        "internal_score",
        {"erase": "hash"},
        "customers.internal_score holds integer values; erase: hash writes text",
    ),
    ("customers", "internal_score", {"erase": "mask"}, "erase: mask writes text"),
    (
        "cards",
        "cvc",
        {"category": "payment", "erase": {"rewrite": "gelöscht"}},
        "cards.cvc holds at most 4 characters; the rewrite text has 8",
    ),
    (
        "cards",
        "cvc",
        {"category": "payment", "erase": "hash"},
        "cards.cvc holds at most 4 characters; erase: hash needs 21",
    ),
    (
        "orders",
        "ordered_on",
        {"erase": "random"},
        "erase: random fills only text and integer columns",
    ),
    ("orders", "coupon", {"category": "contract"}, "column orders.coupon does not exist"),
]


def _with(raw: dict[str, Any], table: str, column: str, spec: Any) -> dict[str, Any]:
    changed = copy.deepcopy(raw)
    declared = next(t for t in changed["stores"][0]["tables"] if t["name"] == table)
    declared.setdefault("columns", {})[column] = spec
    if declared.get("erase") == "delete" and column != "coupon":
        declared["erase"] = "update"
    return changed


async def _problems(url: str, raw: dict[str, Any]) -> list[str]:
    store = DsrConfig.model_validate(raw).stores[0]
    assert store.type == "sql"
    connector = SqlConnector(store, b"k")
    try:
        return await connector.check()
    finally:
        await connector.close()


async def test_each_mistake_is_refused_with_a_sentence(graph_url: str) -> None:  # noqa: F811
    schema = _backup_schema(graph_url)
    await graph_shop.load(graph_url, graph_shop.fixed_shop(), schema)
    raw = graph_shop.graph_raw(graph_url, schema)
    assert await _problems(graph_url, raw) == []  # the shop as declared fits
    for table, column, spec, message in MISTAKES:
        problems = await _problems(graph_url, _with(raw, table, column, spec))
        assert any(message in p for p in problems), (message, problems)

    # A reference between columns of different types, and a view declared for writing.
    mismatched = copy.deepcopy(raw)
    orders = next(t for t in mismatched["stores"][0]["tables"] if t["name"] == "orders")
    orders["references"][0] = {"column": "customer_id", "to": "customers.customer_no"}
    problems = await _problems(graph_url, mismatched)
    assert any(
        "orders.customer_id holds integer values but customers.customer_no holds text" in p
        for p in problems
    ), problems
    writable_view = copy.deepcopy(raw)
    view = next(t for t in writable_view["stores"][0]["tables"] if t["name"] == "customer_view")
    view.update(read_only=False)
    problems = await _problems(graph_url, writable_view)
    assert any("customer_view is a view" in p for p in problems), problems
    # A column that names the person in other people's rows and cannot be emptied.
    mention = copy.deepcopy(raw)
    cards = next(t for t in mention["stores"][0]["tables"] if t["name"] == "cards")
    cards["references"][0]["role"] = "mentions"
    cards["erase"] = "update"
    cards["columns"]["cvc"] = {"category": "payment", "erase": "null"}
    problems = await _problems(graph_url, mention)
    assert any(
        "cards.customer_id names the person (mentions) and is NOT NULL" in p for p in problems
    )


@pytest.mark.parametrize("kind", ["access", "erasure"])
async def test_plan_shows_paths_and_changes_nothing(
    graph_url: str,  # noqa: F811
    tmp_path: Path,
    kind: str,
) -> None:
    schema = _backup_schema(graph_url)
    await graph_shop.load(graph_url, graph_shop.fixed_shop(), schema)
    (tmp_path / "dsr.yaml").write_text(
        yaml.safe_dump(graph_shop.graph_raw(graph_url, schema), allow_unicode=True)
    )
    before = await graph_shop.dump(graph_url, schema)
    result = _dsr(tmp_path, "plan", "--email", "Emil@Corp.Example", "--kind", kind)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "employees: 1 row — the person's rows" in out
    assert "tickets:mentions: 2 rows — other people's rows that name the person" in out
    assert (
        "via employees by identity (email) → tickets.employee_id → employees.id (mentions)" in out
    )
    assert "customers: 0 rows" in out and "Nothing was changed." in out
    if kind == "erasure":
        assert (
            "erase: only the columns that name the person (employee_id → null); 2 rows changed"
            in out
        )
        assert "employees: 1 row" in out and "name → 'ehemalig'" in out
    else:
        assert (
            "export: id [keys], email [contact], address_id [keys], "
            "manager_id [employment], name [identity]" in out
        )
    assert await graph_shop.dump(graph_url, schema) == before

    anna = _dsr(tmp_path, "plan", "--email", "anna@example.org", "--kind", "erasure")
    assert "addresses:related: 2 rows" in anna.stdout
    assert "kept: 1 (used by another person's row too)" in anna.stdout
    assert await graph_shop.dump(graph_url, schema) == before


def test_config_check_names_duplicate_keys_and_reference_cycles(tmp_path: Path) -> None:
    raw = graph_shop.graph_raw(f"sqlite:///{tmp_path / 'shop.db'}", None)
    text = yaml.safe_dump(raw, allow_unicode=True, sort_keys=False)
    (tmp_path / "dsr.yaml").write_text(
        text.replace("  type: sql\n", "  type: sql\n  type: redis\n", 1)
    )
    duplicated = _dsr(tmp_path, "config", "check")
    assert duplicated.returncode == 1
    assert "the key 'type' is given twice" in duplicated.stderr
    assert "Traceback" not in duplicated.stderr


async def test_config_check_says_where_references_form_a_cycle(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'shop.db'}"
    await graph_shop.load(url, graph_shop.fixed_shop(), "main")
    raw = graph_shop.graph_raw(url, "main")
    (tmp_path / "dsr.yaml").write_text(yaml.safe_dump(raw, allow_unicode=True))
    checked = _dsr(tmp_path, "config", "check")
    assert checked.returncode == 0, checked.stderr
    assert "note: store shop: references form a cycle employees → employees" in checked.stdout


async def test_dsr_serve_starts_with_broken_stores_and_the_admin_sees_why(
    settings: Settings, tmp_path: Path
) -> None:
    """A store whose database has no such table, and one whose URL names no driver here:
    the app starts, and /admin/config names both problems in words."""
    import pyotp
    from litestar.testing import AsyncTestClient

    from dsr.app import create_app
    from dsr.domain.vocabulary import Role
    from tests.staff import _sign_in, _staff

    raw = graph_shop.graph_raw(f"sqlite:///{tmp_path / 'empty.db'}", "main")
    raw["stores"].append(
        {
            "name": "legacy",
            "type": "sql",
            "url": "nosuchdriver://db.internal/crm",
            "tables": [{"name": "people", "identity": {"email": "email"}}],
        }
    )
    (tmp_path / "dsr.yaml").write_text(yaml.safe_dump(raw, allow_unicode=True))
    app = create_app(settings.model_copy(update={"config": tmp_path / "dsr.yaml"}))
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as client:
        assert (await client.get("/health")).status_code == 200
        password, secret = await _staff(settings, "root", Role.ADMIN)
        await _sign_in(client, "root", password, pyotp.TOTP(secret).now())
        page = await client.get("/admin/config")
    assert page.status_code == 200
    assert "store shop: table customers does not exist" in page.text
    assert "store legacy: the connection cannot be set up (NoSuchModuleError" in page.text
