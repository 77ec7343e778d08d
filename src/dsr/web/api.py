"""The JSON API under /api/v1: thin handlers that parse, call one service, and return."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal
from uuid import UUID

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.exceptions import HTTPException
from litestar.params import FromQuery, JSONBody, PathParameter, QueryParameter
from litestar.response import Stream
from litestar.status_codes import HTTP_201_CREATED, HTTP_415_UNSUPPORTED_MEDIA_TYPE

from dsr import artifacts
from dsr.domain import references
from dsr.domain.errors import NotFound
from dsr.domain.vocabulary import Channel, RequestKind, RequestStatus, Role
from dsr.letters.office import LetterOffice
from dsr.letters.render import DOCX
from dsr.schemas import (
    ActionIn,
    DeskVerificationIn,
    DeskVerificationOut,
    LetterOut,
    RequestCreated,
    RequestDetail,
    RequestIn,
    RequestPage,
    VerifyIn,
    VerifyOut,
)
from dsr.services.actions import ACTIONS, RequestActions
from dsr.services.callbacks import Callbacks
from dsr.services.case_view import CaseView
from dsr.services.desk import LEVEL_OF, Desk, DeskMethod
from dsr.services.public import PublicDesk
from dsr.services.requests import RequestFilters, RequestService, letter_out
from dsr.web.auth import current_actor, requires_role
from dsr.web.dependencies import provide_letter_office, provide_public_desk
from dsr.web.public import client_address

REFERENCE = PathParameter(
    pattern=references.ROUTE_PATTERN,
    max_length=references.MAX_LENGTH,
    description="e.g. DSR-2026-000042",
)


async def require_json(request: Request[Any, Any, Any]) -> None:
    """A body must be declared JSON. A browser may send ``text/plain`` across sites without
    asking first; insisting on ``application/json`` keeps other sites' pages from filing
    requests through a visitor's browser."""
    if request.method != "POST":
        return
    media_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media_type != "application/json":
        raise HTTPException(status_code=HTTP_415_UNSUPPORTED_MEDIA_TYPE)


class RequestController(Controller):
    path = "/api/v1/requests"
    tags = ("requests",)

    @post(
        "/",
        before_request=require_json,
        status_code=HTTP_201_CREATED,
        summary="Record a request",
        description="Public for channel 'web'; agents and the DPO for phone, e-mail and letter.",
    )
    async def create(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[RequestIn],
        request_service: NamedDependency[RequestService],
    ) -> RequestCreated:
        if data.channel is not Channel.WEB:
            return await request_service.create(data, current_actor(request))
        # The public desk (mail, letters, rate limits) is built for the web form only: as an
        # injected dependency it was built for every request staff record (a seventh of this
        # handler's time).
        state, session = request.app.state, request_service.session
        public_desk = provide_public_desk(
            state, session, request_service, provide_letter_office(state, session)
        )
        created, token = await public_desk.open_web(data, client_address(request))
        return request_service.created(created, token)

    @post(
        "/{reference:str}/verify",
        before_request=require_json,
        status_code=200,
        summary="Confirm a web request with the e-mailed code",
        description="A wrong, expired or used-up code answers 400 with a generic message.",
    )
    async def verify(
        self,
        request: Request[Any, Any, Any],
        reference: Annotated[str, REFERENCE],
        data: JSONBody[VerifyIn],
        public_desk: NamedDependency[PublicDesk],
    ) -> VerifyOut:
        found = await public_desk.verify_reference(reference, data.code, client_address(request))
        return VerifyOut(
            status=RequestStatus(found.status), verification_level=found.verification_level
        )

    @post(
        "/{reference:str}/verification",
        before_request=require_json,
        status_code=200,
        guards=[requires_role(Role.DPO)],
        summary="Record a verification made at the desk (document seen, KBA, code, letter)",
        description=(
            "For requests recorded by staff (phone, e-mail, letter). document {seen_on, "
            "seen_by?} and a matching kba {facts} verify at once; email_code and letter send "
            "a code through a channel on file. 409 when the request is not awaiting "
            "verification."
        ),
    )
    async def desk_verification(
        self,
        request: Request[Any, Any, Any],
        reference: Annotated[str, REFERENCE],
        data: JSONBody[DeskVerificationIn],
        request_service: NamedDependency[RequestService],
        desk: NamedDependency[Desk],
    ) -> DeskVerificationOut:
        actor = current_actor(request)
        found = await request_service.visible(reference, actor)
        method = DeskMethod(data.method)
        check = await desk.verify(
            found,
            actor,
            method,
            seen_on=data.seen_on,
            seen_by=data.seen_by,
            facts={str(name): value for name, value in data.facts.items()},
        )
        return DeskVerificationOut(
            result=check.result.value,
            level=LEVEL_OF[method].value,
            matched=check.matched,
            status=RequestStatus(found.status),
            verification_level=found.verification_level,
        )

    @get(
        "/",
        guards=[requires_role(Role.AGENT, Role.DPO)],
        summary="List requests in deadline order",
        description="Agents see the requests they recorded; admins none.",
    )
    async def list_requests(
        self,
        request: Request[Any, Any, Any],
        request_service: NamedDependency[RequestService],
        status: FromQuery[RequestStatus | None] = None,
        kind: FromQuery[RequestKind | None] = None,
        channel: FromQuery[Channel | None] = None,
        due_before: FromQuery[date | None] = None,
        needs_attention: FromQuery[bool | None] = None,
        cursor: Annotated[str | None, QueryParameter(max_length=200)] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=200)] = 50,
    ) -> RequestPage:
        filters = RequestFilters(status, kind, channel, due_before, needs_attention)
        return await request_service.page(filters, current_actor(request), cursor, limit)

    @post(
        "/{reference:str}/actions/{action:str}",
        before_request=require_json,
        status_code=200,
        guards=[requires_role(Role.DPO)],
        summary="approve, reject, extend, release, withdraw, retry or resolve_task",
        description=(
            "Bodies: reject {ground, reason}; extend {reason}; retry {task?}; "
            "resolve_task {task, note, found?: yes|no}. "
            "Answers with the request's detail."
        ),
    )
    async def act(
        self,
        request: Request[Any, Any, Any],
        reference: Annotated[str, REFERENCE],
        action: Annotated[str, PathParameter(max_length=20)],
        data: JSONBody[ActionIn],
        request_service: NamedDependency[RequestService],
        request_actions: NamedDependency[RequestActions],
    ) -> RequestDetail:
        if action not in ACTIONS:
            raise NotFound(f"no action {action!r}")
        actor = current_actor(request)
        found = await request_service.by_reference(reference)
        await request_actions.run(found, action, actor, data.model_dump(exclude_none=True))
        return await request_service.detail(reference, actor)

    @get(
        "/{reference:str}/package",
        guards=[requires_role(Role.DPO)],
        summary="The access package (zip) for review",
        media_type="application/zip",
    )
    async def package(
        self,
        request: Request[Any, Any, Any],
        reference: Annotated[str, REFERENCE],
        request_service: NamedDependency[RequestService],
    ) -> Stream:
        artifact = await request_service.package(reference, current_actor(request))
        state = request.app.state
        return Stream(
            artifacts.stream(state.db, state.vault.cipher, artifact.id),
            media_type="application/zip",
            headers={"Content-Disposition": f'attachment; filename="{reference}.zip"'},
        )

    @get(
        "/{reference:str}",
        guards=[requires_role(Role.AGENT, Role.DPO)],
        summary="One request with its tasks, letters and timeline",
        description="For the DPO. An agent gets status and dates of their own requests only.",
    )
    async def detail(
        self,
        request: Request[Any, Any, Any],
        request_service: NamedDependency[RequestService],
        reference: Annotated[str, REFERENCE],
        include: Annotated[
            Literal["asked"] | None,
            QueryParameter(
                required=False,
                description="asked: what the person asked, with the stores' current values "
                "(DPO only; reads every SQL store and is audited as a view)",
            ),
        ] = None,
    ) -> RequestDetail:
        actor = current_actor(request)
        detail = await request_service.detail(reference, actor)
        if include == "asked" and actor.role == Role.DPO.value:
            found = await request_service.by_reference(reference)
            view = CaseView.of(request.app.state, request_service.session)
            detail.asked = await view.asked(found, actor)
        return detail


class LetterController(Controller):
    path = "/api/v1/letters"
    tags = ("letters",)
    guards = (requires_role(Role.DPO),)

    @get(
        "/{letter_id:uuid}",
        summary="An archived letter as DOCX, or as PDF with ?format=pdf (needs LibreOffice)",
        media_type=DOCX,
    )
    async def letter(
        self,
        letter_id: Annotated[UUID, PathParameter()],
        letter_office: NamedDependency[LetterOffice],
        fmt: Annotated[
            Literal["docx", "pdf"], QueryParameter(name="format", required=False)
        ] = "docx",
    ) -> Response[bytes]:
        letter = await letter_office.find(letter_id)
        content, media_type, filename = await letter_office.document(letter, pdf=fmt == "pdf")
        return Response(
            content,
            media_type=media_type,
            headers={"Content-Disposition": f'attachment; filename="{filename}"'},
        )

    @post(
        "/{letter_id:uuid}/render",
        status_code=HTTP_201_CREATED,
        summary="Render a letter again from the current template (a new archived version)",
    )
    async def rerender(
        self,
        letter_id: Annotated[UUID, PathParameter()],
        letter_office: NamedDependency[LetterOffice],
    ) -> LetterOut:
        letter = await letter_office.rerender(await letter_office.find(letter_id))
        return letter_out(letter)


@post(
    "/api/v1/callbacks/{task_id:str}",
    status_code=204,
    tags=["processors"],
    summary="A processor reports the result of a task it accepted (signed like our calls)",
)
async def processor_callback(
    request: Request[Any, Any, Any],
    task_id: Annotated[str, PathParameter(max_length=64)],
    callbacks: NamedDependency[Callbacks],
) -> None:
    body = await request.body()
    await callbacks.receive(
        task_id,
        request.headers.get("x-dsr-timestamp", ""),
        request.headers.get("x-dsr-signature", ""),
        body,
    )
