"""Staff pages: sign-in with password and TOTP, the agent's phone intake, staff admin."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID
from zoneinfo import ZoneInfo

from litestar import Controller, Request, get, post
from litestar.datastructures import Cookie
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body, PathParameter
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_303_SEE_OTHER, HTTP_400_BAD_REQUEST
from pydantic import ValidationError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from dsr.config import localized
from dsr.domain import references
from dsr.domain.deadlines import receipt_date, response_deadline
from dsr.domain.errors import InvalidInput
from dsr.domain.kba import FACTS
from dsr.domain.vocabulary import Language, RequestKind, RequestStatus, Role
from dsr.i18n import N_, gettext, message
from dsr.models import Request as RequestRow
from dsr.models import Staff
from dsr.models.base import utcnow
from dsr.rendering import long_date
from dsr.schemas import RequestIn
from dsr.security import ratelimit
from dsr.services.intake import KbaOutcome, PhoneIntake
from dsr.services.public import ADDRESS_INPUTS, IDENTIFIER_INPUT, form_changes, form_input
from dsr.services.requests import RequestService
from dsr.services.staff import (
    USERNAME,
    add_staff,
    deactivate_staff,
    list_tokens,
    reactivate_staff,
    revoke_token,
)
from dsr.services.staff_auth import SignIn, StaffAuth, reset_totp
from dsr.text import CHANGE_FIELDS, FORM_LABELS, KIND_NAMES, SINGLE_CHANGES
from dsr.web import confirm, staff_labels
from dsr.web.auth import (
    SESSION_COOKIE,
    cookie_name,
    current_actor,
    requires_enrolment,
    requires_role,
)
from dsr.web.pages import page, page_language, request_headline
from dsr.web.public import client_address
from dsr.web.staff_labels import staff_message, staff_names

FormBody = Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]
Reference = Annotated[
    str, PathParameter(pattern=references.ROUTE_PATTERN, max_length=references.MAX_LENGTH)
]
Username = Annotated[str, PathParameter(pattern=r"^[a-z0-9][a-z0-9._-]{1,63}$")]

FACT_LABELS = {
    "customer_number": N_("Customer number"),
    "last_invoice_date": N_("Date of the last invoice"),
    "last_invoice_amount": N_("Amount of the last invoice"),
    "phone_pin": N_("Phone PIN"),
}
NOTICES = {
    "code": N_("A code is on its way to the e-mail address on file."),
    "letter": N_("A letter with a code will be sent to the postal address on file."),
    "none": N_("There is no e-mail address on file: offer the letter."),
    "refused": N_(
        "No more phone checks are possible for this caller now: offer a code to the e-mail "
        "address on file or a letter. The data protection officer has been told."
    ),
    "email": N_(
        "The caller is identified. A change of contact details is confirmed through the "
        "e-mail address on file first: a code is on its way there."
    ),
}
LANDING = {
    Role.AGENT.value: "/console",
    Role.DPO.value: "/dpo",
    Role.ADMIN.value: "/admin/staff",
}


def _session_cookie(request: Request[Any, Any, Any], token: str | None) -> Cookie:
    settings = request.app.state.settings
    return Cookie(
        key=cookie_name(SESSION_COOKIE, settings),
        value=token or "",
        max_age=None if token else 0,
        httponly=True,
        samesite="strict",
        secure=settings.https,
        path="/",
    )


def _session_token(request: Request[Any, Any, Any]) -> str:
    return request.cookies.get(cookie_name(SESSION_COOKIE, request.app.state.settings), "")


def staff_page(
    request: Request[Any, Any, Any], template: str, title: str, **context: Any
) -> Template:
    names = staff_names(page_language(request))
    return page(request, template, title, actor=current_actor(request), names=names, **context)


class SignInController(Controller):
    include_in_schema = False

    @get("/login")
    async def form(self, request: Request[Any, Any, Any]) -> Template:
        return staff_page(request, "login.html", N_("Staff sign-in"), error=None, username="")

    @post("/login")
    async def sign_in(
        self,
        request: Request[Any, Any, Any],
        data: FormBody,
        session: NamedDependency[AsyncSession],
    ) -> Template | Redirect:
        await request.app.state.limiter.check(ratelimit.SIGN_IN_PER_IP, client_address(request))
        auth = StaffAuth(session, request.app.state.vault.cipher)
        username = str(data.get("username", ""))[:64]
        result = await auth.sign_in(
            username, str(data.get("password", "")), str(data.get("code", ""))
        )
        if result.outcome in (SignIn.OK, SignIn.SET_UP) and result.token:
            target = (
                "/login/setup"
                if result.outcome is SignIn.SET_UP
                else LANDING.get(result.role or "", "/console")
            )
            return Redirect(
                target,
                status_code=HTTP_303_SEE_OTHER,
                cookies=[_session_cookie(request, result.token)],
            )
        language = page_language(request)
        # One answer for a wrong password or code, an unknown user and a locked account.
        text = N_(
            "Username, password or code is not correct. After five failed attempts in a row "
            "an account is locked for 15 minutes."
        )
        template = staff_page(
            request,
            "login.html",
            N_("Staff sign-in"),
            error=gettext(language, text),
            username=username,
        )
        template.status_code = HTTP_400_BAD_REQUEST
        return template

    @get("/login/setup", guards=[requires_enrolment])
    async def setup_form(
        self, request: Request[Any, Any, Any], session: NamedDependency[AsyncSession]
    ) -> Template:
        return await self._setup(request, session, {})

    @post("/login/setup", guards=[requires_enrolment])
    async def setup(
        self,
        request: Request[Any, Any, Any],
        data: FormBody,
        session: NamedDependency[AsyncSession],
    ) -> Template | Redirect:
        auth = StaffAuth(session, request.app.state.vault.cipher)
        actor = current_actor(request)
        try:
            token = await auth.enrol(
                actor,
                _session_token(request),
                str(data.get("password", "")),
                str(data.get("repeat", "")),
                str(data.get("code", "")),
            )
        except InvalidInput as exc:
            template = await self._setup(request, session, exc.fields)
            template.status_code = HTTP_400_BAD_REQUEST
            return template
        target = LANDING.get(actor.role or "", "/console")
        return Redirect(
            target, status_code=HTTP_303_SEE_OTHER, cookies=[_session_cookie(request, token)]
        )

    @post("/logout")
    async def sign_out(
        self, request: Request[Any, Any, Any], session: NamedDependency[AsyncSession]
    ) -> Redirect:
        token = _session_token(request)
        if token:
            await StaffAuth(session, request.app.state.vault.cipher).sign_out(token)
        return Redirect(
            "/login", status_code=HTTP_303_SEE_OTHER, cookies=[_session_cookie(request, None)]
        )

    async def _setup(
        self, request: Request[Any, Any, Any], session: AsyncSession, errors: dict[str, str]
    ) -> Template:
        auth = StaffAuth(session, request.app.state.vault.cipher)
        staff = await session.get_one(Staff, current_actor(request).staff_id)
        language = page_language(request)
        return staff_page(
            request,
            "setup.html",
            N_("Set up your account"),
            qr=auth.provisioning_qr(staff),
            secret=auth.secret_of(staff),
            errors={name: message(code, language) for name, code in errors.items()},
        )


class ConsoleController(Controller):
    path = "/console"
    include_in_schema = False
    guards = (requires_role(Role.AGENT, Role.DPO),)

    @get("/")
    async def requests(
        self, request: Request[Any, Any, Any], session: NamedDependency[AsyncSession]
    ) -> Template:
        actor = current_actor(request)
        language = page_language(request)
        query = select(RequestRow).order_by(col(RequestRow.received_at).desc()).limit(200)
        if actor.role == Role.AGENT.value:
            query = query.where(RequestRow.created_by == actor.staff_id)
        rows = (await session.exec(query)).all()
        timezone = request.app.state.settings.timezone
        today = receipt_date(utcnow(), timezone)

        def row(r: RequestRow) -> dict[str, str]:
            return {
                "reference": r.reference,
                "kind": staff_labels.name("kind", r.kind, language),
                "status": staff_labels.name("status", r.status, language),
                "received_on": long_date(receipt_date(r.received_at, timezone), language),
                "due_on": long_date(r.effective_due_on, language),
            }

        todays = [row(r) for r in rows if receipt_date(r.received_at, timezone) == today]
        still_open = [
            row(r)
            for r in rows
            if RequestStatus(r.status).is_open and receipt_date(r.received_at, timezone) != today
        ]
        return staff_page(
            request,
            "console_list.html",
            N_("Requests"),
            sections=[
                (gettext(language, N_("Today")), todays),
                (gettext(language, N_("Open")), still_open),
            ],
        )

    @get("/new")
    async def new(self, request: Request[Any, Any, Any]) -> Template:
        return self._intake(request, {"kind": "", "answer_channel": "email"}, {})

    @post("/new")
    async def record(
        self,
        request: Request[Any, Any, Any],
        data: FormBody,
        phone_intake: NamedDependency[PhoneIntake],
    ) -> Template | Redirect:
        form = {k: str(v)[:600] for k, v in data.items()}
        actor = current_actor(request)
        try:
            body = {
                "kind": form.get("kind", ""),
                "channel": "phone",
                "language": page_language(request).value,
                "subject": {
                    "name": form.get("name", ""),
                    "customer_number": form.get("customer_number") or None,
                    "identifiers": {
                        t.name: value
                        for t in request.app.state.config.identifiers
                        if (value := form.get(IDENTIFIER_INPUT + t.name, "").strip())
                    },
                },
                "changes": form_changes(
                    {
                        "change_field": form.get("change_field", ""),
                        "change_right": form.get("change_value", "").strip(),
                        "change_wrong": "",
                        **{name: form.get(name, "").strip() for name in ADDRESS_INPUTS},
                    }
                )
                if form.get("kind") == "rectification"
                else [],
            }
            data_in = RequestIn.model_validate(body)
            outcome = await phone_intake.record(
                data_in, actor, {name: form.get(name, "") for name in FACTS}
            )
        except ValidationError as exc:
            fields = {
                ".".join(str(p) for p in e["loc"]).replace("subject.", ""): "invalid_value"
                for e in exc.errors()
            }
            return self._intake(request, form, fields)
        except InvalidInput as exc:
            fields = {_console_input(k): v for k, v in exc.fields.items()}
            return self._intake(request, form, fields)
        checked, notice = _checked_and_notice(outcome)
        return Redirect(
            f"/console/requests/{outcome.request.reference}?checked={checked}{notice}",
            status_code=HTTP_303_SEE_OTHER,
        )

    @get("/requests/{reference:str}")
    async def show(
        self,
        request: Request[Any, Any, Any],
        reference: Reference,
        request_service: NamedDependency[RequestService],
    ) -> Template:
        actor = current_actor(request)
        found = await request_service.visible(reference, actor)
        detail = await request_service.detail_of(found)
        language = page_language(request)
        checked = _parse_checked(request.query_params.get("checked", ""))
        notice = NOTICES.get(request.query_params.get("n", ""))
        return staff_page(
            request,
            "console_request.html",
            N_("Request"),
            detail=detail,
            **request_headline(found, language, request.app.state.settings.timezone),
            due_on=long_date(found.effective_due_on, language),
            checked=checked,
            fact_labels={k: gettext(language, v) for k, v in FACT_LABELS.items()},
            facts=[(k, gettext(language, v)) for k, v in FACT_LABELS.items()],
            can_verify=found.status
            in (RequestStatus.RECEIVED.value, RequestStatus.AWAITING_VERIFICATION.value),
            notice=gettext(language, notice) if notice else None,
        )

    @post("/requests/{reference:str}/check")
    async def check(
        self,
        request: Request[Any, Any, Any],
        reference: Reference,
        data: FormBody,
        request_service: NamedDependency[RequestService],
        phone_intake: NamedDependency[PhoneIntake],
    ) -> Redirect:
        actor = current_actor(request)
        found = await request_service.visible(reference, actor)
        outcome = await phone_intake.check(
            found, actor, {name: str(data.get(name, ""))[:64] for name in FACTS}
        )
        checked, notice = _checked_and_notice(outcome)
        return Redirect(
            f"/console/requests/{reference}?checked={checked}{notice}",
            status_code=HTTP_303_SEE_OTHER,
        )

    @post("/requests/{reference:str}/code")
    async def code(
        self,
        request: Request[Any, Any, Any],
        reference: Reference,
        request_service: NamedDependency[RequestService],
        phone_intake: NamedDependency[PhoneIntake],
    ) -> Redirect:
        return await self._on_file(request, reference, request_service, phone_intake, "code")

    @post("/requests/{reference:str}/letter")
    async def letter(
        self,
        request: Request[Any, Any, Any],
        reference: Reference,
        request_service: NamedDependency[RequestService],
        phone_intake: NamedDependency[PhoneIntake],
    ) -> Redirect:
        return await self._on_file(request, reference, request_service, phone_intake, "letter")

    async def _on_file(
        self,
        request: Request[Any, Any, Any],
        reference: str,
        request_service: RequestService,
        phone_intake: PhoneIntake,
        channel: str,
    ) -> Redirect:
        """Verify through a channel on file: a code by e-mail, or a letter."""
        actor = current_actor(request)
        found = await request_service.visible(reference, actor)
        if channel == "letter":
            await phone_intake.letter_to_address_on_file(found, actor)
            notice = "letter"
        else:
            notice = "code" if await phone_intake.code_to_email_on_file(found, actor) else "none"
        return Redirect(f"/console/requests/{reference}?n={notice}", status_code=HTTP_303_SEE_OTHER)

    def _intake(
        self, request: Request[Any, Any, Any], form: dict[str, str], errors: dict[str, str]
    ) -> Template:
        language = page_language(request)
        settings = request.app.state.settings
        declared = request.app.state.config.identifiers
        now = utcnow()
        template = staff_page(
            request,
            "console_new.html",
            N_("Phone request"),
            form={
                k: form.get(k, "")
                for k in (
                    "kind",
                    "name",
                    "date_of_birth",
                    "answer_channel",
                    "change_field",
                    "change_value",
                    *ADDRESS_INPUTS,
                    *(IDENTIFIER_INPUT + t.name for t in declared),
                )
            },
            errors={name: message(code, language) for name, code in errors.items()},
            labels={
                "kind": gettext(language, N_("Kind of request")),
                "name": gettext(language, N_("Caller's name")),
                "change_value": gettext(language, N_("New value")),
                **{name: gettext(language, FORM_LABELS[name]) for name in ADDRESS_INPUTS},
                **{IDENTIFIER_INPUT + t.name: localized(t.label, language.value) for t in declared},
            },
            identifier_fields=[
                (IDENTIFIER_INPUT + t.name, localized(t.label, language.value), t.max_length)
                for t in declared
            ],
            kinds=[(k.value, gettext(language, KIND_NAMES[k])) for k in RequestKind],
            change_fields=[(k, gettext(language, CHANGE_FIELDS[k])) for k in SINGLE_CHANGES],
            facts=[(k, gettext(language, v)) for k, v in FACT_LABELS.items()],
            received_on=long_date(receipt_date(now, settings.timezone), language),
            due_on=long_date(
                response_deadline(now, settings.region, timezone=settings.timezone), language
            ),
        )
        if errors:
            template.status_code = HTTP_400_BAD_REQUEST
        return template


class AdminController(Controller):
    path = "/admin"
    include_in_schema = False
    guards = (requires_role(Role.ADMIN),)

    @get("/staff")
    async def staff(
        self, request: Request[Any, Any, Any], session: NamedDependency[AsyncSession]
    ) -> Template:
        return await self._staff(request, session, None, {})

    @post("/staff")
    async def add(
        self,
        request: Request[Any, Any, Any],
        data: FormBody,
        session: NamedDependency[AsyncSession],
    ) -> Template:
        role = str(data.get("role", ""))
        try:
            if role not in {r.value for r in Role}:
                raise InvalidInput({"role": "invalid_value"})
            created = await add_staff(
                session,
                request.app.state.vault.cipher,
                str(data.get("username", "")),
                Role(role),
                current_actor(request),
            )
        except InvalidInput as exc:
            return await self._staff(request, session, None, exc.fields)
        return await self._staff(
            request,
            session,
            {"username": created.username, "password": created.one_time_password},
            {},
        )

    @post("/staff/{username:str}/deactivate")
    async def deactivate(
        self,
        request: Request[Any, Any, Any],
        username: Username,
        data: FormBody,
        session: NamedDependency[AsyncSession],
    ) -> Redirect | Template:
        person = (await session.exec(select(Staff).where(Staff.username == username))).first()
        if person is None:
            return await self._staff(request, session, None, {"username": "invalid_username"})
        if data.get("confirmed") != confirm.CONFIRMED:
            return self._confirm(request, person, "deactivate")
        try:
            await deactivate_staff(session, username, current_actor(request))
        except InvalidInput as exc:
            return await self._staff(request, session, None, exc.fields)
        request.app.state.tokens.clear()  # other processes drop their tokens within seconds
        return Redirect(
            f"/admin/staff?n=deactivated&who={username}", status_code=HTTP_303_SEE_OTHER
        )

    @post("/staff/{username:str}/reactivate")
    async def reactivate(
        self,
        request: Request[Any, Any, Any],
        username: Username,
        session: NamedDependency[AsyncSession],
    ) -> Redirect:
        await reactivate_staff(session, username, current_actor(request))
        return Redirect(
            f"/admin/staff?n=reactivated&who={username}", status_code=HTTP_303_SEE_OTHER
        )

    @post("/staff/{username:str}/reset")
    async def reset(
        self,
        request: Request[Any, Any, Any],
        username: Username,
        data: FormBody,
        session: NamedDependency[AsyncSession],
    ) -> Template:
        person = (await session.exec(select(Staff).where(Staff.username == username))).first()
        if person is None:
            return await self._staff(request, session, None, {"username": "invalid_username"})
        if data.get("confirmed") != confirm.CONFIRMED:
            return self._confirm(request, person, "reset")
        password = await reset_totp(
            session, request.app.state.vault.cipher, person.id, current_actor(request)
        )
        request.app.state.tokens.clear()  # the reset revoked the person's API tokens
        return await self._staff(request, session, {"username": username, "password": password}, {})

    def _confirm(self, request: Request[Any, Any, Any], person: Staff, action: str) -> Template:
        language = page_language(request)
        what = ADMIN_STEPS[action]
        return confirm.step(
            request,
            heading=N_("Please confirm"),
            what=gettext(language, what) % {"name": person.username},
            action_url=f"/admin/staff/{person.username}/{action}",
            back="/admin/staff",
            button=action,
            fields={},
        )

    @post("/tokens/{token_id:uuid}/revoke")
    async def revoke(
        self,
        request: Request[Any, Any, Any],
        token_id: Annotated[UUID, PathParameter()],
        session: NamedDependency[AsyncSession],
    ) -> Redirect:
        await revoke_token(session, token_id, current_actor(request))
        request.app.state.tokens.clear()  # other processes drop their tokens within seconds
        return Redirect("/admin/staff", status_code=HTTP_303_SEE_OTHER)

    @get("/config")
    async def config(self, request: Request[Any, Any, Any]) -> Template:
        problems: list[str] = []
        for connector in request.app.state.connectors.values():
            problems += await connector.check()
        return staff_page(
            request,
            "admin_config.html",
            N_("Configuration"),
            problems=problems,
            stores=len(request.app.state.config.stores),
        )

    async def _staff(
        self,
        request: Request[Any, Any, Any],
        session: AsyncSession,
        shown: dict[str, str] | None,
        errors: dict[str, str],
    ) -> Template:
        language = page_language(request)
        people = (await session.exec(select(Staff).order_by(col(Staff.username)))).all()
        timezone = request.app.state.settings.timezone
        template = staff_page(
            request,
            "admin_staff.html",
            N_("Staff"),
            staff=people,
            tokens=[
                {
                    "id": str(token.id),
                    "username": token.username,
                    "label": token.label or "",
                    "created": local_time(token.created_at, timezone),
                    "last_used": local_time(token.last_used_at, timezone),
                }
                for token in await list_tokens(session, revoked=False)
            ],
            shown=shown,
            errors={k: staff_message(v, language) for k, v in errors.items()},
            notice=_staff_notice(request, language),
        )
        if errors:
            template.status_code = HTTP_400_BAD_REQUEST
        return template


ADMIN_STEPS = {
    "deactivate": N_(
        "Deactivates %(name)s: their sessions end now, their API tokens stop working, and "
        "they can no longer sign in until an admin reactivates the account."
    ),
    "reset": N_(
        "Resets the password and the TOTP of %(name)s: their old password, authenticator "
        "entry and API tokens stop working; you get a one-time password to hand over."
    ),
}
STAFF_NOTICES = {
    "deactivated": N_("%(name)s deactivated: signed out everywhere."),
    "reactivated": N_("%(name)s reactivated: can sign in again."),
}


def _staff_notice(request: Request[Any, Any, Any], language: Language) -> str | None:
    code = request.query_params.get("n", "")
    who = request.query_params.get("who", "")[:64]
    if code not in STAFF_NOTICES or not USERNAME.match(who):
        return None
    return gettext(language, STAFF_NOTICES[code]) % {"name": who}


def local_time(moment: datetime | None, timezone: str) -> str:
    """``01.12.2026 20:15`` in the desk's time zone (staff pages), or empty."""
    return moment.astimezone(ZoneInfo(timezone)).strftime("%d.%m.%Y %H:%M") if moment else ""


def _checked_and_notice(outcome: KbaOutcome) -> tuple[str, str]:
    """The query of the page after a check: per-fact answers (none when it was refused)."""
    checked = ",".join(f"{k}:{int(v)}" for k, v in outcome.matched.items())
    channel = "refused" if outcome.refused else outcome.old_channel
    return checked, f"&n={channel}" if channel else ""


def _parse_checked(value: str) -> dict[str, bool]:
    result: dict[str, bool] = {}
    for part in value.split(",")[:4]:
        name, _, flag = part.partition(":")
        if name in FACTS and flag in {"0", "1"}:
            result[name] = flag == "1"
    return result


def _console_input(path: str) -> str:
    """The console form's input an API field path came from."""
    if path.startswith("subject.identifiers."):
        return IDENTIFIER_INPUT + path.removeprefix("subject.identifiers.")
    if path.startswith("subject."):
        return path.removeprefix("subject.")
    if path.startswith("changes"):
        return {"change_right": "change_value", "change_wrong": "change_value"}.get(
            name := form_input(path, "change_value"), name
        )
    return path
