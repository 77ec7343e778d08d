"""``dsr demo load``: a realistic shop to try dsr on, and the ``dsr.yaml`` that describes it.

The shop (customers, orders, order items, invoices under an 8-year hold, support tickets with
call notes, newsletter subscriptions) goes into SQLite by default, or into PostgreSQL or
MariaDB with ``--store-url``. German fake data (Faker ``de_DE``), reproducible by seed.
"""

from __future__ import annotations

import random
import re
import secrets
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import yaml
from faker import Faker
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from dsr.db import async_url

BATCH = 5000
ORDERS_PER_CUSTOMER = 10
DEMO_SEED = 4711

metadata = sa.MetaData()
customers = sa.Table(
    "customers",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("customer_no", sa.String(16), nullable=False, unique=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("email", sa.String(254), nullable=False, index=True),
    sa.Column("phone", sa.String(40)),
    sa.Column("street", sa.String(200)),
    sa.Column("zip", sa.String(10)),
    sa.Column("city", sa.String(100)),
    sa.Column("country", sa.String(2)),
    sa.Column("birth_date", sa.Date),
    sa.Column("phone_pin", sa.String(8)),
    sa.Column("created_on", sa.Date, nullable=False),
)
orders = sa.Table(
    "orders",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("customer_id", sa.Integer, sa.ForeignKey("customers.id"), index=True),
    sa.Column("ordered_on", sa.Date, nullable=False),
    sa.Column("delivery_address", sa.String(300)),
    sa.Column("total", sa.Numeric(10, 2), nullable=False),
)
order_items = sa.Table(
    "order_items",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("order_id", sa.Integer, sa.ForeignKey("orders.id"), index=True),
    sa.Column("product", sa.String(200), nullable=False),
    sa.Column("quantity", sa.Integer, nullable=False),
    sa.Column("price", sa.Numeric(10, 2), nullable=False),
)
invoices = sa.Table(
    "invoices",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("customer_id", sa.Integer, sa.ForeignKey("customers.id"), index=True),
    sa.Column("issued_on", sa.Date, nullable=False),
    sa.Column("total", sa.Numeric(10, 2), nullable=False),
    sa.Column("billing_name", sa.String(200)),
    sa.Column("restricted", sa.Boolean, nullable=False, default=False),
)
tickets = sa.Table(
    "tickets",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("customer_id", sa.Integer, sa.ForeignKey("customers.id"), index=True),
    sa.Column("opened_on", sa.Date, nullable=False),
    sa.Column("subject", sa.String(200)),
    sa.Column("call_notes", sa.Text),
)
newsletter = sa.Table(
    "newsletter",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("email", sa.String(254), nullable=False, index=True),
    sa.Column("subscribed_on", sa.Date, nullable=False),
    sa.Column("topics", sa.String(200)),
)

PRODUCTS = [
    ("Headset Pro", "79.90"),
    ("Ladekabel USB-C", "12.99"),
    ("Tarifwechsel", "0.00"),
    ("Smartphone-Hülle", "19.95"),
    ("Router Plus", "149.00"),
    ("SIM-Karte", "9.99"),
]
TICKET_SUBJECTS = ["Rechnung unklar", "Lieferung verspätet", "Tarifwechsel", "Kündigung", "Störung"]


@dataclass(frozen=True, slots=True)
class DemoCustomer:
    """A customer the demo offers to try, with the facts an agent checks on the phone."""

    name: str
    email: str
    customer_no: str
    phone_pin: str
    last_invoice_on: date | None
    last_invoice_total: Decimal | None


def shop_url(var_dir: Path, store_url: str | None) -> str:
    return store_url or f"sqlite:///{(var_dir / 'demo' / 'shop.db').resolve()}"


async def load_shop(url: str, count: int, today: date, progress: bool = True) -> list[DemoCustomer]:
    """Create the shop's tables and fill them with ``count`` customers (idempotent)."""
    if url.startswith("sqlite"):
        Path(sa.engine.make_url(url).database or "").parent.mkdir(parents=True, exist_ok=True)
    engine = create_async_engine(async_url(url))
    try:
        async with engine.begin() as connection:
            await connection.run_sync(metadata.create_all)
            existing = (
                await connection.execute(sa.select(sa.func.count()).select_from(customers))
            ).scalar_one()
        if existing < count:
            await _fill(engine, existing, count, today, progress)
        async with engine.connect() as connection:
            return await customers_to_try(connection)
    finally:
        await engine.dispose()


async def customers_to_try(connection: AsyncConnection, count: int = 3) -> list[DemoCustomer]:
    """The first ``count`` customers nobody has erased yet (an erasure nulls the PIN and
    hashes the address), each with the facts of their latest invoice."""
    latest = (
        sa.select(invoices.c.issued_on, invoices.c.total)
        .where(invoices.c.customer_id == customers.c.id)
        .order_by(invoices.c.issued_on.desc(), invoices.c.id.desc())
        .limit(1)
        .correlate(customers)
    )
    rows = (
        await connection.execute(
            sa.select(
                customers.c.name,
                customers.c.email,
                customers.c.customer_no,
                customers.c.phone_pin,
                latest.with_only_columns(invoices.c.issued_on).scalar_subquery(),
                latest.with_only_columns(invoices.c.total).scalar_subquery(),
            )
            .where(customers.c.phone_pin.is_not(None), customers.c.email.contains("@"))
            .order_by(customers.c.id)
            .limit(count)
        )
    ).all()
    return [DemoCustomer(*row) for row in rows]


async def _fill(engine: AsyncEngine, start: int, count: int, today: date, progress: bool) -> None:
    fake = Faker("de_DE")
    fake.seed_instance(DEMO_SEED + start)
    rng = random.Random(DEMO_SEED + start)  # noqa: S311 - demo data, not security
    for first in range(start, count, BATCH):
        last = min(first + BATCH, count)
        batch = list(_customers(fake, rng, first, last, today))
        async with engine.begin() as connection:
            for table, rows in batch_rows(batch, rng, today):
                if rows:
                    await connection.execute(table.insert(), rows)
        if progress:
            done = last * 30 // count
            print(
                f"\r  [{'#' * done}{'.' * (30 - done)}] {last:>9,} / {count:,} customers",
                end="",
                file=sys.stderr,
            )
    if progress:
        print(file=sys.stderr)


def _customers(
    fake: Faker, rng: random.Random, first: int, last: int, today: date
) -> Iterator[dict[str, Any]]:
    for number in range(first + 1, last + 1):
        name = fake.name()
        local = ".".join(part.lower() for part in name.replace("Dr. ", "").split()[-2:])
        yield {
            "id": number,
            "customer_no": f"K{100000 + number}",
            "name": name,
            "email": f"{_ascii(local)}.{number}@example.org",
            "phone": f"+49201{rng.randint(1000000, 9999999)}",
            "street": fake.street_address(),
            "zip": fake.postcode(),
            "city": fake.city(),
            "country": "DE",
            "birth_date": fake.date_of_birth(minimum_age=18, maximum_age=90),
            "phone_pin": f"{rng.randint(0, 9999):04d}",
            "created_on": today - timedelta(days=rng.randint(30, 4000)),
        }


def batch_rows(
    batch: list[dict[str, Any]], rng: random.Random, today: date
) -> list[tuple[sa.Table, list[dict[str, Any]]]]:
    order_rows: list[dict[str, Any]] = []
    item_rows: list[dict[str, Any]] = []
    invoice_rows: list[dict[str, Any]] = []
    ticket_rows: list[dict[str, Any]] = []
    letter_rows: list[dict[str, Any]] = []
    for customer in batch:
        cid = customer["id"]
        address = f"{customer['street']}, {customer['zip']} {customer['city']}"
        for n in range(ORDERS_PER_CUSTOMER):
            oid = cid * ORDERS_PER_CUSTOMER + n
            product, price = PRODUCTS[(cid + n) % len(PRODUCTS)]
            # Spread over twelve years, so some invoices are past their 8-year hold.
            day = today - timedelta(days=(cid * 37 + n * 401) % (12 * 365))
            order_rows.append(
                {
                    "id": oid,
                    "customer_id": cid,
                    "ordered_on": day,
                    "delivery_address": address,
                    "total": Decimal(price),
                }
            )
            item_rows.append(
                {
                    "id": oid,
                    "order_id": oid,
                    "product": product,
                    "quantity": 1,
                    "price": Decimal(price),
                }
            )
            invoice_rows.append(
                {
                    "id": oid,
                    "customer_id": cid,
                    "issued_on": day,
                    "total": Decimal(price),
                    "billing_name": customer["name"],
                    "restricted": False,
                }
            )
        if cid % 3 == 0:
            ticket_rows.append(
                {
                    "id": cid,
                    "customer_id": cid,
                    "opened_on": today - timedelta(days=cid % 300),
                    "subject": TICKET_SUBJECTS[cid % len(TICKET_SUBJECTS)],
                    "call_notes": (
                        f"Anruf: {customer['name']} bat um Rückruf unter {customer['phone']}."
                    ),
                }
            )
        if cid % 2 == 1:
            letter_rows.append(
                {
                    "id": cid,
                    "email": customer["email"],
                    "subscribed_on": customer["created_on"],
                    "topics": "Angebote",
                }
            )
    return [
        (customers, batch),
        (orders, order_rows),
        (order_items, item_rows),
        (invoices, invoice_rows),
        (tickets, ticket_rows),
        (newsletter, letter_rows),
    ]


def _ascii(text: str) -> str:
    table = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "é": "e", "á": "a"})
    kept = "".join(c for c in text.translate(table) if c.isalnum() or c == ".")
    return re.sub(r"\.{2,}", ".", kept).strip(".") or "kunde"  # "B.A." must not give ".."


def demo_config(shop: str, var_dir: Path, redis_url: str | None, base_url: str) -> dict[str, Any]:
    secret_file = var_dir / "demo" / "newsletter.secret"
    secret_file.parent.mkdir(parents=True, exist_ok=True)
    if not secret_file.exists():
        secret_file.write_text(secrets.token_urlsafe(32), encoding="utf-8")
        secret_file.chmod(0o600)
    stores: list[dict[str, Any]] = [
        {
            "name": "shop",
            "label": {"de": "Kundendatenbank", "en": "Customer database"},
            "type": "sql",
            "url": shop,
            "system_of_record": True,
            "kba": {
                "customer_number": "customers.customer_no",
                "phone_pin": "customers.phone_pin",
                "last_invoice_amount": {
                    "table": "invoices",
                    "column": "total",
                    "latest_by": "issued_on",
                },
                "last_invoice_date": {
                    "table": "invoices",
                    "column": "issued_on",
                    "latest_by": "issued_on",
                },
            },
            "tables": [
                {
                    "name": "customers",
                    "label": {"de": "Kundenkonto", "en": "Customer account"},
                    "identity": {
                        "email": "email",
                        "phone": "phone",
                        "customer_number": "customer_no",
                    },
                    "columns": {
                        "name": {"category": "identity", "erase": "mask", "field": "name"},
                        "email": {"category": "contact", "erase": "hash", "field": "email"},
                        "phone": {"category": "contact", "erase": "null", "field": "phone"},
                        "street": {
                            "category": "contact",
                            "label": {
                                "de": "Straße und Hausnummer",
                                "en": "Street and house number",
                            },
                            "erase": "null",
                            "field": "postal_address.street",
                        },
                        "zip": {
                            "category": "contact",
                            "erase": "null",
                            "field": "postal_address.postcode",
                            "label": {"de": "Postleitzahl", "en": "Postcode"},
                        },
                        "city": {
                            "category": "contact",
                            "erase": "null",
                            "field": "postal_address.city",
                            "label": {"de": "Ort", "en": "City"},
                        },
                        "country": {
                            "category": "contact",
                            "erase": "null",
                            "field": "postal_address.country",
                            "label": {"de": "Land", "en": "Country"},
                        },
                        "birth_date": {"category": "identity", "erase": "null"},
                        "phone_pin": {
                            "category": "credentials",
                            "erase": "null",
                            "label": {"de": "Telefon-PIN", "en": "Phone PIN"},
                        },
                        "created_on": {
                            "category": "contract",
                            "label": {"de": "Kunde seit", "en": "Customer since"},
                        },
                    },
                    "erase": "update",
                },
                {
                    "name": "orders",
                    "label": {"de": "Bestellungen", "en": "Orders"},
                    "reference": {"column": "customer_id", "to": "customers.id"},
                    "columns": {
                        "ordered_on": {
                            "category": "contract",
                            "label": {"de": "Bestellt am", "en": "Ordered on"},
                        },
                        "delivery_address": {
                            "category": "contact",
                            "label": {"de": "Lieferanschrift", "en": "Delivery address"},
                        },
                        "total": {"category": "contract"},
                    },
                    "erase": "delete",
                },
                {
                    "name": "order_items",
                    "label": {"de": "Bestellpositionen", "en": "Order items"},
                    "reference": {"column": "order_id", "to": "orders.id"},
                    "columns": {
                        "product": {"category": "contract"},
                        "quantity": {"category": "contract"},
                        "price": {"category": "contract"},
                    },
                    "erase": "delete",
                },
                {
                    "name": "invoices",
                    "label": {"de": "Rechnungen", "en": "Invoices"},
                    "reference": {"column": "customer_id", "to": "customers.id"},
                    "columns": {
                        "issued_on": {
                            "category": "payment",
                            "label": {"de": "Rechnungsdatum", "en": "Invoice date"},
                        },
                        "total": {
                            "category": "payment",
                            "label": {"de": "Rechnungsbetrag", "en": "Invoice total"},
                        },
                        "billing_name": {
                            "category": "identity",
                            "label": {"de": "Rechnungsname", "en": "Billing name"},
                        },
                    },
                    "erase": "delete",
                    "hold": {
                        "law": "§ 147 Abs. 1 Nr. 4 AO, § 257 Abs. 1 Nr. 4 HGB",
                        "years": 8,
                        "date_column": "issued_on",
                    },
                    "restrict_column": "restricted",
                },
                {
                    "name": "tickets",
                    "label": {"de": "Kundenservice-Anfragen", "en": "Customer service tickets"},
                    "reference": {"column": "customer_id", "to": "customers.id"},
                    "columns": {
                        "opened_on": {
                            "category": "communication",
                            "label": {"de": "Eröffnet am", "en": "Opened on"},
                        },
                        "subject": {
                            "category": "communication",
                            "label": {"de": "Betreff", "en": "Subject"},
                        },
                        "call_notes": {
                            "category": "communication",
                            "label": {"de": "Gesprächsnotizen", "en": "Call notes"},
                        },
                    },
                    "erase": "delete",
                },
            ],
        },
        {
            "name": "newsletter",
            "label": {"de": "Newsletter-Versand", "en": "Newsletter mailing"},
            "type": "http",
            "url": f"{base_url.rstrip('/')}/demo/newsletter",
            "secret_file": str(secret_file),
            "categories": ["contact", "marketing"],
            "recipient": {"name": "Newsletter Versand GmbH", "country": "DE"},
        },
        {
            "name": "archive",
            "label": {"de": "Papierarchiv", "en": "Paper archive"},
            "type": "manual",
            "instructions": {
                "access": "Papierakte im Archiv suchen und Kopien der Schreiben beilegen.",
                "erasure": "Papierakte im Archiv prüfen und vernichten.",
                "rectification": "Papierakte im Archiv suchen und die Angaben darin berichtigen.",
            },
        },
    ]
    if redis_url:
        stores.insert(
            1,
            {
                "name": "sessions",
                "label": {"de": "Sitzungen im Kundenportal", "en": "Customer portal sessions"},
                "type": "redis",
                "url": redis_url,
                "keys": ["session:{customer_number}:*"],
                "category": "usage",
            },
        )
    return {
        "controller": {
            "name": "Beispiel Kundenservice GmbH",
            "address": ["Musterstraße 1", "45127 Essen"],
            "email": "datenschutz@example.org",
            "phone": "0201 123456-0",
            "legal": {
                "seat": "Essen",
                "register_court": "Amtsgericht Essen",
                "register_number": "HRB 12345",
                "managing_directors": ["Maria Beispiel", "Jonas Muster"],
            },
            "dpo": {"name": "Dr. Datenschutz", "email": "dsb@example.org"},
        },
        "site": {
            "imprint_url": "https://www.example.org/impressum",
            "privacy_url": "https://www.example.org/datenschutz",
            "accent_color": "#0b5cad",
            "phone": "+49 201 1234567",
        },
        "processing": DEMO_PROCESSING,
        "stores": stores,
    }


DEMO_PROCESSING: list[dict[str, Any]] = [
    {
        "name": {"de": "Kundenkonto und Bestellungen", "en": "Customer account and orders"},
        "purposes": [
            {"de": "Abwicklung Ihrer Bestellungen", "en": "Handling your orders"},
            {"de": "Rechnungsstellung und Buchhaltung", "en": "Invoicing and accounting"},
        ],
        "legal_basis": {
            "de": "Art. 6 Abs. 1 lit. b DSGVO (Vertrag); für Rechnungen Art. 6 Abs. 1 lit. c "
            "DSGVO mit § 147 AO, § 257 HGB",
            "en": "Art. 6(1)(b) GDPR (contract); for invoices Art. 6(1)(c) GDPR with "
            "§ 147 AO and § 257 HGB (German tax and commercial law)",
        },
        "categories": ["identity", "contact", "contract", "payment", "credentials"],
        "recipients": [{"name": "Paketdienst GmbH", "country": "DE"}],
        "storage": {
            "de": "bis drei Jahre nach Ende des Vertrags; Rechnungen acht Jahre ab Ende des "
            "Jahres, in dem sie ausgestellt wurden",
            "en": "until three years after the contract ends; invoices eight years from the end "
            "of the year in which they were issued",
        },
    },
    {
        "name": {"de": "Kundenservice", "en": "Customer service"},
        "purposes": [{"de": "Bearbeitung Ihrer Anliegen", "en": "Handling your enquiries"}],
        "legal_basis": {
            "de": "Art. 6 Abs. 1 lit. b und f DSGVO",
            "en": "Art. 6(1)(b) and (f) GDPR",
        },
        "categories": ["communication"],
        "recipients": [
            {
                "name": "CallCloud Inc., San Francisco",
                "country": "US",
                "safeguards": {
                    "de": "EU-Standardvertragsklauseln (Art. 46 Abs. 2 lit. c DSGVO); eine Kopie "
                    "erhalten Sie auf Anfrage",
                    "en": "EU standard contractual clauses (Art. 46(2)(c) GDPR); you may ask "
                    "us for a copy",
                },
            }
        ],
        "storage": {
            "de": "zwei Jahre nach Abschluss des Anliegens",
            "en": "two years after the enquiry was closed",
        },
    },
    {
        "name": {"de": "Newsletter", "en": "Newsletter"},
        "purposes": [{"de": "Zusendung unseres Newsletters", "en": "Sending our newsletter"}],
        "legal_basis": {
            "de": "Art. 6 Abs. 1 lit. a DSGVO (Ihre Einwilligung)",
            "en": "Art. 6(1)(a) GDPR (your consent)",
        },
        "categories": ["marketing"],
        "recipients": [{"name": "Newsletter Versand GmbH", "country": "DE"}],
        "storage": {"de": "bis Sie sich abmelden", "en": "until you unsubscribe"},
    },
    {
        "name": {"de": "Kundenportal", "en": "Customer portal"},
        "purposes": [
            {
                "de": "Anmeldung und Warenkorb im Kundenportal",
                "en": "Sign-in and shopping cart in the customer portal",
            }
        ],
        "legal_basis": {"de": "Art. 6 Abs. 1 lit. b DSGVO", "en": "Art. 6(1)(b) GDPR"},
        "categories": ["usage"],
        "storage": {
            "de": "30 Tage nach der letzten Sitzung",
            "en": "30 days after the last session",
        },
    },
]


def write_config(path: Path, config: dict[str, Any]) -> bool:
    """Write the demo ``dsr.yaml`` unless one exists already; True when written."""
    if path.exists():
        return False
    header = (
        "# Demo configuration written by `dsr demo load`. See dsr.example.yaml for every key.\n"
    )
    path.write_text(
        header + yaml.safe_dump(config, allow_unicode=True, sort_keys=False), encoding="utf-8"
    )
    return True


async def load_sessions(redis_url: str, shown: list[DemoCustomer]) -> bool:
    """A few session keys for the demo customers, when Redis is reachable."""
    from redis.asyncio import Redis
    from redis.exceptions import RedisError

    client = Redis.from_url(redis_url)
    try:
        for number, customer in enumerate(shown, start=1):
            await client.hset(
                f"session:{customer.customer_no}:{number:04d}",
                mapping={
                    "ip": f"203.0.113.{number}",
                    "agent": "Mozilla/5.0",
                    "cart": "Headset Pro",
                },
            )
    except (RedisError, OSError):
        return False
    finally:
        await client.aclose()
    return True
