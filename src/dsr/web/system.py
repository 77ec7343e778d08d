"""Readiness and Prometheus metrics."""

from __future__ import annotations

from litestar import MediaType, Response, get
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.status_codes import HTTP_200_OK, HTTP_503_SERVICE_UNAVAILABLE
from sqlmodel.ext.asyncio.session import AsyncSession

from dsr.domain.deadlines import receipt_date
from dsr.domain.vocabulary import RequestStatus
from dsr.models.base import utcnow
from dsr.services.requests import request_counts


@get("/health", tags=["system"], summary="Readiness: is the database reachable?")
async def health(state: State) -> Response[dict[str, str]]:
    if await state.db.ping():
        return Response({"status": "ok"}, status_code=HTTP_200_OK)
    return Response({"status": "unavailable"}, status_code=HTTP_503_SERVICE_UNAVAILABLE)


@get("/metrics", tags=["system"], summary="Prometheus metrics", media_type=MediaType.TEXT)
async def metrics(state: State, session: NamedDependency[AsyncSession]) -> str:
    counts = await request_counts(session, receipt_date(utcnow(), state.settings.timezone))
    lines = [
        "# HELP dsr_requests Requests by status.",
        "# TYPE dsr_requests gauge",
        *(
            f'dsr_requests{{status="{s.value}"}} {counts.by_status.get(s.value, 0)}'
            for s in RequestStatus
        ),
        "# HELP dsr_requests_overdue Open requests past their due date.",
        "# TYPE dsr_requests_overdue gauge",
        f"dsr_requests_overdue {counts.overdue}",
    ]
    return "\n".join(lines) + "\n"
