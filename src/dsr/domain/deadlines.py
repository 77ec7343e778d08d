"""Art. 12(3) GDPR response deadlines, counted under Regulation 1182/71 (LEGAL.md §1).

The day of receipt is the local calendar date at the controller's seat; it is not counted.
A month period ends on the same date of the following month (or that month's last day when
the date does not exist). Only the end moves: off a Saturday, Sunday or a public holiday of
the controller's state, to the next working day. An extension makes the deadline three months
from receipt, not two months from the first deadline.
"""

from __future__ import annotations

import calendar
from datetime import date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays

from dsr.domain.errors import ConfigError

DEFAULT_REGION = "DE-NW"
DEFAULT_TIMEZONE = "Europe/Berlin"
RESPONSE_MONTHS = 1
EXTENDED_RESPONSE_MONTHS = 3


def receipt_date(received_at: datetime | date, timezone: str = DEFAULT_TIMEZONE) -> date:
    """The local calendar date of receipt; a naive datetime is taken as UTC."""
    if isinstance(received_at, datetime):
        if received_at.tzinfo is None:
            received_at = received_at.replace(tzinfo=ZoneInfo("UTC"))
        return received_at.astimezone(_zone(timezone)).date()
    return received_at


def add_months(start: date, months: int) -> date:
    """Same date ``months`` later, clamped to the last day of a shorter month."""
    index = start.month - 1 + months
    year, month = start.year + index // 12, index % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def next_working_day(day: date, region: str = DEFAULT_REGION) -> date:
    """``day`` itself if it is a working day in ``region``, else the next one."""
    while day.weekday() >= 5 or day in _holidays(region, day.year):
        day += timedelta(days=1)
    return day


def response_deadline(
    received_at: datetime | date,
    region: str = DEFAULT_REGION,
    extended: bool = False,
    timezone: str = DEFAULT_TIMEZONE,
) -> date:
    """The last day on which the answer is due."""
    months = EXTENDED_RESPONSE_MONTHS if extended else RESPONSE_MONTHS
    return next_working_day(add_months(receipt_date(received_at, timezone), months), region)


def validate_region(region: str) -> str:
    """``DE-NW`` style code of a country subdivision that ``holidays`` knows."""
    _split_region(region)
    return region


def validate_timezone(timezone: str) -> str:
    _zone(timezone)
    return timezone


def _split_region(region: str) -> tuple[str, str | None]:
    country, separator, subdivision = region.upper().partition("-")
    supported = holidays.list_supported_countries()
    if country not in supported or (separator and not subdivision):
        raise ConfigError(f"unknown region {region!r}: no such country")
    if subdivision and subdivision not in supported[country]:
        choices = ", ".join(f"{country}-{code}" for code in supported[country])
        raise ConfigError(f"unknown region {region!r}; choose one of {choices}")
    return country, subdivision or None


@lru_cache(maxsize=64)
def _holidays(region: str, year: int) -> holidays.HolidayBase:
    country, subdivision = _split_region(region)
    return holidays.country_holidays(country, subdiv=subdivision, years=[year, year + 1])


@lru_cache(maxsize=16)
def _zone(timezone: str) -> ZoneInfo:
    try:
        return ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(f"unknown time zone {timezone!r}") from exc


def paused_deadline(due: date, paused_days: int, region: str = DEFAULT_REGION) -> date | None:
    """``due`` moved by the days spent waiting for identity information (LEGAL.md §1, a policy
    switch), rolled to a working day; None when nothing was paused."""
    if paused_days <= 0:
        return None
    return next_working_day(due + timedelta(days=paused_days), region)
