"""Retention-hold arithmetic (LEGAL.md §5): a duty of N years runs from the end of the
calendar year in which the document arose."""

from __future__ import annotations

from datetime import date


def hold_ends(document_date: date, years: int) -> date:
    """Last day the document must be kept: invoice of 15 Mar 2026, 8 years -> 31 Dec 2034."""
    return date(document_date.year + years, 12, 31)


def hold_cutoff(today: date, years: int) -> date:
    """Documents dated on or after this day are still held today."""
    return date(today.year - years, 1, 1)


def is_held(document_date: date, years: int, today: date) -> bool:
    return today <= hold_ends(document_date, years)
