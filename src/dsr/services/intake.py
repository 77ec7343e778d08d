"""The agent's phone intake: record the request, check what the caller says against the
system of record, and answer only "matched" or "not matched" per fact (LEGAL.md §2).

Name, date of birth and address are not secret and never count. Two matched facts verify
the caller (level ``kba``); otherwise the answer goes out through a channel on file.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import update
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from dsr.config import DsrConfig, KbaLatest
from dsr.connectors.base import Connector, Identifiers
from dsr.connectors.sql import SqlConnector
from dsr.domain.errors import ConfigError, InvalidInput, InvalidTransition
from dsr.domain.identity import normalize_customer_number, normalize_email
from dsr.domain.vocabulary import Channel, Language, RequestStatus, VerificationLevel
from dsr.i18n import N_, gettext
from dsr.models import Request, Subject, Verification
from dsr.models.base import utcnow
from dsr.schemas import RequestIn
from dsr.security import ratelimit
from dsr.security.audit import append_event
from dsr.security.passwords import token_digest
from dsr.security.ratelimit import RateLimiter
from dsr.security.vault import Vault
from dsr.services.requests import RequestService
from dsr.services.verification import EmailVerification, identity_pause
from dsr.workflows import engine
from dsr.workflows.engine import Actor

FACTS = ("customer_number", "last_invoice_date", "last_invoice_amount", "phone_pin")
REQUIRED_MATCHES = 2
MAX_CHECKS = 3  # per request


CONTACT_FIELDS = frozenset({"email", "phone", "postal_address"})
PHONE_DOUBT = N_(
    "On the phone we could not be sure that the call came from you, so we are writing to the "
    "address we have on file for you."
)


@dataclass(frozen=True, slots=True)
class KbaOutcome:
    request: Request
    matched: dict[str, bool]  # only the facts the caller gave
    old_channel: str | None = None  # "email" or "letter": a contact change is confirmed there

    @property
    def verified(self) -> bool:
        return sum(self.matched.values()) >= REQUIRED_MATCHES


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
        if request.status not in (
            RequestStatus.RECEIVED.value,
            RequestStatus.AWAITING_VERIFICATION.value,
        ):
            raise InvalidTransition("the caller is verified already or the request is closed")
        await self.limiter.check(ratelimit.KBA_PER_AGENT, str(actor.staff_id))
        checks = await self._checks(request)
        if checks >= MAX_CHECKS:
            raise InvalidTransition("no more checks for this request: use a channel on file")
        given = {
            name: value.strip() for name, value in facts.items() if name in FACTS and value.strip()
        }
        matched = await self._compare(given)
        verified = sum(matched.values()) >= REQUIRED_MATCHES
        self.session.add(
            Verification(
                request_id=request.id,
                method="kba",
                attempts=checks + 1,
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
            payload={"facts": matched, "attempt": checks + 1},
        )
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

    def _changes_contact(self, request: Request) -> bool:
        changes = self.vault.cipher.decrypt_json("request.changes", request.changes_enc) or []
        return any(change.get("field") in CONTACT_FIELDS for change in changes)

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

    async def _checks(self, request: Request) -> int:
        return int(
            (
                await self.session.exec(
                    select(func.count()).where(
                        Verification.request_id == request.id, Verification.method == "kba"
                    )
                )
            ).one()
        )

    async def _set_customer_number(self, request: Request, number: str) -> None:
        await self.session.exec(
            update(Subject)
            .where(col(Subject.id) == request.subject_id)
            .values(
                customer_number_enc=self.vault.cipher.encrypt("subject.customer_number", number),
                customer_number_bidx=self.vault.index("customer_number", number),
            )
        )


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
