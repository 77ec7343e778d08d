"""Readiness and Prometheus metrics."""

from __future__ import annotations

from litestar import MediaType, Response, get
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.status_codes import HTTP_200_OK, HTTP_503_SERVICE_UNAVAILABLE
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Gauge, generate_latest
from sqlmodel.ext.asyncio.session import AsyncSession

from dsr.domain.deadlines import receipt_date
from dsr.domain.vocabulary import RequestStatus
from dsr.models.base import utcnow
from dsr.services.requests import request_counts, work_counts


@get("/health", tags=["system"], summary="Readiness: is the database reachable?")
async def health(state: State) -> Response[dict[str, str]]:
    if await state.db.ping():
        return Response({"status": "ok"}, status_code=HTTP_200_OK)
    return Response({"status": "unavailable"}, status_code=HTTP_503_SERVICE_UNAVAILABLE)


@get("/metrics", tags=["system"], summary="Prometheus metrics", media_type=MediaType.TEXT)
async def metrics(state: State, session: NamedDependency[AsyncSession]) -> Response[bytes]:
    """Read from the database at each scrape, so every process answers for the whole
    installation: requests by status and overdue, tasks and mails by state, and the queues
    (ready now). Counts only: no reference, store value or address."""
    now = utcnow()
    counts = await request_counts(session, receipt_date(now, state.settings.timezone))
    work = await work_counts(session, now)
    registry = CollectorRegistry(auto_describe=False)
    requests = Gauge("dsr_requests", "Requests by status.", ["status"], registry=registry)
    for status in RequestStatus:
        requests.labels(status.value).set(counts.by_status.get(status.value, 0))
    Gauge("dsr_requests_overdue", "Open requests past their due date.", registry=registry).set(
        counts.overdue
    )
    tasks = Gauge(
        "dsr_tasks", "Tasks by state (done, failed, waiting, ...).", ["status"], registry=registry
    )
    for task_status, number in sorted(work.tasks.items()):
        tasks.labels(task_status).set(number)
    mails = Gauge(
        "dsr_mails", "Outgoing mails by state (sent, failed, pending).", ["status"],
        registry=registry,
    )  # fmt: skip
    for mail_status, number in sorted(work.mails.items()):
        mails.labels(mail_status).set(number)
    queue = Gauge(
        "dsr_queue_ready", "Work ready to run now, not yet taken.", ["queue"], registry=registry
    )
    queue.labels("tasks").set(work.tasks_ready)
    queue.labels("mails").set(work.mails_ready)
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
