"""The agent's phone intake: record the request, check what the caller says against the
system of record, and answer only "matched" or "not matched" per fact (LEGAL.md §2).

Name, date of birth and address are not secret and never count; which facts verify the
caller (level ``kba``) is ``dsr.domain.kba``'s policy; otherwise the answer goes out through
a channel on file. The limits on checks follow the customer across requests and agents.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from dsr.config import DsrConfig, KbaLatest
from dsr.connectors.base import Connector, Identifiers
from dsr.connectors.sql import SqlConnector
from dsr.domain import kba
from dsr.domain.changes import is_address
from dsr.domain.errors import ConfigError, InvalidInput, InvalidTransition
from dsr.domain.identity import normalize_customer_number, normalize_email
from dsr.domain.kba import FACTS
from dsr.domain.vocabulary import Channel, Language, RequestStatus, VerificationLevel
from dsr.i18n import N_, gettext
from dsr.models import Event, Request, Subject, Verification
from dsr.models.base import utcnow
from dsr.schemas import RequestIn
from dsr.security import attempts, ratelimit
from dsr.security.audit import append_event
from dsr.security.passwords import token_digest
from dsr.security.ratelimit import RateLimiter
from dsr.security.vault import Vault
from dsr.services.requests import RequestService
from dsr.services.verification import EmailVerification, identity_pause
from dsr.workflows import engine
from dsr.workflows.engine import Actor

# Phone checks (each counted before it is judged, ``dsr.security.attempts``): per request,
# and failed ones per customer of the system of record, across requests and agents, and per
# agent. A passed check is given back to the customer's and the agent's counter.
CHECKS_PER_REQUEST = attempts.Window("kba-request", 3, attempts.LONGEST)
FAILED_CHECKS_PER_CUSTOMER = attempts.Window("kba-customer", 5, timedelta(hours=24))
FAILED_CHECKS_PER_AGENT = attempts.Window("kba-agent", 20, timedelta(hours=24))
LOCKED_EVENT = "verification.kba_locked"


CONTACT_FIELDS = frozenset({"email", "phone", "postal_address"})
PHONE_DOUBT = N_(
    "On the phone we could not be sure that the call came from you, so we are writing to the "
    "address we have on file for you."
)


@dataclass(frozen=True, slots=True)
class KbaOutcome:
    request: Request
    matched: dict[str, bool]  # only the facts the caller gave; empty when refused
    old_channel: str | None = None  # "email" or "letter": a contact change is confirmed there
    refused: bool = False  # a limit was reached: nothing was judged, offer a channel on file

    @property
    def verified(self) -> bool:
        return not self.refused and kba.verifies(self.matched)


@dataclass(slots=True)
class PhoneIntake:
    session: AsyncSession
    config: DsrConfig
    connectors: dict[str, Connector]
    vault: Vault
    requests: RequestService
    verification: EmailVerification
    limiter: RateLimiter

    async def record(self, data: RequestIn, actor: Actor, facts: dict[str, str]) -> KbaOutcome:
        """Store the phone request (received today), then check the caller's answers."""
        if data.channel is not Channel.PHONE:
            raise InvalidInput({"channel": "invalid_value"})
        request, _ = await self.requests.open(data, actor)
        return await self.check(request, actor, facts)

    async def check(self, request: Request, actor: Actor, facts: dict[str, str]) -> KbaOutcome:
        """Judge the caller's answers if no limit is reached; the check is counted and
        committed before anything is answered, and a refused check reveals nothing."""
        if request.status not in (
            RequestStatus.RECEIVED.value,
            RequestStatus.AWAITING_VERIFICATION.value,
        ):
            raise InvalidTransition("the caller is verified already or the request is closed")
        await self.limiter.check(ratelimit.KBA_PER_AGENT, str(actor.staff_id))
        given = {
            name: value.strip() for name, value in facts.items() if name in FACTS and value.strip()
        }
        customer = _customer_key(given.get("customer_number"))
        matched = await self._compare(given)
        check = await self._count(request, actor, customer)
        if check is None:
            await attempts.settle(
                self.session,
                actor=actor.label,
                action="verification.kba_refused",
                request_id=request.id,
            )
            return KbaOutcome(request, {}, refused=True)
        verified = kba.verifies(matched)
        if verified:
            await self._give_back(actor, customer)
        self.session.add(
            Verification(
                request_id=request.id,
                method="kba",
                attempts=check.number,
                result="passed" if verified else "failed",
                matched_facts=sorted(name for name, ok in matched.items() if ok),
                completed_at=utcnow(),
            )
        )
        await append_event(
            self.session,
            actor=actor.label,
            action="verification.kba_checked",
            request_id=request.id,
            payload={"facts": matched, "attempt": check.number},
        )
        if check.locks_customer and not verified:
            await append_event(
                self.session,
                actor=actor.label,
                action=LOCKED_EVENT,
                request_id=request.id,
                payload={"failed_checks": FAILED_CHECKS_PER_CUSTOMER.limit, "hours": 24},
            )
        await attempts.settle(self.session)
        if verified:
            number = given.get("customer_number")
            if number:
                await self._set_customer_number(request, normalize_customer_number(number))
            if self._changes_contact(request):
                # A new e-mail, phone or address is an account-takeover route: the change is
                # confirmed through the channel on file before anything is changed.
                if await self.code_to_email_on_file(request, actor):
                    return KbaOutcome(request, matched, old_channel="email")
                await self.letter_to_address_on_file(request, actor)
                return KbaOutcome(request, matched, old_channel="letter")
            paused = None
            if self.config.policies.pause_for_identity:
                paused = await identity_pause(
                    self.session, request, utcnow(), self.requests.region, self.requests.timezone
                )
            outcome = await engine.apply(
                self.session,
                request,
                "verify",
                actor,
                level=VerificationLevel.KBA.value,
                payload={"method": "kba"},
                paused=paused,
            )
            if outcome.changed:
                await self.verification.letters.acknowledge(outcome.request)
        return KbaOutcome(request, matched)

    async def _count(
        self, request: Request, actor: Actor, customer: str | None
    ) -> CountedCheck | None:
        """Count the check on each of its counters, in one order (request, customer, agent);
        None when one of them is used up."""
        now, index = utcnow(), self.vault.index
        number = await attempts.count_keyed(
            self.session, index, CHECKS_PER_REQUEST, str(request.id), now
        )
        if number is None:
            return None
        locks_customer = False
        if customer is not None:
            failed = await attempts.count_keyed(
                self.session, index, FAILED_CHECKS_PER_CUSTOMER, customer, now
            )
            if failed is None:
                return None
            locks_customer = failed >= FAILED_CHECKS_PER_CUSTOMER.limit
        agent = str(actor.staff_id)
        if (
            await attempts.count_keyed(self.session, index, FAILED_CHECKS_PER_AGENT, agent, now)
            is None
        ):
            return None
        return CountedCheck(number, locks_customer)

    async def _give_back(self, actor: Actor, customer: str | None) -> None:
        if customer is not None:
            await attempts.give_back(
                self.session, self.vault.index, FAILED_CHECKS_PER_CUSTOMER, customer
            )
        await attempts.give_back(
            self.session, self.vault.index, FAILED_CHECKS_PER_AGENT, str(actor.staff_id)
        )

    def _changes_contact(self, request: Request) -> bool:
        changes = self.vault.cipher.decrypt_json("request.changes", request.changes_enc) or []
        return any(
            change.get("field") in CONTACT_FIELDS or is_address(str(change.get("field")))
            for change in changes
        )

    async def code_to_email_on_file(self, request: Request, actor: Actor) -> bool:
        """Send a code to the e-mail address the system of record holds (never shown to the
        agent); False when it holds none for this customer."""
        number = self.vault.open_subject(
            await self.session.get_one(Subject, request.subject_id)
        ).customer_number
        record = await self._on_file(number)
        emails = sorted(record.emails) if record else []
        if not emails:
            return False
        subject = await self.session.get_one(Subject, request.subject_id)
        email = normalize_email(emails[0])
        await self.session.exec(
            update(Subject)
            .where(col(Subject.id) == subject.id)
            .values(
                email_enc=self.vault.cipher.encrypt("subject.email", email),
                email_bidx=self.vault.index("email", email),
            )
        )
        token = secrets.token_urlsafe(32)
        await self.session.exec(
            update(Request)
            .where(col(Request.id) == request.id)
            .values(status_token_digest=token_digest(token))
        )
        await self.session.refresh(request)
        await self.verification.start(request, token)
        await append_event(
            self.session,
            actor=actor.label,
            action="verification.code_to_email_on_file",
            request_id=request.id,
        )
        return True

    async def letter_to_address_on_file(self, request: Request, actor: Actor) -> None:
        """The DPO's office sends a letter with a code to the postal address on file."""
        await engine.apply(self.session, request, "ask_verification", actor)
        await append_event(
            self.session,
            actor=actor.label,
            action="verification.letter_requested",
            request_id=request.id,
        )
        doubt = gettext(Language(request.language).letters, PHONE_DOUBT)
        await self.verification.letters.ask_identity(request, doubt)

    async def _compare(self, given: dict[str, str]) -> dict[str, bool]:
        number = given.get("customer_number")
        record = await self._on_file(number) if number else None
        if record is None:
            return {name: False for name in given}
        connector = self._connector()
        matched: dict[str, bool] = {}
        for name, value in given.items():
            if name == "customer_number":
                matched[name] = True
                continue
            stored = await self._fact(connector, record, name)
            matched[name] = stored is not None and _same(name, value, stored)
        return matched

    async def _fact(self, connector: SqlConnector, record: Identifiers, name: str) -> Any:
        store = self.config.system_of_record
        assert store is not None
        spec = store.kba.get(name)
        if spec is None:
            return None
        if isinstance(spec, KbaLatest):
            return await connector.latest_value(record, spec.table, spec.column, spec.latest_by)
        table, _, column = spec.partition(".")
        return await connector.latest_value(record, table, column, column)

    async def _on_file(self, customer_number: str | None) -> Identifiers | None:
        if not customer_number:
            return None
        try:
            number = normalize_customer_number(customer_number)
        except ValueError:
            return None
        found = await self._connector().find(Identifiers.of(customer_numbers=frozenset({number})))
        return found.keys if found.found else None

    def _connector(self) -> SqlConnector:
        store = self.config.system_of_record
        connector = self.connectors.get(store.name) if store else None
        if not isinstance(connector, SqlConnector):
            raise ConfigError("phone verification needs a system of record (an sql store)")
        return connector

    async def _set_customer_number(self, request: Request, number: str) -> None:
        await self.session.exec(
            update(Subject)
            .where(col(Subject.id) == request.subject_id)
            .values(
                customer_number_enc=self.vault.cipher.encrypt("subject.customer_number", number),
                customer_number_bidx=self.vault.index("customer_number", number),
            )
        )


@dataclass(frozen=True, slots=True)
class CountedCheck:
    number: int  # of this request's checks
    locks_customer: bool  # the customer's last failed check allowed in the window


async def kba_locks(session: AsyncSession, since: datetime) -> list[tuple[str, datetime]]:
    """Requests (reference, when) whose customer's phone verification was locked since
    ``since``: the DPO's desk shows them."""
    rows = await session.exec(
        select(Request.reference, Event.at)
        .join(Event, col(Event.request_id) == col(Request.id))
        .where(Event.action == LOCKED_EVENT, col(Event.at) >= since)
        .order_by(col(Event.at).desc())
        .limit(50)
    )
    return [(reference, at) for reference, at in rows.all()]


def _customer_key(customer_number: str | None) -> str | None:
    """The customer a check is about, as the counters key it (then only as a keyed hash)."""
    if not customer_number:
        return None
    try:
        return normalize_customer_number(customer_number)
    except ValueError:
        return None


def _same(name: str, given: str, stored: Any) -> bool:
    if name == "last_invoice_amount":
        return _amount(given) is not None and _amount(given) == _amount(str(stored))
    if name == "last_invoice_date":
        return _day(given) is not None and _day(given) == _day(str(stored))
    return secrets.compare_digest(given.strip(), str(stored).strip())


def _amount(text: str) -> Decimal | None:
    cleaned = re.sub(r"[^\d,.\-]", "", text)
    if "," in cleaned:  # German: 1.234,56
        cleaned = cleaned.replace(".", "").replace(",", ".")
    try:
        return Decimal(cleaned).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        return None


def _day(text: str) -> date | None:
    text = text.strip()[:10]
    match = re.fullmatch(r"(\d{1,2})\.(\d{1,2})\.(\d{4})", text)
    try:
        if match:
            return date(int(match.group(3)), int(match.group(2)), int(match.group(1)))
        return date.fromisoformat(text)
    except ValueError:
        return None
