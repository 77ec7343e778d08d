"""References are unique and gap-free per year, also under concurrent intake."""

from __future__ import annotations

import asyncio

from litestar.testing import AsyncTestClient

from dsr.domain.vocabulary import Role
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
