"""A request's reference, ``DSR-2026-000042``: one definition for the number, the routes, the
mails and the tests. Six digits at least; the millionth request of a year has seven."""

from __future__ import annotations

import re

PATTERN = r"DSR-\d{4}-\d{6,12}"
ROUTE_PATTERN = f"^{PATTERN}$"
MAX_LENGTH = 32  # the column
FIND = re.compile(rf"\b{PATTERN}\b")


def reference_for(year: int, number: int) -> str:
    return f"DSR-{year}-{number:06d}"


def is_reference(text: str) -> bool:
    return len(text) <= MAX_LENGTH and re.fullmatch(PATTERN, text) is not None
