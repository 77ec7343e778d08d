"""How long to wait before trying again: doubling from a base, up to a cap (tasks and mail)."""

from __future__ import annotations

from datetime import timedelta


def backoff(attempts: int, base: timedelta, cap: timedelta) -> timedelta:
    """``base`` after the first failed attempt, twice as long after each further one."""
    doublings = min(max(attempts - 1, 0), 32)  # past the cap long before; no overflow
    delay: timedelta = base * 2**doublings
    return min(delay, cap)
