"""What the requester does on the public pages: submit, confirm, follow, withdraw."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Any

from jinja2 import Environment
from pydantic import ValidationError
from sqlmodel.ext.asyncio.session import AsyncSession

from dsr.config import Controller
from dsr.domain.changes import ADDRESS, ADDRESS_PARTS
from dsr.domain.deadlines import receipt_date
from dsr.domain.errors import InvalidInput
from dsr.domain.identity import normalize_email
from dsr.domain.vocabulary import Language, RequestKind, RequestStatus
from dsr.i18n import N_, gettext
from dsr.models import Request
from dsr.notify.requester import RequesterMail
from dsr.rendering import long_date
from dsr.schemas import RequestIn
from dsr.security import ratelimit
from dsr.security.ratelimit import RateLimiter
from dsr.security.vault import Vault
from dsr.services.requests import RequestService
from dsr.services.verification import CodeCheck, EmailVerification
from dsr.text import KIND_NAMES, NEXT_STEPS, STATUS_NAMES
from dsr.workflows import engine
from dsr.workflows.engine import SUBJECT

ADDRESS_INPUTS = tuple(f"address_{part}" for part in ADDRESS_PARTS)
# API field paths -> the form's field names.
FORM_FIELD = {
    "kind": "kind",
    "subject": "name",
    "subject.name": "name",
    "subject.email": "email",
    "subject.phone": "phone",
    "subject.customer_number": "customer_number",
    "details": "details",
    "changes": "change_right",
    "changes.0.value": "change_right",
    "changes.0.current": "change_wrong",
    "changes.0.field": "change_field",
    "language": "kind",
}
FORM_INPUTS = (
    "kind",
    "name",
    "email",
    "phone",
    "customer_number",
    "details",
    "change_field",
    "change_wrong",
    "change_right",
    *ADDRESS_INPUTS,
)


class FormInvalid(InvalidInput):
    """Form fields (by their HTML names) with message codes."""


@dataclass(frozen=True, slots=True)
class StatusView:
    reference: str
    status_text: str
    kind_text: str
    received_on: str
    due_on: str
    next_step: str
    awaiting_code: bool
    can_withdraw: bool


@dataclass(slots=True)
class PublicDesk:
    session: AsyncSession
    vault: Vault
    requests: RequestService
    verification: EmailVerification
    limiter: RateLimiter
    mail: Environment
    controller: Controller
    base_url: str
    sender_address: str

    async def submit(self, form: dict[str, str], language: Language, client: str) -> str:
        """Create a web request from the form; return the private status token."""
        data = parse_form(form, language)
        try:
            _, token = await self.open_web(data, client)
        except InvalidInput as exc:
            raise FormInvalid(_to_form_fields(exc.fields)) from exc
        return token

    async def open_web(self, data: RequestIn, client: str) -> tuple[Request, str]:
        """A web request (form or API): stored, and a code sent to the address given."""
        await self.limiter.check(ratelimit.SUBMIT_PER_IP, client)
        if data.subject.email:
            try:
                email_key = self.vault.index("email", normalize_email(data.subject.email))
                await self.limiter.check(ratelimit.SUBMIT_PER_EMAIL, email_key or "")
            except ValueError:
                pass  # reported as a field error when the request is opened
        request, token = await self.requests.open(data, SUBJECT)
        if token is None:
            raise InvalidInput({"channel": "invalid_value"})
        await self.verification.start(request, token)
        return request, token

    async def status(self, token: str) -> Request:
        return await self.requests.by_status_token(token)

    async def requests_by_id(self, request_id: uuid.UUID) -> Request:
        return await self.session.get_one(Request, request_id)

    def view(self, request: Request, language: Language) -> StatusView:
        status = RequestStatus(request.status)
        return StatusView(
            reference=request.reference,
            status_text=gettext(language, STATUS_NAMES[status]),
            kind_text=gettext(language, KIND_NAMES[RequestKind(request.kind)]),
            received_on=long_date(
                receipt_date(request.received_at, self.requests.timezone), language
            ),
            due_on=long_date(request.effective_due_on, language),
            next_step=gettext(language, NEXT_STEPS[status]),
            awaiting_code=status is RequestStatus.AWAITING_VERIFICATION,
            can_withdraw=status.is_open,
        )

    async def verify_code(self, token: str, code: str, client: str) -> tuple[Request, CodeCheck]:
        await self.limiter.check(ratelimit.VERIFY_PER_IP, client)
        request = await self.status(token)
        return request, await self.verification.check_code(request, code)

    async def verify_reference(self, reference: str, code: str, client: str) -> Request:
        """The API twin of the code form: any failure is one generic 400."""
        await self.limiter.check(ratelimit.VERIFY_PER_IP, client)
        request = await self.requests.by_reference(reference)
        if await self.verification.check_code(request, code) is not CodeCheck.OK:
            raise InvalidInput({"code": "wrong_code"})
        return request

    async def confirm_link(self, link: str, client: str) -> Request | None:
        await self.limiter.check(ratelimit.VERIFY_PER_IP, client)
        return await self.verification.confirm_link(link)

    async def resend(self, token: str) -> Request:
        request = await self.status(token)
        await self.limiter.check(ratelimit.RESEND_PER_REQUEST, str(request.id))
        await self.limiter.check(ratelimit.RESEND_PER_DAY, str(request.id))
        await self.verification.resend(request, token)
        return request

    async def withdraw(self, token: str, client: str) -> Request:
        await self.limiter.check(ratelimit.STATUS_ACTION_PER_IP, client)
        request = await self.status(token)
        outcome = await engine.apply(self.session, request, "withdraw", SUBJECT)
        if outcome.changed:
            await self._send_withdrawn(request)
        return outcome.request

    async def _send_withdrawn(self, request: Request) -> None:
        mailer = RequesterMail(self.mail, self.vault, self.controller, self.sender_address)
        await mailer.send(
            self.session,
            request,
            "withdrawn",
            N_("Your request %(reference)s has been withdrawn"),
            start_url=f"{self.base_url}/",
        )


IDENTIFIER_INPUT = "identifier_"  # + the name of an identifier type asked for on the form


def parse_form(form: dict[str, str], language: Language) -> RequestIn:
    """The form as an API request, or ``FormInvalid`` naming form fields."""
    values = {name: (form.get(name) or "").strip() for name in FORM_INPUTS}
    identifiers = {
        name.removeprefix(IDENTIFIER_INPUT): value.strip()
        for name, value in form.items()
        if name.startswith(IDENTIFIER_INPUT) and value.strip()
    }
    kind = values["kind"]
    changes = form_changes(values) if kind == RequestKind.RECTIFICATION.value else []
    body = {
        "kind": kind,
        "channel": "web",
        "language": language.value,
        "subject": {
            "name": values["name"],
            "email": values["email"] or None,
            "phone": values["phone"] or None,
            "customer_number": values["customer_number"] or None,
            "identifiers": identifiers,
        },
        "details": values["details"] or None,
        "changes": changes,
    }
    errors: dict[str, str] = {}
    if not kind:
        errors["kind"] = "choose_kind"
    if not values["name"]:
        errors["name"] = "required"
    if not values["email"]:
        errors["email"] = "required"
    if kind == RequestKind.RECTIFICATION.value and not any(
        values[name] for name in ("change_right", *ADDRESS_INPUTS)
    ):
        errors["change_right"] = "required"
    try:
        data = RequestIn.model_validate(body)
    except ValidationError as exc:
        for error in exc.errors():
            path = ".".join(str(part) for part in error["loc"])
            code = "too_long" if error["type"] == "string_too_long" else "invalid_value"
            errors.setdefault(form_input(path, "kind"), code)
        raise FormInvalid(errors) from exc
    if errors:
        raise FormInvalid(errors)
    return data


def _to_form_fields(fields: dict[str, str]) -> dict[str, str]:
    return {form_input(path, "details"): code for path, code in fields.items()}


def form_changes(values: dict[str, str]) -> list[dict[str, Any]]:
    """The form's changes: the new address in its parts first, then the one other change
    (name, e-mail, …) if given; the service expands the address into one change a part."""
    changes: list[dict[str, Any]] = []
    address = {part: values[f"address_{part}"] or None for part in ADDRESS_PARTS}
    if any(address.values()):
        changes.append({"field": ADDRESS, "address": address})
    if values["change_right"] or values["change_wrong"]:
        changes.append(
            {
                "field": values["change_field"] or "other",
                "value": values["change_right"],
                "current": values["change_wrong"] or None,
            }
        )
    return changes


_CHANGE_PATH = re.compile(r"^changes\.\d+\.(?:address\.|postal_address\.)?(\w+)$")
_CHANGE_INPUT = {
    "value": "change_right",
    "current": "change_wrong",
    "field": "change_field",
    **{part: f"address_{part}" for part in ADDRESS_PARTS},
}


def form_input(path: str, default: str) -> str:
    """The form input an API field path came from."""
    if path.startswith("subject.identifiers."):
        return IDENTIFIER_INPUT + path.removeprefix("subject.identifiers.")
    match = _CHANGE_PATH.match(path)
    if match and match.group(1) in _CHANGE_INPUT:
        return _CHANGE_INPUT[match.group(1)]
    return FORM_FIELD.get(path, "address_street" if path.endswith(".address") else default)
