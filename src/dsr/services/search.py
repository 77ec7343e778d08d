"""Finding requests on the DPO's desk: by the person (e-mail, phone or customer number,
looked up through their blind indexes: no clear text reaches SQL), by the day of receipt
and by who works them. The conditions go to ``RequestService.page`` as ``RequestFilters``."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, false, or_
from sqlmodel import col, select

from dsr.domain.errors import InvalidInput
from dsr.domain.identity import normalize_customer_number, normalize_email, normalize_phone
from dsr.models import Request, Subject
from dsr.security.vault import Vault

MINE = "mine"
UNASSIGNED = "none"


@dataclass(frozen=True, slots=True)
class DeskSearch:
    person: str | None = None
    received_from: date | None = None
    received_to: date | None = None
    assigned: str | None = None  # "mine", "none" or empty

    @classmethod
    def from_query(cls, query: Mapping[str, str]) -> DeskSearch:
        """The dashboard's fields; a malformed date is a 400, not an empty list."""
        return cls(
            person=(query.get("person") or "").strip()[:254] or None,
            received_from=_day(query.get("from"), "from"),
            received_to=_day(query.get("to"), "to"),
            assigned=query.get("assigned") if query.get("assigned") in (MINE, UNASSIGNED) else None,
        )

    @property
    def active(self) -> bool:
        return bool(self.person or self.received_from or self.received_to or self.assigned)

    def conditions(
        self, vault: Vault, timezone: str, staff_id: uuid.UUID | None
    ) -> tuple[ColumnElement[bool], ...]:
        found: list[ColumnElement[bool]] = []
        zone = ZoneInfo(timezone)
        if self.person:
            found.append(person_condition(vault, self.person))
        if self.received_from:
            found.append(col(Request.received_at) >= _start_of(self.received_from, zone))
        if self.received_to:
            found.append(
                col(Request.received_at) < _start_of(self.received_to + timedelta(days=1), zone)
            )
        if self.assigned == MINE:
            found.append(col(Request.assigned_to) == staff_id)
        elif self.assigned == UNASSIGNED:
            found.append(col(Request.assigned_to).is_(None))
        return tuple(found)


def person_condition(vault: Vault, given: str) -> ColumnElement[bool]:
    """Requests whose subject has this e-mail, phone or customer number: the text is read
    as each of them that it can be, and only their keyed hashes are compared."""
    keys: list[ColumnElement[bool]] = []
    for name, normal, column in (
        ("email", normalize_email, Subject.email_bidx),
        ("phone", normalize_phone, Subject.phone_bidx),
        ("customer_number", normalize_customer_number, Subject.customer_number_bidx),
    ):
        if name == "email" and "@" not in given:
            continue
        try:
            value = normal(given)
        except ValueError:
            continue
        keys.append(col(column) == vault.index(name, value))
    if not keys:
        return false()
    return col(Request.subject_id).in_(select(Subject.id).where(or_(*keys)))


def _day(value: str | None, name: str) -> date | None:
    if not value:
        return None
    try:
        day = date.fromisoformat(value[:10])
    except ValueError as exc:
        raise InvalidInput({name: "invalid_value"}) from exc
    if not FIRST_DAY <= day <= LAST_DAY:  # 0001-01-01 or 9999-12-31 overflow in the query
        raise InvalidInput({name: "invalid_value"})
    return day


FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(2100, 12, 31)


def _start_of(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time.min, tzinfo=zone).astimezone(UTC)
