"""References are unique and gap-free per year, also under concurrent intake."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from litestar.testing import AsyncTestClient

from dsr.db import Database
from dsr.domain.deadlines import receipt_date
from dsr.domain.vocabulary import Role
from dsr.models import ReferenceCounter
from dsr.settings import Settings
from tests.helpers import staff_token, web_request


async def test_concurrent_requests_get_distinct_consecutive_references(
    client: AsyncTestClient,  # type: ignore[type-arg]
    settings: Settings,
) -> None:
    agent = await staff_token(settings, "anna", Role.AGENT)
    phone = web_request(channel="phone")
    responses = await asyncio.gather(
        *(client.post("/api/v1/requests", json=phone, headers=agent) for _ in range(20))
    )
    assert all(r.status_code == 201 for r in responses), [r.text for r in responses]
    numbers = sorted(int(r.json()["reference"].rsplit("-", 1)[1]) for r in responses)
    assert numbers == list(range(1, 21))


async def test_the_millionth_request_of_a_year_gets_seven_digits(
    client: AsyncTestClient,  # type: ignore[type-arg]
    settings: Settings,
    db: Database,
) -> None:
    """PostgreSQL builds the reference in SQL, SQLite in Python: the same text on both."""
    year = receipt_date(datetime.now(UTC)).year
    async with db.session_scope() as session:
        session.add(ReferenceCounter(year=year, last=999_998))
    agent = await staff_token(settings, "anna", Role.AGENT)
    references = [
        (
            await client.post("/api/v1/requests", json=web_request(channel="phone"), headers=agent)
        ).json()["reference"]
        for _ in range(2)
    ]
    assert references == [f"DSR-{year}-999999", f"DSR-{year}-1000000"]
    # ... and every route takes it: the agent's detail of their own request, the DPO's page.
    detail = await client.get(f"/api/v1/requests/{references[1]}", headers=agent)
    assert detail.status_code == 200, detail.text
    assert detail.json()["reference"] == references[1]
    dpo = await staff_token(settings, "dana", Role.DPO)
    for path in (f"/api/v1/requests/{references[1]}", f"/api/v1/requests/{references[1]}/package"):
        assert (await client.get(path, headers=dpo)).status_code in (200, 404)
    assert (await client.get(f"/api/v1/requests/DSR-{year}-12345", headers=dpo)).status_code == 400
