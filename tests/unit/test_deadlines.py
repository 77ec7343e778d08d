"""Art. 12(3) deadlines as LEGAL.md §1 counts them. Each row says why the date is what it is."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from dsr.domain.deadlines import add_months, receipt_date, response_deadline, validate_region
from dsr.domain.errors import ConfigError

NRW = [
    # LEGAL.md worked cases and EDPB examples
    (date(2026, 3, 5), date(2026, 4, 7), "Easter Sunday 5 Apr, Easter Monday: Tuesday"),
    (date(2026, 11, 25), date(2026, 12, 28), "25 Dec Friday, 26 Sat, 27 Sun: Monday"),
    (date(2028, 1, 31), date(2028, 2, 29), "leap year: 31 Jan -> 29 Feb"),
    (date(2027, 3, 5), date(2027, 4, 5), "EDPB: 5 March -> 5 April (a Monday)"),
    (date(2026, 8, 31), date(2026, 9, 30), "EDPB: 31 August -> 30 September"),
    # month ends
    (date(2026, 2, 28), date(2026, 3, 30), "28 Feb -> 28 Mar (not 31), a Saturday: Monday"),
    (date(2026, 10, 31), date(2026, 11, 30), "31 Oct -> 30 Nov (clamped)"),
    (date(2027, 1, 31), date(2027, 3, 1), "31 Jan -> 28 Feb 2027, a Sunday: 1 March"),
    (date(2026, 12, 31), date(2027, 2, 1), "31 Dec -> 31 Jan, a Sunday: 1 Feb"),
    # rolls
    (date(2026, 9, 7), date(2026, 10, 7), "a Wednesday: no roll"),
    (date(2026, 4, 30), date(2026, 6, 1), "30 May Saturday: Monday 1 June"),
    (date(2026, 9, 3), date(2026, 10, 5), "3 Oct holiday on a Saturday, Sunday: Monday"),
    (date(2026, 4, 1), date(2026, 5, 4), "1 May holiday (Friday), weekend: Monday"),
    (date(2026, 4, 14), date(2026, 5, 15), "Ascension Day Thursday 14 May: Friday"),
    (date(2026, 4, 25), date(2026, 5, 26), "Whit Monday 25 May: Tuesday"),
    (date(2026, 5, 4), date(2026, 6, 5), "Corpus Christi 4 June is a holiday in NRW"),
    (date(2027, 2, 26), date(2027, 3, 30), "Good Friday, weekend, Easter Monday: Tuesday"),
    (date(2027, 10, 1), date(2027, 11, 2), "All Saints' Day Monday 1 Nov: Tuesday"),
    (date(2026, 11, 24), date(2026, 12, 24), "24 December is a working day"),
    (date(2026, 12, 6), date(2027, 1, 6), "Epiphany is no holiday in NRW"),
    # receipt on a weekend or holiday does not move the start
    (date(2026, 12, 26), date(2027, 1, 26), "received on a holiday that is a Saturday"),
    (date(2026, 4, 5), date(2026, 5, 5), "received on Easter Sunday"),
]


@pytest.mark.parametrize(("received", "due", "why"), NRW)
def test_response_deadline_in_nrw(received: date, due: date, why: str) -> None:
    assert response_deadline(received, "DE-NW") == due, why


@pytest.mark.parametrize(
    ("received", "region", "due"),
    [
        (date(2026, 12, 6), "DE-BY", date(2027, 1, 7)),  # Epiphany is a holiday in Bavaria
        (date(2026, 12, 6), "DE-NW", date(2027, 1, 6)),
        (date(2026, 5, 4), "DE-BE", date(2026, 6, 4)),  # no Corpus Christi in Berlin
        (date(2027, 10, 1), "DE-BE", date(2027, 11, 1)),  # no All Saints' Day in Berlin
    ],
)
def test_the_controllers_state_decides_the_holidays(received: date, region: str, due: date) -> None:
    assert response_deadline(received, region) == due


@pytest.mark.parametrize(
    ("received", "due", "why"),
    [
        (date(2026, 11, 25), date(2027, 2, 25), "receipt + 3 months"),
        (date(2026, 3, 5), date(2026, 6, 5), "from receipt, not 7 Apr + 2 months (7 Jun)"),
        (date(2026, 11, 30), date(2027, 3, 1), "28 Feb 2027 is a Sunday"),
        (date(2027, 11, 30), date(2028, 2, 29), "clamped to the leap day"),
    ],
)
def test_extended_deadline_is_three_months_from_receipt(
    received: date, due: date, why: str
) -> None:
    assert response_deadline(received, "DE-NW", extended=True) == due, why


def test_receipt_is_the_local_calendar_date() -> None:
    # LEGAL.md: an e-mail stamped 2026-06-30T23:30Z arrived on 1 July local time.
    late = datetime(2026, 6, 30, 23, 30, tzinfo=UTC)
    assert receipt_date(late) == date(2026, 7, 1)
    assert response_deadline(late) == date(2026, 8, 3)  # 1 Aug is a Saturday
    earlier = datetime(2026, 6, 30, 21, 30, tzinfo=UTC)  # 23:30 in Berlin
    assert response_deadline(earlier) == date(2026, 7, 30)
    winter = datetime(2026, 12, 31, 23, 30, tzinfo=UTC)  # 00:30 on New Year's Day
    assert receipt_date(winter) == date(2027, 1, 1)


@pytest.mark.parametrize(
    ("start", "months", "end"),
    [
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2024, 1, 31), 1, date(2024, 2, 29)),
        (date(2026, 11, 30), 3, date(2027, 2, 28)),
        (date(2026, 12, 15), 1, date(2027, 1, 15)),
        (date(2026, 3, 31), 1, date(2026, 4, 30)),
    ],
)
def test_add_months_clamps_to_the_month_end(start: date, months: int, end: date) -> None:
    assert add_months(start, months) == end


@pytest.mark.parametrize("region", ["DE-XX", "XX", "DE-", "de-nw-extra"])
def test_unknown_region_is_a_config_error(region: str) -> None:
    with pytest.raises(ConfigError):
        validate_region(region)
        response_deadline(date(2026, 1, 1), region)
