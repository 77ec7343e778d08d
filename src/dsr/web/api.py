"""The JSON API under /api/v1: thin handlers that parse, call one service, and return."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromQuery, JSONBody, PathParameter, QueryParameter
from litestar.status_codes import HTTP_201_CREATED

from dsr.domain.vocabulary import Channel, RequestKind, RequestStatus, Role
from dsr.schemas import RequestCreated, RequestDetail, RequestIn, RequestPage, VerifyIn, VerifyOut
from dsr.services.public import PublicDesk
from dsr.services.requests import RequestFilters, RequestService
from dsr.web.auth import current_actor, requires_role
from dsr.web.public import client_address

REFERENCE = PathParameter(
    pattern=r"^DSR-\d{4}-\d{6}$", max_length=16, description="e.g. DSR-2026-000042"
)


class RequestController(Controller):
    path = "/api/v1/requests"
    tags = ("requests",)

    @post(
        "/",
        status_code=HTTP_201_CREATED,
        summary="Record a request",
        description="Public for channel 'web'; staff only for phone, e-mail and letter.",
    )
    async def create(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[RequestIn],
        request_service: NamedDependency[RequestService],
    ) -> RequestCreated:
        return await request_service.create(data, current_actor(request))

    @post(
        "/{reference:str}/verify",
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

    @get(
        "/",
        guards=[requires_role(Role.AGENT, Role.DPO, Role.ADMIN)],
        summary="List requests in deadline order",
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

    @get(
        "/{reference:str}",
        guards=[requires_role(Role.AGENT, Role.DPO, Role.ADMIN)],
        summary="One request with its tasks, letters and timeline",
    )
    async def detail(
        self,
        request: Request[Any, Any, Any],
        request_service: NamedDependency[RequestService],
        reference: Annotated[str, REFERENCE],
    ) -> RequestDetail:
        return await request_service.detail(reference, current_actor(request))
