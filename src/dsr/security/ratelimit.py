"""Sliding-window rate limits for the public endpoints and sign-in.

Kept in process memory, or, on PostgreSQL, in our database (``SharedHits``), so that several
web processes (``dsr serve --workers N``, or several servers) count the same hits. Keys never
leave the process in clear: callers pass an IP address or a blind index, and the database
holds only a keyed hash of limit and key.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from dsr.domain.errors import TooManyRequests
from dsr.models.base import utcnow
from dsr.security.fields import BlindIndex

MAX_KEYS = 100_000


@dataclass(frozen=True, slots=True)
class Limit:
    name: str
    count: int
    seconds: float


# What a person needs, with room for a family sharing one connection.
SUBMIT_PER_IP = Limit("submit-ip", 10, 3600)
SUBMIT_PER_EMAIL = Limit("submit-email", 3, 3600)
VERIFY_PER_IP = Limit("verify-ip", 30, 600)
RESEND_PER_REQUEST = Limit("resend", 1, 60)
RESEND_PER_DAY = Limit("resend-day", 5, 86400)
STATUS_ACTION_PER_IP = Limit("status-ip", 60, 600)
SIGN_IN_PER_IP = Limit("sign-in-ip", 30, 600)
KBA_PER_AGENT = Limit("kba-agent", 30, 900)


@dataclass
class RateLimiter:
    clock: Callable[[], float] = time.monotonic
    shared: SharedHits | None = None
    _hits: dict[str, deque[float]] = field(default_factory=dict)

    async def check(self, limit: Limit, key: str) -> None:
        """Count one hit; raise ``TooManyRequests`` (counting nothing) when over the limit.
        A hit counts even if the caller's transaction then rolls back (a wrong code)."""
        if self.shared is not None:
            await self.shared.check(limit, key)
            return
        now = self.clock()
        bucket_key = f"{limit.name}:{key}"
        hits = self._hits.get(bucket_key)
        if hits is None:
            if len(self._hits) >= MAX_KEYS:
                self._prune(now)
            hits = self._hits[bucket_key] = deque()
        while hits and hits[0] <= now - limit.seconds:
            hits.popleft()
        if len(hits) >= limit.count:
            raise TooManyRequests(retry_after=int(hits[0] + limit.seconds - now) + 1)
        hits.append(now)

    def _prune(self, now: float, longest: float = 86400) -> None:
        for key in [k for k, hits in self._hits.items() if not hits or hits[-1] <= now - longest]:
            del self._hits[key]
        while len(self._hits) >= MAX_KEYS:  # still full: forget the oldest keys
            del self._hits[next(iter(self._hits))]


# One statement: count the bucket's hits in the window and add this one if there is room.
# Two processes at the same instant may both see room for the last hit: a limit can be
# passed by one call per process at most, never by more.
_COUNT_AND_ADD = text("""
    WITH recent AS (
        SELECT count(*) AS hits, min(at) AS first FROM rate_hit
        WHERE bucket = :bucket AND at > :since
    ), added AS (
        INSERT INTO rate_hit (bucket, at) SELECT :bucket, :now FROM recent WHERE hits < :most
    )
    SELECT hits, first FROM recent""")
_FORGET = text("DELETE FROM rate_hit WHERE at < :before")
LONGEST = timedelta(days=1)  # the longest window of any limit above


@dataclass(frozen=True, slots=True)
class SharedHits:
    """The hits in our PostgreSQL database, written in their own transaction (autocommit)."""

    engine: AsyncEngine
    index: BlindIndex
    clock: Callable[[], datetime] = utcnow

    async def check(self, limit: Limit, key: str) -> None:
        now = self.clock()
        async with self.engine.connect() as connection:
            autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
            hits, first = (
                await autocommit.execute(
                    _COUNT_AND_ADD,
                    {
                        "bucket": self.index("rate-limit", f"{limit.name}:{key}"),
                        "since": now - timedelta(seconds=limit.seconds),
                        "now": now,
                        "most": limit.count,
                    },
                )
            ).one()
        if hits >= limit.count:
            wait = first + timedelta(seconds=limit.seconds) - now
            raise TooManyRequests(retry_after=int(wait.total_seconds()) + 1)


async def forget_old_hits(engine: AsyncEngine, now: datetime) -> int:
    """Delete shared hits older than the longest window (the scheduler's sweep)."""
    async with engine.begin() as connection:
        result = await connection.execute(_FORGET, {"before": now - LONGEST})
    return int(result.rowcount)
