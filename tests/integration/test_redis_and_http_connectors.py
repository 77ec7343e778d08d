"""The redis connector against a real Redis, the http connector against a local processor."""

from __future__ import annotations

import json
import time
import uuid

import pytest
from redis.asyncio import Redis

from dsr.config import HttpStore, RedisStore
from dsr.connectors.base import Accepted, Change, Identifiers, StoreUnavailable
from dsr.connectors.http import HttpConnector, sign, verify_signature
from dsr.connectors.redis import RedisConnector
from tests.stores import TODAY, Processor


@pytest.fixture
async def sessions(redis_url: str):  # type: ignore[no-untyped-def]
    prefix = f"t{uuid.uuid4().hex[:8]}"
    client = Redis.from_url(redis_url)
    await client.hset(f"{prefix}:session:K100003:0001", mapping={"ip": "203.0.113.9"})
    await client.set(f"{prefix}:session:K100003:0002", "cart=Headset")
    await client.set(f"{prefix}:session:K100004:0001", "someone else")
    await client.set(f"{prefix}:session:K*:0001", "a key that looks like a pattern")
    store = RedisStore(
        name="sessions",
        type="redis",
        url=redis_url,
        keys=[f"{prefix}:session:{{customer_number}}:*"],
    )
    yield prefix, client, RedisConnector(store)
    async for key in client.scan_iter(match=f"{prefix}:*"):
        await client.delete(key)
    await client.aclose()


async def test_redis_find_export_and_erase_reach_only_the_persons_keys(sessions) -> None:  # type: ignore[no-untyped-def]
    prefix, client, connector = sessions
    who = Identifiers.of(customer_numbers=frozenset({"K100003"}))
    try:
        assert (await connector.find(who)).counts == {"keys": 2}
        exported = await connector.export(who)
        values = {row["key"]: row["value"] for row in exported.tables["keys"]}
        assert values == {
            f"{prefix}:session:K100003:0001": {"ip": "203.0.113.9"},
            f"{prefix}:session:K100003:0002": "cart=Headset",
        }
        assert (await connector.erase(who, TODAY)).erased == {"keys": 2}
        assert (await connector.erase(who, TODAY)).erased == {"keys": 0}
        assert await client.exists(f"{prefix}:session:K100004:0001") == 1
    finally:
        await connector.close()


async def test_redis_glob_characters_in_an_identifier_are_literal(sessions) -> None:  # type: ignore[no-untyped-def]
    prefix, client, connector = sessions
    try:
        found = await connector.find(Identifiers.of(customer_numbers=frozenset({"K*"})))
        assert found.counts == {"keys": 1}  # only the literal "K*" key, not every customer's
        await connector.erase(Identifiers.of(customer_numbers=frozenset({"K*"})), TODAY)
        assert await client.exists(f"{prefix}:session:K100003:0001") == 1
    finally:
        await connector.close()


async def test_redis_keys_match_each_spelling_and_declared_identifiers(redis_url: str) -> None:
    """A key written with the address as the shop spells it (``Erika@Example.org``) and one
    with its normal form are both the person's; a declared identifier (a loyalty card) is a
    placeholder like the built-in ones. Someone else's keys stay."""
    prefix = f"t{uuid.uuid4().hex[:8]}"
    client = Redis.from_url(redis_url)
    await client.set(f"{prefix}:cart:Erika@Example.org", "1")
    await client.set(f"{prefix}:cart:erika@example.org", "2")
    await client.set(f"{prefix}:cart:erik@example.org", "someone else")
    await client.set(f"{prefix}:card:L-77", "3")
    await client.set(f"{prefix}:card:L-78", "someone else")
    store = RedisStore(
        name="carts",
        type="redis",
        url=redis_url,
        keys=[f"{prefix}:cart:{{email}}", f"{prefix}:card:{{loyalty_id}}"],
    )
    connector = RedisConnector(store)
    who = Identifiers.of(emails={"Erika@Example.org"}, loyalty_id={"L-77"})
    try:
        assert (await connector.find(who)).counts == {"keys": 3}
        assert (await connector.erase(who, TODAY)).erased == {"keys": 3}
        assert await client.exists(f"{prefix}:cart:erik@example.org", f"{prefix}:card:L-78") == 2
    finally:
        await connector.close()
        async for key in client.scan_iter(match=f"{prefix}:*"):
            await client.delete(key)
        await client.aclose()


def _http(processor: Processor, secret: bytes = b"s3cret") -> HttpConnector:
    store = HttpStore(name="newsletter", type="http", url=processor.url, secret_env="X", timeout=5)
    return HttpConnector(store, secret, "https://dsr.example.org")


async def test_http_calls_are_signed_and_carry_an_idempotency_key(processor: Processor) -> None:
    connector = _http(processor)
    who = Identifiers.of(emails=frozenset({"erika@example.org"}))
    try:
        result = await connector.erase(who, TODAY, job="task-1")
        await connector.rectify(who, [Change("email", "neu@example.org")], job="task-2")
    finally:
        await connector.close()
    assert result.erased == {"subscribers": 1}
    call, headers = processor.calls[0], processor.headers[0]
    assert call["action"] == "erase" and call["identifiers"]["emails"] == ["erika@example.org"]
    assert call["callback_url"] == "https://dsr.example.org/api/v1/callbacks/task-1"
    assert headers["Idempotency-Key"] == "task-1"
    assert verify_signature(
        b"s3cret", headers["X-DSR-Timestamp"], headers["_raw"].encode(), headers["X-DSR-Signature"]
    )
    assert not verify_signature(
        b"other", headers["X-DSR-Timestamp"], headers["_raw"].encode(), headers["X-DSR-Signature"]
    )
    assert processor.calls[1]["changes"] == [{"field": "email", "value": "neu@example.org"}]


@pytest.mark.parametrize(
    ("status", "body", "outcome"),
    [
        (202, {"status": "accepted"}, Accepted),
        (500, {"status": "error"}, StoreUnavailable),
        (200, b"<html>not json</html>", StoreUnavailable),
        (200, {"status": "done", "result": ["not", "an", "object"]}, StoreUnavailable),
        (200, {"status": "failed"}, StoreUnavailable),
    ],
)
async def test_http_answers_other_than_done(
    processor: Processor, status: int, body: object, outcome: type[Exception]
) -> None:
    processor.behave = lambda call: (status, body)
    connector = _http(processor)
    try:
        with pytest.raises(outcome):
            await connector.find(Identifiers.of(emails=frozenset({"a@b.de"})), job="t")
    finally:
        await connector.close()


async def test_http_unreachable_processor_is_unavailable() -> None:
    store = HttpStore(
        name="gone", type="http", url="http://127.0.0.1:9/dsr", secret_env="X", timeout=2
    )
    connector = HttpConnector(store, b"s", "http://x")
    try:
        with pytest.raises(StoreUnavailable):
            await connector.find(Identifiers.of(emails=frozenset({"a@b.de"})), job="t")
    finally:
        await connector.close()


async def test_malicious_processor_counts_are_sanitised(processor: Processor) -> None:
    processor.behave = lambda call: (
        200,
        {
            "status": "done",
            "result": {
                "counts": {"x" * 500: 3, "neg": -1, "str": "many"},
                "categories": ["a"] * 100,
            },
        },
    )
    connector = _http(processor)
    try:
        found = await connector.find(Identifiers.of(emails=frozenset({"a@b.de"})), job="t")
    finally:
        await connector.close()
    assert found.counts == {"x" * 64: 3}
    assert len(found.categories) == 50


def test_signatures_expire_after_five_minutes() -> None:
    body = json.dumps({"status": "done"}).encode()
    old = str(int(time.time()) - 301)
    assert not verify_signature(b"k", old, body, sign(b"k", old, body))
    now = str(int(time.time()))
    assert verify_signature(b"k", now, body, sign(b"k", now, body))
    assert not verify_signature(b"k", "yesterday", body, sign(b"k", "yesterday", body))
