"""Sliding-window rate limits for the public endpoints, kept in process memory.

Keys never hold personal data in clear: callers pass an IP address or a blind index.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from dsr.domain.errors import TooManyRequests

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
    _hits: dict[str, deque[float]] = field(default_factory=dict)

    def check(self, limit: Limit, key: str) -> None:
        """Count one hit; raise ``TooManyRequests`` (counting nothing) when over the limit."""
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
