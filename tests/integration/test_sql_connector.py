"""The sql connector against the demo shop in SQLite, PostgreSQL and MariaDB."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from dsr import demo
from dsr.connectors.base import Change, Identifiers
from dsr.connectors.sql import SqlConnector
from dsr.db import async_url
from tests.stores import TODAY, shop_config

CUSTOMER_3 = Identifiers.of(emails=frozenset({"rudolph.hellwig.3@example.org"}))


async def _shop(url: str, customers: int = 6) -> SqlConnector:
    shown = await demo.load_shop(url, customers, TODAY, progress=False)
    assert len(shown) == 3
    config = shop_config(url)
    assert config.system_of_record is not None
    return SqlConnector(config.system_of_record, b"test-hash-key")


async def _dump(url: str) -> dict[str, list[tuple[Any, ...]]]:
    engine = create_async_engine(async_url(url))
    try:
        async with engine.connect() as connection:
            return {
                table.name: [
                    tuple(r)
                    for r in (
                        await connection.execute(sa.select(table).order_by(*table.primary_key))
                    ).all()
                ]
                for table in demo.metadata.sorted_tables
            }
    finally:
        await engine.dispose()


def _who(url: str) -> Identifiers:
    return CUSTOMER_3


async def _email_of(url: str, customer_id: int) -> str:
    engine = create_async_engine(async_url(url))
    try:
        async with engine.connect() as connection:
            return str(
                (
                    await connection.execute(
                        sa.select(demo.customers.c.email).where(demo.customers.c.id == customer_id)
                    )
                ).scalar_one()
            )
    finally:
        await engine.dispose()


async def test_find_follows_references_transitively(shop_url: str) -> None:
    connector = await _shop(shop_url)
    try:
        who = Identifiers.of(emails=frozenset({(await _email_of(shop_url, 3)).upper()}))  # any case
        found = await connector.find(who)
    finally:
        await connector.close()
    assert found.counts == {
        "customers": 1,
        "orders": 10,
        "order_items": 10,
        "invoices": 10,
        "tickets": 1,
    }
    assert {"contact", "contract", "payment", "communication"} <= set(found.categories)
    assert found.keys.customer_numbers == {"K100003"}
    assert found.keys.record_ids == {"customers:3"}


async def test_export_returns_every_row_and_column_of_the_person(shop_url: str) -> None:
    connector = await _shop(shop_url)
    email = await _email_of(shop_url, 2)
    try:
        exported = await connector.export(Identifiers.of(emails=frozenset({email})))
    finally:
        await connector.close()
    assert exported.counts == {
        "customers": 1,
        "orders": 10,
        "order_items": 10,
        "invoices": 10,
        "tickets": 0,
    }
    customer = exported.tables["customers"][0]
    assert customer["email"] == email and customer["customer_no"] == "K100002"
    assert set(customer) >= {"phone", "street", "birth_date", "phone_pin"}  # undeclared columns too
    assert all(order["customer_id"] == 2 for order in exported.tables["orders"])
    assert exported.categories["invoices"]["total"] == "payment"


async def test_rows_found_by_the_search_are_exported_by_their_keys_not_rematched(
    shop_url: str,
) -> None:
    """Customer 4 shares customer 2's landline. The search for customer 2's confirmed e-mail
    fixes customer 2's row; the export that follows, seeded with everything the search found
    (the phone number included), must not pull customer 4's account in through the phone."""
    connector = await _shop(shop_url)
    engine = create_async_engine(async_url(shop_url))
    try:
        async with engine.begin() as connection:
            phone = (
                await connection.execute(
                    sa.select(demo.customers.c.phone).where(demo.customers.c.id == 2)
                )
            ).scalar_one()
            await connection.execute(
                sa.update(demo.customers).where(demo.customers.c.id == 4).values(phone=phone)
            )
        email = await _email_of(shop_url, 2)
        found = await connector.find(Identifiers.of(emails=frozenset({email})))
        assert phone in found.keys.phones and found.keys.record_ids == {"customers:2"}
        seeded = Identifiers.of(emails=frozenset({email})).merge(found.keys)
        exported = await connector.export(seeded)
        # A store without the search's keys still matches by the identifiers it is given.
        by_phone = await connector.export(Identifiers.of(phones=frozenset({phone})))
    finally:
        await connector.close()
        await engine.dispose()
    assert [c["id"] for c in exported.tables["customers"]] == [2]
    assert all(order["customer_id"] == 2 for order in exported.tables["orders"])
    assert sorted(c["id"] for c in by_phone.tables["customers"]) == [2, 4]


async def test_erasure_applies_strategies_and_holds_and_twice_is_once(shop_url: str) -> None:
    connector = await _shop(shop_url)
    email = await _email_of(shop_url, 3)
    who = Identifiers.of(emails=frozenset({email}))
    before = await _dump(shop_url)
    try:
        result = await connector.erase(who, TODAY)
        after_once = await _dump(shop_url)
        again = await connector.erase(who, TODAY)
        after_twice = await _dump(shop_url)
    finally:
        await connector.close()

    customer = next(r for r in after_once["customers"] if r[0] == 3)
    assert customer[1] == "K100003"  # kept: the column has no strategy
    assert customer[2] == "***" and customer[3].startswith("hmac:") and customer[4] is None
    assert not [r for r in after_once["orders"] if r[1] == 3]
    assert not [r for r in after_once["tickets"] if r[1] == 3]
    invoices = [r for r in after_once["invoices"] if r[1] == 3]
    assert invoices and all(bool(r[-1]) for r in invoices)  # restricted
    assert all(
        r[2].year >= 2018 if hasattr(r[2], "year") else str(r[2]) >= "2018" for r in invoices
    )

    # Each kept invoice is reported with the end of its own period (8 years after its year).
    def year(value: object) -> int:
        return value.year if hasattr(value, "year") else int(str(value)[:4])  # type: ignore[attr-defined]

    expected: dict[str, int] = {}
    for r in invoices:
        until = f"{year(r[2]) + 8}-12-31"
        expected[until] = expected.get(until, 0) + 1
    assert {h.until.isoformat(): h.count for h in result.held} == expected
    assert {h.table for h in result.held} == {"invoices"}
    assert [h.until for h in result.held] == sorted(h.until for h in result.held)
    assert result.erased["orders"] == 10 and result.erased["invoices"] == 10 - len(invoices)
    # Other customers are untouched, and a second run changes nothing.
    for table in ("customers", "orders", "invoices"):
        assert [r for r in before[table] if r[1 if table != "customers" else 0] not in (3,)] == [
            r for r in after_once[table] if r[1 if table != "customers" else 0] not in (3,)
        ]
    assert after_twice == after_once
    assert sum(again.erased.values()) == 0


async def test_rectification_changes_the_mapped_columns_only(shop_url: str) -> None:
    connector = await _shop(shop_url)
    who = Identifiers.of(emails=frozenset({await _email_of(shop_url, 1)}))
    try:
        changed = await connector.rectify(
            who, [Change("name", "Sören Neumann"), Change("other", "x")]
        )
        exported = await connector.export(who)
    finally:
        await connector.close()
    assert changed.changed == {"customers": 1}
    assert exported.tables["customers"][0]["name"] == "Sören Neumann"


@pytest.mark.parametrize(
    "hostile",
    [
        "' OR '1'='1",
        "x@example.org'); DROP TABLE customers; --",
        "%",
        "_",
        "\\",
        "\x00",
    ],
)
async def test_identifiers_full_of_sql_meta_characters_change_nothing(
    shop_url: str, hostile: str
) -> None:
    connector = await _shop(shop_url, customers=3)
    before = await _dump(shop_url)
    who = Identifiers.of(
        emails=frozenset({hostile}),
        phones=frozenset({hostile}),
        customer_numbers=frozenset({hostile}),
    )
    try:
        found = await connector.find(who)
        erased = await connector.erase(who, TODAY)
    except Exception as exc:  # noqa: BLE001 - a driver refusing a NUL byte is fine, a change is not
        assert "\x00" in hostile, exc
    else:
        assert not found.found and sum(erased.erased.values()) == 0
    finally:
        await connector.close()
    assert await _dump(shop_url) == before


async def test_check_reports_declared_tables_and_columns_that_do_not_exist(shop_url: str) -> None:
    await demo.load_shop(shop_url, 1, TODAY, progress=False)
    raw = demo.demo_config(shop_url, __import__("pathlib").Path("/nonexistent"), None, "http://x")
    sql = raw["stores"][0]
    sql["tables"][0]["columns"]["shoe_size"] = {"category": "other"}
    sql["tables"].append(
        {"name": "loyalty", "reference": {"column": "customer_id", "to": "customers.id"}}
    )
    from dsr.config import DsrConfig

    config = DsrConfig.model_validate({**raw, "stores": [sql]})
    assert config.system_of_record is not None
    connector = SqlConnector(config.system_of_record, b"k")
    try:
        problems = await connector.check()
    finally:
        await connector.close()
    assert problems == [
        "store shop: column customers.shoe_size does not exist",
        "store shop: table loyalty does not exist",
    ]
