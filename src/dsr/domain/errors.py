"""The error tree. Web code maps each class to one HTTP status in one place."""

from __future__ import annotations

from typing import Any


class DsrError(Exception):
    """Base class. ``code`` selects the user-facing message; ``params`` fill it in."""

    code = "error"

    def __init__(self, message: str = "", **params: Any) -> None:
        super().__init__(message or self.code)
        self.params = params


class ConfigError(DsrError):
    code = "config_error"


class InvalidInput(DsrError):
    """One or more fields are invalid. ``fields`` maps a field path to a message code."""

    code = "invalid_input"

    def __init__(self, fields: dict[str, str]) -> None:
        super().__init__("invalid input: " + ", ".join(sorted(fields)))
        self.fields = fields


class NotFound(DsrError):
    code = "not_found"


class NotAllowed(DsrError):
    """The caller may not do this (role, ownership)."""

    code = "forbidden"


class Unauthenticated(DsrError):
    code = "unauthenticated"


class InvalidTransition(DsrError):
    """The requested lifecycle event does not apply in the request's current status."""

    code = "invalid_transition"


class Conflict(DsrError):
    """A concurrent change won; the caller may retry with fresh data."""

    code = "conflict"


class Unavailable(DsrError):
    """Something the server would need is not installed or not reachable."""

    code = "unavailable"


class TooManyRequests(DsrError):
    """A rate limit was reached; ``retry_after`` seconds until the next attempt counts."""

    code = "too_many_requests"

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"rate limited for {retry_after} s")
        self.retry_after = retry_after
