"""Whose rows: an access or erasure request reaches all of one person's data and nobody
else's, on SQLite, PostgreSQL and MariaDB, in a shop with the traps of a real database."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy.engine import make_url

from dsr.config import DsrConfig
from dsr.connectors.base import Identifiers
from dsr.connectors.graph import MENTIONS
from dsr.connectors.sql import SqlConnector, split_key
from tests import graph_shop
from tests.graph_shop import TODAY, Person, Shop
from tests.stores import _mariadb_execute

HASH_KEY = b"graph-test-key"


def _backup_schema(url: str) -> str:
    name = make_url(url)
    if name.drivername.startswith("sqlite"):
        return "main"
    if name.drivername.startswith("mysql"):
        return f"{name.database}_bk"
    return "backup"


@pytest.fixture
async def graph_url(shop_url: str) -> AsyncIterator[str]:
    schema = _backup_schema(shop_url)
    if shop_url.startswith("mysql"):
        await _mariadb_execute(shop_url, f"CREATE DATABASE `{schema}`")
    yield shop_url
    if shop_url.startswith("mysql"):
        await _mariadb_execute(shop_url, f"DROP DATABASE `{schema}`")


async def _connector(url: str, shop: Shop) -> SqlConnector:
    schema = _backup_schema(url)
    await graph_shop.load(url, shop, schema)
    config = graph_shop.graph_config(url, schema)
    store = config.stores[0]
    assert store.type == "sql"
    return SqlConnector(store, HASH_KEY, identifier_types=config.identifiers)


async def _seeds(connector: SqlConnector, person: Person) -> Identifiers:
    """What the fan-out gives the store: the verified e-mail and what the search found."""
    verified = Identifiers.of(emails={person.email})
    found = await connector.find(verified)
    return verified.merge(found.keys)


def _package(export: dict[str, list[dict[str, Any]]]) -> tuple[str, str]:
    """The person's own rows and the third-party rows, each as one text to search."""
    own = {k: v for k, v in export.items() if split_key(k)[1] != MENTIONS}
    third = {k: v for k, v in export.items() if split_key(k)[1] == MENTIONS}
    return json.dumps(own, ensure_ascii=False), json.dumps(third, ensure_ascii=False)


def _others(shop: Shop, person: Person) -> list[Person]:
    return [p for p in shop.people if p is not person and p.kind != "stranger"]


async def test_each_person_gets_their_rows_and_nobody_elses(graph_url: str) -> None:
    shop = graph_shop.fixed_shop()
    connector = await _connector(graph_url, shop)
    try:
        anna, bernd, emil, mia, stranger = shop.people
        exports = {}
        for person in shop.people:
            exports[person.email] = (await connector.export(await _seeds(connector, person))).tables
    finally:
        await connector.close()

    def keys(person: Person, table: str) -> list[Any]:
        rows = exports[person.email].get(table, [])
        return sorted(
            (r.get("order_id"), r.get("line_no"))
            if "line_no" in r
            else r.get("id", r.get("at", r.get("seen_at")))
            for r in rows
        )

    # The employee: his own record and address; the tickets he handled only as third-party rows.
    assert keys(emil, "employees") == [1]
    assert keys(emil, "tickets:mentions") == [1000, 1001]
    assert keys(emil, "addresses:related") == [3]
    for table in ("customers", "orders", "cards", "order_items", "tickets", "logins", "visits"):
        assert not exports[emil.email].get(table), table
    own, third = _package(exports[emil.email])
    for customer in (anna, bernd):
        assert all(value not in own for value in customer.values), customer.name
        assert customer.email in third  # the ticket names the customer: for the DPO's review
    # His manager sees his row only as a row that names her.
    assert keys(mia, "employees") == [2] and keys(mia, "employees:mentions") == [1]

    # A customer: everything reachable from her record, through every declared path.
    assert keys(anna, "customers") == [1]
    assert keys(anna, "orders") == [10] and keys(anna, "cards") == [100]
    assert keys(anna, "order_items") == [(10, 1), (10, 2)]
    assert keys(anna, "tickets") == [1000] and len(exports[anna.email]["logins"]) == 2
    assert len(exports[anna.email]["visits"]) == 1
    assert keys(anna, "addresses:related") == [1, 2]  # home and billing; shipping
    assert keys(anna, "products:related") == [1, 2]
    assert len(exports[anna.email]["customer_view"]) == 1
    assert len(exports[anna.email][f"{_backup_schema(graph_url)}.backup_customers"]) == 1
    assert keys(anna, "customers:mentions") == [2]  # Bernd names her as his referrer
    own, third = _package(exports[anna.email])
    for other in _others(shop, anna):
        assert all(value not in own for value in other.values), other.name
    assert "internal_score" not in own + third  # undeclared columns are not exported
    # Bernd does not see Anna's card, order or name; the stranger sees nothing.
    assert "4111111111111111" not in json.dumps(exports[bernd.email])
    assert not any(exports[stranger.email].values())


async def test_erasure_changes_only_the_persons_rows_and_keeps_shared_ones(graph_url: str) -> None:
    shop = graph_shop.fixed_shop()
    connector = await _connector(graph_url, shop)
    schema = _backup_schema(graph_url)
    anna, _, emil, _, _ = shop.people
    try:
        before = await graph_shop.dump(graph_url, schema)
        result = await connector.erase(await _seeds(connector, emil), TODAY)
        after_emil = await graph_shop.dump(graph_url, schema)
        anna_result = await connector.erase(await _seeds(connector, anna), TODAY)
        after_anna = await graph_shop.dump(graph_url, schema)
    finally:
        await connector.close()

    # The employee: his record rewritten, his address emptied, and in the customers'
    # tickets only the column that names him — the customers' names and notes stay.
    emil_row = next(r for r in after_emil["employees"] if r[0] == "1")
    assert emil_row[1] == "ehemalig" and emil_row[2].startswith("hmac:")
    assert result.mentions == {"tickets": 2}
    tickets = {r[0]: r for r in after_emil["tickets"]}
    assert tickets["1000"][2] == "None" and tickets["1001"][2] == "None"
    assert [r[:2] + r[3:] for r in before["tickets"]] == [
        r[:2] + r[3:] for r in after_emil["tickets"]
    ]
    assert after_emil["customers"] == before["customers"]
    assert after_emil["cards"] == before["cards"] and after_emil["orders"] == before["orders"]
    assert [r for r in after_emil["employees"] if r[0] == "2"] == [
        r for r in before["employees"] if r[0] == "2"
    ]
    address = {r[0]: r for r in after_emil["addresses"]}
    assert address["3"][1:] == ("None", "***")

    # The customer: her rows are gone or emptied; Bernd's rows are byte for byte as they
    # were but for the column that named her; the address they share is kept and reported.
    assert [r for r in after_anna["orders"]] == [r for r in before["orders"] if r[1] == "2"]
    assert [r for r in after_anna["order_items"]] == [
        r for r in before["order_items"] if r[0] == "20"
    ]
    assert [r for r in after_anna["cards"]] == [r for r in before["cards"] if r[1] == "2"]
    assert [r for r in after_anna["logins"]] == [r for r in before["logins"] if r[0] == "2"]
    assert [r[0] for r in after_anna["visits"]] == ["bernd@example.org"]
    assert [r[0] for r in after_anna["tickets"]] == ["1001"]
    anna_row = next(r for r in after_anna["customers"] if r[0] == "1")
    assert anna_row[2] == "***" and anna_row[3].startswith("hmac:") and anna_row[4] == "None"
    bernd_before = next(r for r in before["customers"] if r[0] == "2")
    bernd_after = next(r for r in after_anna["customers"] if r[0] == "2")
    assert bernd_after[:8] + bernd_after[9:] == bernd_before[:8] + bernd_before[9:]
    assert bernd_after[8] == "None"  # referred_by named Anna
    address = {r[0]: r for r in after_anna["addresses"]}
    assert address["1"][1:] == ("None", "***")
    assert address["2"] == next(r for r in before["addresses"] if r[0] == "2")
    kept = {(k.table, k.reason): k.count for k in anna_result.kept}
    assert kept[("addresses", "shared")] == 1
    assert kept[("customer_view", "read_only")] == 1
    assert kept[(f"{schema}.backup_customers", "read_only")] == 1
    assert after_anna["products"] == before["products"]
    assert after_anna["backup_customers"] == before["backup_customers"]
    assert [r for r in after_anna["employees"]] == [r for r in after_emil["employees"]]


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_generated_shops_never_leak_or_touch_another_person(shop_url: str, seed: int) -> None:
    """Property: in a generated shop, no export holds another person's e-mail, phone, customer
    number or loyalty id outside third-party rows, and erasing one person leaves every other
    person's rows unchanged but for the columns that named the erased person."""
    shop = graph_shop.generated_shop(seed)
    schema = _backup_schema(shop_url)
    if shop_url.startswith("mysql"):
        await _mariadb_execute(shop_url, f"CREATE DATABASE `{schema}`")
    try:
        connector = await _connector(shop_url, shop)
        try:
            for person in shop.people:
                own, _ = _package((await connector.export(await _seeds(connector, person))).tables)
                for other in _others(shop, person):
                    leaked = [v for v in other.values if v in own or v.lower() in own.lower()]
                    assert not leaked, (person.email, other.email, leaked)
            victim = next(p for p in shop.people if p.kind == "customer")
            before = await graph_shop.dump(shop_url, schema)
            await connector.erase(await _seeds(connector, victim), TODAY)
            after = await graph_shop.dump(shop_url, schema)
        finally:
            await connector.close()
    finally:
        if shop_url.startswith("mysql"):
            await _mariadb_execute(shop_url, f"DROP DATABASE `{schema}`")
    key = str(victim.key)
    # Other customers' records: unchanged but for referred_by when it named the victim.
    for b, a in zip(
        [r for r in before["customers"] if r[0] != key],
        [r for r in after["customers"] if r[0] != key],
        strict=True,
    ):
        assert a[:8] + a[9:] == b[:8] + b[9:]
        assert a[8] == (b[8] if b[8] != key else "None")
    for table, column in (("orders", 1), ("cards", 1), ("logins", 0), ("tickets", 1)):
        assert [r for r in after[table] if r[column] != key] == [
            r for r in before[table] if r[column] != key
        ], table
        assert not [r for r in after[table] if r[column] == key], table
    assert after["employees"] == before["employees"] and after["products"] == before["products"]
    # Addresses still used by anyone else are untouched.
    used = (
        {r[7] for r in before["customers"] if r[0] != key}
        | {r[2] for r in before["orders"] if r[1] != key}
        | {r[4] for r in before["cards"] if r[1] != key}
        | {r[3] for r in before["employees"]}
    )
    for b, a in zip(before["addresses"], after["addresses"], strict=True):
        if b[0] in used:
            assert a == b


def test_a_reference_cycle_is_a_note_not_a_crash() -> None:
    config = graph_shop.graph_config("sqlite:///unused.db", None)
    store = config.stores[0]
    assert store.type == "sql"
    connector = SqlConnector(store, HASH_KEY)
    try:
        assert any("cycle" in note and "employees" in note for note in connector.graph.notes)
        assert connector.paths("order_items", "owns") == [
            "customers by identity (email, alt_email, phone, customer_no, loyalty) → "
            "orders.customer_id → customers.id (owns) → order_items.order_id → orders.id (owns)"
        ]
    finally:
        asyncio.run(connector.close())


@pytest.mark.parametrize("children", ["keep", "erase"])
async def test_held_rows_keep_the_rows_they_own_unless_told_otherwise(
    graph_url: str, children: str
) -> None:
    """An order under a ten-year hold keeps its lines (they are part of the document), unless
    the hold says ``children: erase``; either way each kept row says until when."""
    schema = _backup_schema(graph_url)
    shop = graph_shop.fixed_shop()
    await graph_shop.load(graph_url, shop, schema)
    raw = graph_shop.graph_raw(graph_url, schema)
    orders = next(t for t in raw["stores"][0]["tables"] if t["name"] == "orders")
    orders["hold"] = {
        "law": "§ 147 AO",
        "years": 10,
        "date_column": "ordered_on",
        "children": children,
    }
    store = DsrConfig.model_validate(raw).stores[0]
    assert store.type == "sql"
    connector = SqlConnector(store, HASH_KEY)
    anna = shop.people[0]
    try:
        result = await connector.erase(await _seeds(connector, anna), TODAY)
    finally:
        await connector.close()
    after = await graph_shop.dump(graph_url, schema)
    held = {(h.table, h.until.isoformat()): h.count for h in result.held}
    assert held[("orders", "2036-12-31")] == 1
    assert [r[0] for r in after["orders"]] == ["10", "20"]
    lines = [r[:2] for r in after["order_items"] if r[0] == "10"]
    if children == "keep":
        assert held[("order_items", "2036-12-31")] == 2 and lines == [("10", "1"), ("10", "2")]
    else:
        assert ("order_items", "2036-12-31") not in held and lines == []
    assert [r for r in after["order_items"] if r[0] == "20"]  # Bernd's line stays either way
