"""Structured JSON logs. Personal data never goes into a log line: log ids, codes and counts."""

from __future__ import annotations

import logging
import re
import sys
from typing import TextIO, cast

import structlog
from sqlalchemy.exc import StatementError

# A statement's name is its verb and its first table ("UPDATE outbox"), never its values.
_VERB = re.compile(r"\s*([A-Za-z]+)")
_TABLE = re.compile(r"(?:^\s*UPDATE|\bINTO|\bFROM|\bTABLE)\s+\"?([A-Za-z_][\w.]*)", re.IGNORECASE)


def configure_logging(level: str = "INFO") -> None:
    logging.basicConfig(format="%(message)s", stream=sys.stderr, level=level.upper())
    # Libraries that log peers or envelopes (addresses are personal data), or statements
    # with their parameters (aiosqlite, at DEBUG), stay quiet.
    for noisy in ("apscheduler", "mail.log", "httpx", "uvicorn.access", "aiosqlite"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.JSONRenderer(),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        logger_factory=structlog.PrintLoggerFactory(cast(TextIO, _CurrentStderr())),
        cache_logger_on_first_use=False,
    )


class _CurrentStderr:
    """Whatever ``sys.stderr`` is when a line is written (a supervisor, or a test's capture,
    may replace it after logging was configured)."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


def error_fields(exc: BaseException) -> dict[str, str]:
    """What a log line may say about an error: its type and, for a database error, the type
    of the driver's error and the statement's name. Never the message, the SQL text or its
    parameters: they can hold personal data."""
    fields = {"error_type": type(exc).__name__}
    if isinstance(exc, StatementError):
        if exc.orig is not None:
            fields["cause"] = type(exc.orig).__name__
        if exc.statement:
            fields["statement"] = statement_name(exc.statement)
    return fields


def statement_name(sql: str) -> str:
    """``UPDATE event SET seq=? …`` -> ``UPDATE event``."""
    verb, table = _VERB.match(sql), _TABLE.search(sql)
    name = verb[1].upper() if verb else "unknown"
    return f"{name} {table[1]}" if table else name
