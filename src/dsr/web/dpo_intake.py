"""The DPO's desk beyond the request list: record a letter or e-mail that arrived at the
office, verify a request from the desk, give it to someone, note and attach things."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Annotated, Any
from uuid import UUID
from zoneinfo import ZoneInfo

from litestar import Controller, Request, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body, PathParameter
from litestar.response import Redirect, Stream, Template
from litestar.status_codes import HTTP_303_SEE_OTHER, HTTP_400_BAD_REQUEST
from pydantic import ValidationError

from dsr import artifacts
from dsr.domain import references
from dsr.domain.deadlines import receipt_date
from dsr.domain.errors import DsrError, InvalidInput
from dsr.domain.kba import FACTS
from dsr.domain.vocabulary import Channel, Language, RequestKind, Role
from dsr.i18n import N_, gettext, message
from dsr.models.base import utcnow
from dsr.schemas import RequestIn
from dsr.services.casework import ATTACHMENT_MAX, Casework, Upload
from dsr.services.desk import Desk, DeskMethod, DeskResult
from dsr.services.requests import RequestService
from dsr.text import CHANGE_FIELDS, KIND_NAMES, SINGLE_CHANGES
from dsr.web.auth import current_actor, requires_role
from dsr.web.console import staff_page
from dsr.web.pages import page_language

FormBody = Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]
UploadBody = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.MULTI_PART)]
Reference = Annotated[
    str, PathParameter(pattern=references.ROUTE_PATTERN, max_length=references.MAX_LENGTH)
]
UPLOAD_LIMIT = ATTACHMENT_MAX + 256 * 1024  # the file and the form around it
FIELDS = (
    "kind", "channel", "received_on", "language", "name", "email", "phone",
    "customer_number", "postal_address", "details", "change_field", "change_value",
)  # fmt: skip
LABELS = {
    "kind": N_("Kind of request"),
    "channel": N_("Arrived by"),
    "received_on": N_("Received on"),
    "name": N_("Name"),
    "email": N_("E-mail address"),
    "phone": N_("Phone number"),
    "customer_number": N_("Customer number"),
    "postal_address": N_("Postal address"),
    "details": N_("What the person writes (optional)"),
    "change_value": N_("New value"),
    "attachment": N_("Attachment"),
}
DESK_NOTICES = {
    DeskResult.VERIFIED: N_("Identity confirmed."),
    DeskResult.NOT_MATCHED: N_("The answers did not confirm the caller's identity."),
    DeskResult.REFUSED: N_("No more phone checks are possible now: use another method."),
    DeskResult.CODE_SENT: N_("A code is on its way to the e-mail address on file."),
    DeskResult.NO_EMAIL_ON_FILE: N_("There is no e-mail address on file: send a letter."),
    DeskResult.LETTER_REQUESTED: N_("A letter with a code to the postal address on file is ready."),
    "recorded": N_("Request recorded."),
    "assigned": N_("Assignment saved."),
    "noted": N_("Note saved."),
    "attached": N_("Attachment saved."),
}


def desk_notice(code: str | None, language: Language) -> str | None:
    """The desk's own notices on the request page (``?d=...``)."""
    text = DESK_NOTICES.get(code or "")
    return gettext(language, text) if text else None


class DeskController(Controller):
    path = "/dpo"
    include_in_schema = False
    guards = (requires_role(Role.DPO),)

    @get("/intake")
    async def intake_form(self, request: Request[Any, Any, Any]) -> Template:
        today = receipt_date(utcnow(), request.app.state.settings.timezone)
        return self._form(request, {"channel": "letter", "received_on": today.isoformat()}, {})

    @post("/intake", request_max_body_size=UPLOAD_LIMIT)
    async def intake(
        self,
        request: Request[Any, Any, Any],
        data: UploadBody,
        desk: NamedDependency[Desk],
    ) -> Template | Redirect:
        form = {k: str(data.get(k) or "")[:5000] for k in FIELDS}
        upload = await _upload(data.get("attachment"))
        settings = request.app.state.settings
        if form["change_field"] and form["change_field"] not in SINGLE_CHANGES:
            # an address changes in its parts only (the API takes them): one part alone
            # would write a new street beside the old postcode and city
            return self._form(request, form, {"change_field": "invalid_value"})
        try:
            received_at = _arrival(form["received_on"], settings.timezone)
            body = {
                "kind": form["kind"],
                "channel": form["channel"],
                "language": form["language"] or "de",
                "received_at": received_at,
                "subject": {
                    "name": form["name"],
                    **{
                        k: form[k] or None
                        for k in ("email", "phone", "customer_number", "postal_address")
                    },
                },
                "details": form["details"] or None,
                "changes": (
                    [{"field": form["change_field"] or "other", "value": form["change_value"]}]
                    if form["kind"] == RequestKind.RECTIFICATION.value and form["change_value"]
                    else []
                ),
            }
            created = await desk.record(
                RequestIn.model_validate(body), current_actor(request), upload
            )
        except ValidationError as exc:
            fields = {
                str(e["loc"][-1] if e["loc"][0] == "subject" else e["loc"][0]): "invalid_value"
                for e in exc.errors()
            }
            return self._form(request, form, fields)
        except InvalidInput as exc:
            fields = {
                k.replace("subject.", "").replace("received_at", "received_on").split(".")[0]: v
                for k, v in exc.fields.items()
            }
            return self._form(request, form, fields)
        return Redirect(
            f"/dpo/requests/{created.reference}?d=recorded", status_code=HTTP_303_SEE_OTHER
        )

    @post("/requests/{reference:str}/verification")
    async def verification(
        self,
        request: Request[Any, Any, Any],
        reference: Reference,
        data: FormBody,
        request_service: NamedDependency[RequestService],
        desk: NamedDependency[Desk],
    ) -> Redirect:
        actor = current_actor(request)
        found = await request_service.visible(reference, actor)
        try:
            method = DeskMethod(str(data.get("method", "")))
            seen_on = _date_or_none(str(data.get("seen_on", "")), "seen_on")
            check = await desk.verify(
                found,
                actor,
                method,
                seen_on=seen_on,
                seen_by=str(data.get("seen_by", ""))[:64] or None,
                facts={name: str(data.get(name, ""))[:64] for name in FACTS},
            )
        except ValueError:
            return _back(reference, error="invalid_value")
        except DsrError as exc:  # nothing half-done stays (counted attempts are committed)
            await request_service.session.rollback()
            if isinstance(exc, InvalidInput):
                return _back(reference, error=next(iter(exc.fields.values()), "invalid_value"))
            return _back(reference, error=exc.code)
        return _back(reference, notice=check.result.value)

    @post("/requests/{reference:str}/assign")
    async def assign(
        self,
        request: Request[Any, Any, Any],
        reference: Reference,
        data: FormBody,
        request_service: NamedDependency[RequestService],
        casework: NamedDependency[Casework],
    ) -> Redirect:
        actor = current_actor(request)
        found = await request_service.visible(reference, actor)
        try:
            await casework.assign(found, actor, str(data.get("assignee", ""))[:64] or None)
        except InvalidInput as exc:
            return _back(reference, error=next(iter(exc.fields.values())))
        return _back(reference, notice="assigned")

    @post("/requests/{reference:str}/notes")
    async def note(
        self,
        request: Request[Any, Any, Any],
        reference: Reference,
        data: FormBody,
        request_service: NamedDependency[RequestService],
        casework: NamedDependency[Casework],
    ) -> Redirect:
        actor = current_actor(request)
        found = await request_service.visible(reference, actor)
        try:
            await casework.add_note(found, actor, str(data.get("note", ""))[:8000])
        except InvalidInput as exc:
            return _back(reference, error=next(iter(exc.fields.values())))
        return _back(reference, notice="noted")

    @post("/requests/{reference:str}/attachments", request_max_body_size=UPLOAD_LIMIT)
    async def attach(
        self,
        request: Request[Any, Any, Any],
        reference: Reference,
        data: UploadBody,
        request_service: NamedDependency[RequestService],
        casework: NamedDependency[Casework],
    ) -> Redirect:
        actor = current_actor(request)
        found = await request_service.visible(reference, actor)
        upload = await _upload(data.get("attachment"))
        try:
            if upload is None:
                raise InvalidInput({"attachment": "required"})
            await casework.attach(found, actor, upload)
        except InvalidInput as exc:
            return _back(reference, error=next(iter(exc.fields.values())))
        return _back(reference, notice="attached")

    @get("/attachments/{artifact_id:uuid}")
    async def attachment(
        self,
        request: Request[Any, Any, Any],
        artifact_id: Annotated[UUID, PathParameter()],
        casework: NamedDependency[Casework],
    ) -> Stream:
        artifact, _, name = await casework.open_attachment(artifact_id, current_actor(request))
        state = request.app.state
        return Stream(
            artifacts.stream(state.db, state.vault.cipher, artifact.id),
            media_type=artifact.media_type,
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )

    def _form(
        self, request: Request[Any, Any, Any], form: dict[str, str], errors: dict[str, str]
    ) -> Template:
        language = page_language(request)
        settings = request.app.state.settings
        today = receipt_date(utcnow(), settings.timezone)
        template = staff_page(
            request,
            "dpo_intake.html",
            N_("Record a letter or e-mail"),
            form={k: form.get(k, "") for k in FIELDS},
            errors={name: message(code, language) for name, code in errors.items()},
            labels={k: gettext(language, v) for k, v in LABELS.items()},
            kinds=[(k.value, gettext(language, KIND_NAMES[k])) for k in RequestKind],
            channels=[
                (Channel.LETTER.value, gettext(language, N_("Letter"))),
                (Channel.EMAIL.value, gettext(language, N_("E-mail"))),
            ],
            change_fields=[
                (k, gettext(language, v)) for k, v in CHANGE_FIELDS.items() if k in SINGLE_CHANGES
            ],
            today=today.isoformat(),
            max_megabytes=ATTACHMENT_MAX // (1024 * 1024),
        )
        if errors:
            template.status_code = HTTP_400_BAD_REQUEST
        return template


def _arrival(value: str, timezone: str) -> datetime | None:
    """The day a letter arrived, as the start of that day where the office is."""
    if not value:
        return None
    day = _date_or_none(value, "received_at")
    assert day is not None
    return datetime.combine(day, time.min, tzinfo=ZoneInfo(timezone))


def _date_or_none(value: str, name: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError as exc:
        raise InvalidInput({name: "invalid_value"}) from exc


async def _upload(value: Any) -> Upload | None:
    if not isinstance(value, UploadFile):
        return None
    content = await value.read(ATTACHMENT_MAX + 1)
    if not content and not value.filename:
        return None
    return Upload(content, value.content_type or "", value.filename or "")


def _back(reference: str, *, notice: str | None = None, error: str | None = None) -> Redirect:
    query = f"d={notice}" if notice else f"e={error}"
    return Redirect(f"/dpo/requests/{reference}?{query}", status_code=HTTP_303_SEE_OTHER)
