"""Rate limits: the same sliding window in process memory (SQLite: one process) and in the
database (PostgreSQL: every web process counts the same hits)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from dsr.db import Database
from dsr.domain.errors import TooManyRequests
from dsr.security.fields import BlindIndex
from dsr.security.ratelimit import Limit, RateLimiter, SharedHits, forget_old_hits


async def test_a_limit_counts_its_window_and_says_when_to_come_back(db: Database) -> None:
    now = [datetime(2026, 11, 28, 10, 0, tzinfo=UTC)]
    if db.dialect == "postgresql":
        hits = SharedHits(db.engine, BlindIndex(b"test-hmac-key-0123456789"), lambda: now[0])
        limiter = RateLimiter(shared=hits)
    else:
        limiter = RateLimiter(clock=lambda: now[0].timestamp())
    limit = Limit("test", 2, 60)

    await limiter.check(limit, "192.0.2.1")
    now[0] += timedelta(seconds=10)
    await limiter.check(limit, "192.0.2.1")
    with pytest.raises(TooManyRequests) as refused:
        await limiter.check(limit, "192.0.2.1")
    assert refused.value.retry_after == 51  # the first hit leaves the window 50 s from now
    await limiter.check(limit, "192.0.2.2")  # another key has its own count

    now[0] += timedelta(seconds=51)  # the first hit is out of the window: room for one
    await limiter.check(limit, "192.0.2.1")
    with pytest.raises(TooManyRequests):
        await limiter.check(limit, "192.0.2.1")

    if db.dialect == "postgresql":  # the sweep forgets what no window can reach any more
        assert await forget_old_hits(db.engine, now[0] + timedelta(days=1, seconds=1)) == 4
