"""Numbers for the accountability duty (Art. 5(2)): per month what came in and how it ended,
and the register of all requests without personal data."""

from __future__ import annotations

import csv
import io
import statistics
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from html import escape
from zoneinfo import ZoneInfo

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from dsr.db import Database
from dsr.domain.deadlines import add_months, receipt_date
from dsr.domain.vocabulary import RequestStatus
from dsr.models import Request
from dsr.services.requests import request_counts

REGISTER_COLUMNS = (
    "reference",
    "kind",
    "channel",
    "received_on",
    "due_on",
    "extended_due_on",
    "closed_on",
    "status",
    "outcome",
    "refusal_ground",
)


@dataclass
class Month:
    start: date
    received: Counter[str] = field(default_factory=Counter)  # by kind
    channels: Counter[str] = field(default_factory=Counter)
    closed: int = 0
    on_time: int = 0
    days_to_close: list[int] = field(default_factory=list)
    outcomes: Counter[str] = field(default_factory=Counter)  # of the requests received

    @property
    def total(self) -> int:
        return sum(self.received.values())

    @property
    def on_time_percent(self) -> int | None:
        return round(100 * self.on_time / self.closed) if self.closed else None

    @property
    def median_days(self) -> float | None:
        return statistics.median(self.days_to_close) if self.days_to_close else None


PERIODS = (3, 6, 12, 24)  # months the statistics page offers


@dataclass(frozen=True, slots=True)
class Statistics:
    months: list[Month]
    open_now: int
    overdue_now: int

    @property
    def closed(self) -> int:
        return sum(m.closed for m in self.months)

    @property
    def on_time_percent(self) -> int | None:
        """Of the requests received in the period and closed, the share closed by the
        deadline."""
        closed = self.closed
        return round(100 * sum(m.on_time for m in self.months) / closed) if closed else None

    @property
    def median_days(self) -> float | None:
        days = [d for m in self.months for d in m.days_to_close]
        return statistics.median(days) if days else None

    @property
    def channels(self) -> Counter[str]:
        return sum((m.channels for m in self.months), Counter())

    @property
    def outcomes(self) -> Counter[str]:
        return sum((m.outcomes for m in self.months), Counter())


async def monthly(
    session: AsyncSession, today: date, timezone: str, months: int = 12
) -> Statistics:
    first = add_months(today.replace(day=1), -(months - 1))
    by_month = {add_months(first, n): Month(add_months(first, n)) for n in range(months)}
    since = datetime.combine(first, time.min, tzinfo=ZoneInfo(timezone))
    rows = (await session.exec(select(Request).where(col(Request.received_at) >= since))).all()
    for request in rows:
        received = receipt_date(request.received_at, timezone)
        month = by_month.get(received.replace(day=1))
        if month is None:
            continue
        month.received[request.kind] += 1
        month.channels[request.channel] += 1
        if request.outcome:
            month.outcomes[request.outcome] += 1
        if request.closed_at is not None and request.status != RequestStatus.WITHDRAWN.value:
            closed = receipt_date(request.closed_at, timezone)
            month.closed += 1
            month.on_time += closed <= request.effective_due_on
            month.days_to_close.append((closed - received).days)
    counts = await request_counts(session, today)
    open_now = sum(n for status, n in counts.by_status.items() if RequestStatus(status).is_open)
    return Statistics(list(by_month.values()), open_now, counts.overdue)


def bar_chart(stats: Statistics, title: str) -> str:
    """Requests received per month as an inline SVG (no script, no external resource)."""
    width, height, gap = 640, 220, 8
    bar = (width - gap * (len(stats.months) + 1)) / max(len(stats.months), 1)
    peak = max((m.total for m in stats.months), default=0) or 1
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height + 40}" '
        f'role="img" aria-label="{escape(title)}" class="chart">'
    ]
    for index, month in enumerate(stats.months):
        h = round((height - 20) * month.total / peak)
        x = round(gap + index * (bar + gap))
        middle = x + round(bar / 2)
        parts.append(
            f'<rect x="{x}" y="{height - h}" width="{round(bar)}" height="{h}" fill="#0b5cad">'
            f"<title>{month.start:%m/%Y}: {month.total}</title></rect>"
            f'<text x="{middle}" y="{height - h - 4}" font-size="12" text-anchor="middle">'
            f"{month.total}</text>"
            f'<text x="{middle}" y="{height + 16}" font-size="11" text-anchor="middle">'
            f"{month.start:%m/%y}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


async def register_rows(database: Database, timezone: str, batch: int = 5000) -> AsyncIterator[str]:
    """The register as CSV text, read in keyset batches (never all rows at once). It streams
    after the request's own transaction has ended, so each batch has a transaction of its own."""
    out = io.StringIO()
    csv.writer(out).writerow(REGISTER_COLUMNS)
    yield out.getvalue()
    after = ""
    while True:
        async with database.session_scope() as session:
            rows = (
                await session.exec(
                    select(Request)
                    .where(col(Request.reference) > after)
                    .order_by(col(Request.reference))
                    .limit(batch)
                )
            ).all()
        if not rows:
            return
        out = io.StringIO()
        writer = csv.writer(out)
        for r in rows:
            writer.writerow(
                (
                    r.reference,
                    r.kind,
                    r.channel,
                    receipt_date(r.received_at, timezone).isoformat(),
                    r.due_on.isoformat(),
                    r.extended_due_on.isoformat() if r.extended_due_on else "",
                    receipt_date(r.closed_at, timezone).isoformat() if r.closed_at else "",
                    r.status,
                    r.outcome or "",
                    r.refusal_ground or "",
                )
            )
        yield out.getvalue()
        after = rows[-1].reference
