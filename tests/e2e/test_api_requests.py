"""The JSON API as a script or the web form would use it, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from dsr.domain.deadlines import receipt_date, response_deadline
from dsr.domain.vocabulary import Role
from dsr.settings import Settings
from tests.helpers import staff_token, web_request

Client = AsyncTestClient  # type: ignore[type-arg]


async def test_a_web_request_is_created_with_reference_and_due_date(client: Client) -> None:
    response = await client.post("/api/v1/requests", json=web_request())
    assert response.status_code == 201, response.text
    body = response.json()
    today = receipt_date(datetime.now(UTC))
    assert body["reference"] == f"DSR-{today.year}-000001"
    assert body["status"] == "awaiting_verification"  # a code went to the address given
    assert body["received_on"] == today.isoformat()
    assert body["due_on"] == response_deadline(today).isoformat()
    second = await client.post("/api/v1/requests", json=web_request(kind="erasure"))
    assert second.json()["reference"] == f"DSR-{today.year}-000002"


async def test_staff_list_filter_and_page_through_requests(
    client: Client, settings: Settings
) -> None:
    dpo = await staff_token(settings, "dana", Role.DPO)
    kinds = ["access", "erasure", "access", "rectification", "access"]
    for kind in kinds:
        extra: dict[str, Any] = {"changes": [{"field": "name", "value": "Erika Muster"}]}
        response = await client.post(
            "/api/v1/requests",
            json=web_request(
                kind=kind, channel="email", **(extra if kind == "rectification" else {})
            ),
            headers=dpo,
        )
        assert response.status_code == 201, response.text

    everything = await client.get("/api/v1/requests", headers=dpo)
    assert everything.status_code == 200
    assert len(everything.json()["items"]) == 5

    seen: list[str] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = (await client.get("/api/v1/requests", params=params, headers=dpo)).json()
        seen += [item["reference"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == 5 and len(set(seen)) == 5

    access = (await client.get("/api/v1/requests", params={"kind": "access"}, headers=dpo)).json()
    assert [item["kind"] for item in access["items"]] == ["access"] * 3
    none_due = await client.get(
        "/api/v1/requests", params={"due_before": "2000-01-01"}, headers=dpo
    )
    assert none_due.json()["items"] == []
    received = await client.get("/api/v1/requests", params={"status": "received"}, headers=dpo)
    assert len(received.json()["items"]) == 5


async def test_detail_shows_dates_and_timeline_without_personal_data(
    client: Client, settings: Settings
) -> None:
    dpo = await staff_token(settings, "dana", Role.DPO)
    reference = (await client.post("/api/v1/requests", json=web_request())).json()["reference"]
    response = await client.get(f"/api/v1/requests/{reference}", headers=dpo)
    assert response.status_code == 200
    detail = response.json()
    assert detail["reference"] == reference
    assert detail["verification_level"] == "none"
    assert [event["action"] for event in detail["timeline"]] == [
        "request.received",
        "request.ask_verification",
        "verification.code_sent",
    ]
    assert "Erika" not in response.text and "example.org" not in response.text


async def test_staff_only_endpoints_need_a_valid_token(client: Client, settings: Settings) -> None:
    await staff_token(settings, "dana", Role.DPO)
    for headers in ({}, {"Authorization": "Bearer dsr_wrong"}, {"Authorization": "Basic abc"}):
        response = await client.get("/api/v1/requests", headers=headers)
        assert response.status_code == 401
        assert response.headers["content-type"].startswith("application/problem+json")
    reference = (await client.post("/api/v1/requests", json=web_request())).json()["reference"]
    assert (await client.get(f"/api/v1/requests/{reference}")).status_code == 401


async def test_only_staff_record_phone_email_and_letter_requests(
    client: Client, settings: Settings
) -> None:
    anonymous = await client.post("/api/v1/requests", json=web_request(channel="phone"))
    assert anonymous.status_code == 401
    agent = await staff_token(settings, "anna", Role.AGENT)
    phone = await client.post(
        "/api/v1/requests",
        json=web_request(channel="phone", subject={"name": "Erika Mustermann"}),
        headers=agent,
    )
    assert phone.status_code == 201, phone.text


async def test_a_letter_keeps_the_day_it_arrived(client: Client, settings: Settings) -> None:
    agent = await staff_token(settings, "anna", Role.AGENT)
    arrived = datetime.now(UTC) - timedelta(days=3)
    response = await client.post(
        "/api/v1/requests",
        json=web_request(channel="letter", received_at=arrived.isoformat()),
        headers=agent,
    )
    assert response.status_code == 201, response.text
    assert response.json()["received_on"] == receipt_date(arrived).isoformat()
    assert response.json()["due_on"] == response_deadline(arrived).isoformat()


async def test_agents_see_only_their_own_requests(client: Client, settings: Settings) -> None:
    anna = await staff_token(settings, "anna", Role.AGENT)
    bert = await staff_token(settings, "bert", Role.AGENT)
    phone = web_request(channel="phone")
    reference = (await client.post("/api/v1/requests", json=phone, headers=anna)).json()[
        "reference"
    ]
    await client.post("/api/v1/requests", json=web_request())  # a web request: no agent's
    assert (await client.get(f"/api/v1/requests/{reference}", headers=anna)).status_code == 200
    assert (await client.get(f"/api/v1/requests/{reference}", headers=bert)).status_code == 404
    annas = (await client.get("/api/v1/requests", headers=anna)).json()["items"]
    assert [item["reference"] for item in annas] == [reference]
    assert (await client.get("/api/v1/requests", headers=bert)).json()["items"] == []


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"kind": "access"}, {"subject"}),
        (web_request(kind="delete-everything"), {"kind"}),
        (web_request(subject={"name": "Erika", "email": "not-an-address"}), {"subject.email"}),
        (
            web_request(subject={"name": "Erika\r\nBcc: x@evil.org", "email": "e@example.org"}),
            {"subject.name"},
        ),
        (web_request(subject={"name": "E" * 201, "email": "e@example.org"}), {"subject.name"}),
        (web_request(subject={"name": "Erika"}), {"subject.email"}),
        (
            web_request(subject={"name": "Erika", "email": "e@example.org", "phone": "12"}),
            {"subject.phone"},
        ),
        (web_request(kind="rectification"), {"changes"}),
        (web_request(details="x" * 5001), {"details"}),
        (web_request(details="nul \x00 byte"), {"details"}),
        (web_request(admin=True), {"admin"}),
        (web_request(language="fr"), {"language"}),
        (web_request(received_at="2026-01-01T00:00:00Z"), {"received_at"}),
        (web_request(changes=[{"field": "password", "value": "x"}]), {"changes.0.field"}),
    ],
)
async def test_bad_input_is_a_400_naming_the_fields_and_stores_nothing(
    client: Client, settings: Settings, body: dict[str, Any], fields: set[str]
) -> None:
    response = await client.post("/api/v1/requests", json=body, headers={"accept-language": "en"})
    assert response.status_code == 400, response.text
    problem = response.json()
    assert problem["title"] == "Some input is missing or invalid."
    assert {error["field"] for error in problem["errors"]} == fields
    assert "Traceback" not in response.text and "Erika" not in response.text
    dpo = await staff_token(settings, "dana", Role.DPO)
    assert (await client.get("/api/v1/requests", headers=dpo)).json()["items"] == []


async def test_messages_are_german_by_default(client: Client) -> None:
    response = await client.post("/api/v1/requests", json=web_request(subject={"name": "Erika"}))
    assert response.json()["title"] == "Die Eingaben sind unvollständig oder ungültig."
    assert response.json()["errors"][0]["message"] == "Pflichtangabe fehlt."


@pytest.mark.parametrize(
    ("content", "headers", "status"),
    [
        (b"{not json", {"content-type": "application/json"}, 400),
        (b"[]", {"content-type": "application/json"}, 400),
        (b"null", {"content-type": "application/json"}, 400),
        (b"\xff\xfe\x00binary", {"content-type": "application/json"}, 400),
        (b'{"kind": "access"' + b" " * 300_000 + b"}", {"content-type": "application/json"}, 413),
    ],
)
async def test_malformed_bodies_are_4xx_never_500(
    client: Client, content: bytes, headers: dict[str, str], status: int
) -> None:
    response = await client.post("/api/v1/requests", content=content, headers=headers)
    assert response.status_code == status, response.text
    assert response.json()["status"] == status


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/requests/DSR-2026-999999",
        "/api/v1/requests/../../etc/passwd",
        "/api/v1/requests/DSR-2026-00000%27%20OR%201=1",
        "/api/v1/nothing",
    ],
)
async def test_unknown_things_are_404_or_400(client: Client, settings: Settings, path: str) -> None:
    dpo = await staff_token(settings, "dana", Role.DPO)
    response = await client.get(path, headers=dpo)
    assert response.status_code in (400, 404), response.text


@pytest.mark.parametrize(
    "params",
    [
        {"limit": 0},
        {"limit": 10_000},
        {"status": "lost"},
        {"due_before": "2026-02-30"},
        {"cursor": "!!!"},
        {"cursor": "bm90IGEgY3Vyc29y"},
        {"needs_attention": "maybe"},
    ],
)
async def test_bad_list_parameters_are_400(
    client: Client, settings: Settings, params: dict[str, Any]
) -> None:
    dpo = await staff_token(settings, "dana", Role.DPO)
    response = await client.get("/api/v1/requests", params=params, headers=dpo)
    assert response.status_code == 400, response.text


async def test_openapi_lists_the_endpoints(client: Client) -> None:
    schema = (await client.get("/schema")).json()
    assert {"/api/v1/requests", "/api/v1/requests/{reference}", "/health", "/metrics"} <= set(
        schema["paths"]
    )
    assert (await client.get("/schema/openapi.json")).json()["paths"] == schema["paths"]


async def test_health_and_metrics(client: Client, settings: Settings) -> None:
    assert (await client.get("/health")).json() == {"status": "ok"}
    await client.post("/api/v1/requests", json=web_request())
    response = await client.get("/metrics")
    assert response.headers["content-type"].startswith("text/plain; version=")
    metrics = response.text
    assert 'dsr_requests{status="awaiting_verification"} 1.0' in metrics
    assert "dsr_requests_overdue 0.0" in metrics
    assert 'dsr_mails{status="pending"} 1.0' in metrics  # the code, queued
    assert 'dsr_queue_ready{queue="mails"} 1.0' in metrics
    assert 'dsr_queue_ready{queue="tasks"} 0.0' in metrics
    assert "example.org" not in metrics and "Mustermann" not in metrics


async def test_health_is_503_when_the_database_is_unreachable(tmp_path: Any) -> None:
    from dsr.app import create_app

    settings = Settings(
        database_url="postgresql+asyncpg://nobody@127.0.0.1:1/none", var_dir=tmp_path
    )
    async with AsyncTestClient(app=create_app(settings)) as client:
        response = await client.get("/health")
        assert response.status_code == 503
        created = await client.post("/api/v1/requests", json=web_request())
        assert created.status_code == 503
        assert created.json()["code"] == "unavailable"


async def test_a_date_in_the_past_is_still_due_in_the_future(client: Client) -> None:
    # Sanity: the due date is never before the receipt date.
    body = (await client.post("/api/v1/requests", json=web_request())).json()
    assert date.fromisoformat(body["due_on"]) > date.fromisoformat(body["received_on"])
