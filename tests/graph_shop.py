"""A shop with the traps of a real database, for the fan-out's "whose rows" tests.

An employee handled customers' tickets (the tickets carry the customers' e-mail addresses);
an address is one customer's home and another customer's shipping address; addresses are
reached from four columns; customers have two e-mail columns; order lines have a composite
key; logins have no key at all; visits have the e-mail address inside their primary key; a
view and a backup copy in another schema hold customers again; employees name their
manager and customers their referrer (reference cycles).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from dsr.config import DsrConfig
from dsr.db import async_url

TODAY = date(2026, 11, 28)


def metadata(backup_schema: str | None) -> tuple[sa.MetaData, dict[str, sa.Table]]:
    md = sa.MetaData()
    t: dict[str, sa.Table] = {}
    t["addresses"] = sa.Table(
        "addresses",
        md,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("street", sa.String(200)),
        sa.Column("city", sa.String(100), nullable=False),
    )
    t["customers"] = sa.Table(
        "customers",
        md,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("customer_no", sa.String(16), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("alt_email", sa.String(254)),
        sa.Column("phone", sa.String(40)),
        sa.Column("loyalty", sa.String(20)),
        sa.Column("home_address_id", sa.Integer),
        sa.Column("referred_by", sa.Integer),
        sa.Column("internal_score", sa.Integer),  # not declared: never exported
    )
    t["employees"] = sa.Table(
        "employees",
        md,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("address_id", sa.Integer),
        sa.Column("manager_id", sa.Integer),
    )
    t["products"] = sa.Table(
        "products",
        md,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("title", sa.String(100), nullable=False),
    )
    t["orders"] = sa.Table(
        "orders",
        md,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("customer_id", sa.Integer, nullable=False),
        sa.Column("shipping_address_id", sa.Integer),
        sa.Column("ordered_on", sa.Date, nullable=False),
        sa.Column("total", sa.Numeric(10, 2), nullable=False),
    )
    t["order_items"] = sa.Table(
        "order_items",
        md,
        sa.Column("order_id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("line_no", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("product_id", sa.Integer, nullable=False),
        sa.Column("quantity", sa.Integer, nullable=False),
    )
    t["cards"] = sa.Table(
        "cards",
        md,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("customer_id", sa.Integer, nullable=False),
        sa.Column("number", sa.String(19), nullable=False),
        sa.Column("cvc", sa.String(4)),
        sa.Column("billing_address_id", sa.Integer),
    )
    t["logins"] = sa.Table(  # no primary key
        "logins",
        md,
        sa.Column("customer_id", sa.Integer, nullable=False),
        sa.Column("at", sa.DateTime, nullable=False),
        sa.Column("ip", sa.String(45)),
    )
    t["visits"] = sa.Table(  # the e-mail address is part of the key
        "visits",
        md,
        sa.Column("email", sa.String(254), primary_key=True),
        sa.Column("seen_at", sa.DateTime, primary_key=True),
        sa.Column("page", sa.String(100)),
    )
    t["tickets"] = sa.Table(
        "tickets",
        md,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("customer_id", sa.Integer),
        sa.Column("employee_id", sa.Integer),
        sa.Column("email", sa.String(254)),  # the customer's address, as typed in the ticket
        sa.Column("subject", sa.String(200), nullable=False),
        sa.Column("notes", sa.Text),
    )
    t["backup_customers"] = sa.Table(
        "backup_customers",
        md,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("name", sa.String(200)),
        sa.Column("email", sa.String(254)),
        schema=backup_schema,
    )
    return md, t


def graph_config(url: str, backup_schema: str | None) -> DsrConfig:
    return DsrConfig.model_validate(graph_raw(url, backup_schema))


def graph_raw(url: str, backup_schema: str | None) -> dict[str, Any]:
    """The shop's ``dsr.yaml``, as the data it is read into."""
    backup = f"{backup_schema}.backup_customers" if backup_schema else "backup_customers"
    return {
        "identifiers": [{"name": "loyalty_id", "label": "Kundenkarte", "normalize": "upper"}],
        "stores": [
            {
                "name": "shop",
                "type": "sql",
                "url": url,
                "system_of_record": True,
                "tables": [
                    {
                        "name": "customers",
                        "identity": {
                            "email": ["email", "alt_email"],
                            "phone": "phone",
                            "customer_number": "customer_no",
                            "loyalty_id": "loyalty",
                        },
                        "references": [
                            {
                                "column": "home_address_id",
                                "to": "addresses.id",
                                "role": "related",
                            },
                            {"column": "referred_by", "to": "customers.id", "role": "mentions"},
                        ],
                        "columns": {
                            "name": {"category": "identity", "erase": "mask"},
                            "email": {"category": "contact", "erase": "hash"},
                            "alt_email": {"category": "contact", "erase": "null"},
                            "phone": {"category": "contact", "erase": "null"},
                            "loyalty": {"category": "contract", "erase": "null"},
                            "referred_by": {"category": "contract", "erase": "null"},
                        },
                        "erase": "update",
                    },
                    {
                        "name": "employees",
                        "identity": {"email": "email"},
                        "references": [
                            {"column": "address_id", "to": "addresses.id", "role": "related"},
                            {"column": "manager_id", "to": "employees.id", "role": "mentions"},
                        ],
                        "columns": {
                            "name": {"category": "identity", "erase": {"rewrite": "ehemalig"}},
                            "email": {"category": "contact", "erase": "hash"},
                            "manager_id": {"category": "employment", "erase": "null"},
                        },
                        "erase": "update",
                    },
                    {
                        "name": "addresses",
                        "references": [],
                        "identity": {},
                        "columns": {
                            "street": {"category": "contact", "erase": "null"},
                            "city": {"category": "contact", "erase": "mask"},
                        },
                        "erase": "update",
                    },
                    {
                        "name": "products",
                        "identity": {},
                        "references": [],
                        "columns": {"title": {"category": "contract"}},
                        "erase": "keep",
                    },
                    {
                        "name": "orders",
                        "references": [
                            {"column": "customer_id", "to": "customers.id"},
                            {
                                "column": "shipping_address_id",
                                "to": "addresses.id",
                                "role": "related",
                            },
                        ],
                        "columns": {
                            "ordered_on": {"category": "contract"},
                            "total": {"category": "payment"},
                        },
                        "erase": "delete",
                    },
                    {
                        "name": "order_items",
                        "primary_key": ["order_id", "line_no"],
                        "references": [
                            {"column": "order_id", "to": "orders.id"},
                            {"column": "product_id", "to": "products.id", "role": "related"},
                        ],
                        "columns": {"quantity": {"category": "contract"}},
                        "erase": "delete",
                    },
                    {
                        "name": "cards",
                        "references": [
                            {"column": "customer_id", "to": "customers.id"},
                            {
                                "column": "billing_address_id",
                                "to": "addresses.id",
                                "role": "related",
                            },
                        ],
                        "columns": {
                            "number": {"category": "payment"},
                            "cvc": {"category": "payment"},
                        },
                        "erase": "delete",
                    },
                    {
                        "name": "logins",
                        "primary_key": None,
                        "reference": {"column": "customer_id", "to": "customers.id"},
                        "columns": {"at": {"category": "usage"}, "ip": {"category": "usage"}},
                        "erase": "delete",
                    },
                    {
                        "name": "visits",
                        "primary_key": ["email", "seen_at"],
                        "identity": {"email": "email"},
                        "columns": {"page": {"category": "usage"}},
                        "erase": "delete",
                    },
                    {
                        "name": "tickets",
                        "identity": {"email": "email"},
                        "references": [
                            {"column": "customer_id", "to": "customers.id"},
                            {"column": "employee_id", "to": "employees.id", "role": "mentions"},
                        ],
                        "columns": {
                            "subject": {"category": "communication"},
                            "notes": {"category": "communication"},
                            "employee_id": {"category": "employment", "erase": "null"},
                        },
                        "erase": "delete",
                    },
                    {
                        "name": "customer_view",
                        "primary_key": None,
                        "identity": {"email": "email"},
                        "columns": {"name": {"category": "identity"}},
                        "read_only": True,
                    },
                    {
                        "name": backup,
                        "identity": {"email": "email"},
                        "columns": {"name": {"category": "identity"}},
                        "read_only": True,
                    },
                ],
            }
        ],
    }


@dataclass
class Person:
    key: int
    email: str
    name: str
    kind: str  # customer | employee | stranger
    values: set[str] = field(default_factory=set)  # every identity value, to find in packages


@dataclass
class Shop:
    people: list[Person]
    rows: dict[str, list[dict[str, Any]]]


def fixed_shop() -> Shop:
    """Anna and Bernd are customers, Emil handled both their tickets, Mia is his manager."""
    at = datetime(2026, 10, 1, 9, 0)
    rows: dict[str, list[dict[str, Any]]] = {
        "addresses": [
            {"id": 1, "street": "Annastraße 1", "city": "Essen"},
            {"id": 2, "street": "Berndweg 2", "city": "Bochum"},
            {"id": 3, "street": "Emilplatz 3", "city": "Dortmund"},
        ],
        "customers": [
            _customer(1, "Anna Alt", "anna@example.org", "Anna.Zweit@Example.org", 1, None),
            _customer(2, "Bernd Berg", "bernd@example.org", None, 2, 1),
        ],
        "employees": [
            {
                "id": 1,
                "name": "Emil Eck",
                "email": "emil@corp.example",
                "address_id": 3,
                "manager_id": 2,
            },
            {
                "id": 2,
                "name": "Mia Meier",
                "email": "mia@corp.example",
                "address_id": None,
                "manager_id": None,
            },
        ],
        "products": [{"id": 1, "title": "Headset"}, {"id": 2, "title": "Kabel"}],
        "orders": [
            {
                "id": 10,
                "customer_id": 1,
                "shipping_address_id": 2,
                "ordered_on": date(2026, 1, 5),
                "total": 10,
            },
            {
                "id": 20,
                "customer_id": 2,
                "shipping_address_id": 2,
                "ordered_on": date(2026, 2, 5),
                "total": 20,
            },
        ],
        "order_items": [
            {"order_id": 10, "line_no": 1, "product_id": 1, "quantity": 1},
            {"order_id": 10, "line_no": 2, "product_id": 2, "quantity": 2},
            {"order_id": 20, "line_no": 1, "product_id": 1, "quantity": 3},
        ],
        "cards": [
            {
                "id": 100,
                "customer_id": 1,
                "number": "4111111111111111",
                "cvc": "123",
                "billing_address_id": 1,
            },
            {
                "id": 200,
                "customer_id": 2,
                "number": "5500000000000004",
                "cvc": "456",
                "billing_address_id": 2,
            },
        ],
        "logins": [
            {"customer_id": 1, "at": at, "ip": "203.0.113.1"},
            {"customer_id": 1, "at": at + timedelta(days=1), "ip": "203.0.113.1"},
            {"customer_id": 2, "at": at, "ip": "203.0.113.2"},
        ],
        "visits": [
            {"email": "anna@example.org", "seen_at": at, "page": "/tarife"},
            {"email": "bernd@example.org", "seen_at": at, "page": "/hilfe"},
        ],
        "tickets": [
            {
                "id": 1000,
                "customer_id": 1,
                "employee_id": 1,
                "email": "anna@example.org",
                "subject": "Rechnung",
                "notes": "Anna Alt rief an",
            },
            {
                "id": 1001,
                "customer_id": 2,
                "employee_id": 1,
                "email": "bernd@example.org",
                "subject": "Lieferung",
                "notes": "Bernd Berg rief an",
            },
        ],
        "backup_customers": [
            {"id": 1, "name": "Anna Alt", "email": "anna@example.org"},
            {"id": 2, "name": "Bernd Berg", "email": "bernd@example.org"},
        ],
    }
    people = [
        Person(
            1,
            "anna@example.org",
            "Anna Alt",
            "customer",
            {"anna@example.org", "Anna.Zweit@Example.org", "K1001", "+49201100001", "L-1"},
        ),
        Person(
            2,
            "bernd@example.org",
            "Bernd Berg",
            "customer",
            {"bernd@example.org", "K1002", "+49201100002", "L-2"},
        ),
        Person(1, "emil@corp.example", "Emil Eck", "employee", {"emil@corp.example"}),
        Person(2, "mia@corp.example", "Mia Meier", "employee", {"mia@corp.example"}),
        Person(0, "fremd@example.org", "Fremd", "stranger", set()),
    ]
    return Shop(people, rows)


def generated_shop(seed: int, customers: int = 8, employees: int = 3) -> Shop:
    """Customers with orders, cards, tickets handled by random employees, and addresses
    shared at random between homes, shipping and billing."""
    rng = random.Random(seed)  # noqa: S311 - test data
    at = datetime(2026, 10, 1, 9, 0)
    addresses = [
        {"id": i, "street": f"Straße {i}", "city": f"Stadt{i}"}
        for i in range(1, customers + employees + 1)
    ]
    rows: dict[str, list[dict[str, Any]]] = {
        k: []
        for k in (
            "customers",
            "employees",
            "orders",
            "order_items",
            "cards",
            "logins",
            "visits",
            "tickets",
            "backup_customers",
        )
    }
    rows["addresses"] = addresses
    rows["products"] = [{"id": i, "title": f"Produkt {i}"} for i in range(1, 5)]
    people: list[Person] = []
    for e in range(1, employees + 1):
        email = f"mitarbeiter{e}.{seed}@corp.example"
        rows["employees"].append(
            {
                "id": e,
                "name": f"Mitarbeiter {e}",
                "email": email,
                "address_id": rng.randint(1, len(addresses)),
                "manager_id": rng.choice([None, *range(1, employees + 1)]),
            }
        )
        people.append(Person(e, email, f"Mitarbeiter {e}", "employee", {email}))
    ticket = 1
    for c in range(1, customers + 1):
        email = f"kunde{c}.{seed}@example.org"
        alt = f"Kunde{c}.Alt.{seed}@Example.org" if rng.random() < 0.5 else None
        row = _customer(
            c,
            f"Kunde {c}",
            email,
            alt,
            rng.randint(1, len(addresses)),
            rng.choice([None, *range(1, customers + 1)]),
        )
        row["customer_no"] = f"K{seed}{c:03d}"
        row["phone"] = f"+4920{seed:03d}{c:05d}"
        row["loyalty"] = f"L{seed}-{c}"
        rows["customers"].append(row)
        values = {email, row["customer_no"], row["phone"], row["loyalty"]} | (
            {alt} if alt else set()
        )
        people.append(Person(c, email, f"Kunde {c}", "customer", values))
        for n in range(rng.randint(0, 3)):
            order = c * 10 + n
            rows["orders"].append(
                {
                    "id": order,
                    "customer_id": c,
                    "shipping_address_id": rng.randint(1, len(addresses)),
                    "ordered_on": date(2025, 1 + n, 1),
                    "total": 5,
                }
            )
            for line in range(1, rng.randint(1, 3) + 1):
                rows["order_items"].append(
                    {
                        "order_id": order,
                        "line_no": line,
                        "product_id": rng.randint(1, 4),
                        "quantity": line,
                    }
                )
        if rng.random() < 0.7:
            rows["cards"].append(
                {
                    "id": c,
                    "customer_id": c,
                    "number": f"4000{seed:04d}{c:08d}",
                    "cvc": f"{c:03d}",
                    "billing_address_id": rng.randint(1, len(addresses)),
                }
            )
        for n in range(rng.randint(0, 2)):
            rows["logins"].append(
                {"customer_id": c, "at": at + timedelta(hours=n), "ip": f"198.51.100.{c}"}
            )
            rows["visits"].append({"email": email, "seen_at": at + timedelta(hours=n), "page": "/"})
        for _ in range(rng.randint(0, 2)):
            rows["tickets"].append(
                {
                    "id": ticket,
                    "customer_id": c,
                    "employee_id": rng.randint(1, employees),
                    "email": email,
                    "subject": "Frage",
                    "notes": f"Kunde {c} rief an",
                }
            )
            ticket += 1
        rows["backup_customers"].append({"id": c, "name": f"Kunde {c}", "email": email})
    people.append(Person(0, f"fremd.{seed}@example.org", "Fremd", "stranger", set()))
    return Shop(people, rows)


def _customer(
    key: int, name: str, email: str, alt: str | None, home: int, referrer: int | None
) -> dict[str, Any]:
    return {
        "id": key,
        "customer_no": f"K{1000 + key}",
        "name": name,
        "email": email,
        "alt_email": alt,
        "phone": f"+49201{100000 + key}",
        "loyalty": f"L-{key}",
        "home_address_id": home,
        "referred_by": referrer,
        "internal_score": 42,
    }


async def load(url: str, shop: Shop, backup_schema: str | None) -> dict[str, sa.Table]:
    md, tables = metadata(backup_schema)
    engine = create_async_engine(async_url(url))
    try:
        async with engine.begin() as connection:
            if backup_schema and connection.dialect.name == "postgresql":
                await connection.execute(sa.text(f'CREATE SCHEMA IF NOT EXISTS "{backup_schema}"'))
            await connection.run_sync(md.create_all)
            await connection.execute(
                sa.text("CREATE VIEW customer_view AS SELECT id, name, email FROM customers")
            )
            for name, table in tables.items():
                if shop.rows.get(name):
                    await connection.execute(table.insert(), shop.rows[name])
    finally:
        await engine.dispose()
    return tables


async def dump(url: str, backup_schema: str | None) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, in a stable order."""
    _, tables = metadata(backup_schema)
    engine = create_async_engine(async_url(url))
    try:
        async with engine.connect() as connection:
            return {
                name: sorted(
                    (
                        tuple(str(v) for v in row)
                        for row in await connection.execute(sa.select(table))
                    ),
                )
                for name, table in tables.items()
            }
    finally:
        await engine.dispose()
