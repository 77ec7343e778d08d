"""A manual task on the DPO's desk: the identifiers needed to find the person's file, shown
on demand (each view an audit event), next to the form that closes the task."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from litestar import Controller, Request, post
from litestar.di import NamedDependency
from litestar.params import PathParameter
from litestar.response import Template
from sqlmodel.ext.asyncio.session import AsyncSession

from dsr.domain.vocabulary import Role
from dsr.i18n import N_, gettext
from dsr.services.manual_tasks import ManualTasks
from dsr.services.requests import RequestService
from dsr.web.auth import current_actor, requires_role
from dsr.web.console import staff_page
from dsr.web.dpo import Reference
from dsr.web.pages import page_language

IDENTITY_LABELS = (
    ("name", N_("Name")),
    ("email", N_("E-mail address")),
    ("phone", N_("Phone number")),
    ("customer_number", N_("Customer number")),
    ("postal_address", N_("Postal address")),
    ("date_of_birth", N_("Date of birth")),
)


class DpoTaskController(Controller):
    path = "/dpo/requests"
    include_in_schema = False
    guards = (requires_role(Role.DPO),)

    @post("/{reference:str}/tasks/{task_id:uuid}/identifiers", status_code=200)
    async def identifiers(
        self,
        request: Request[Any, Any, Any],
        reference: Reference,
        task_id: Annotated[UUID, PathParameter()],
        request_service: NamedDependency[RequestService],
        session: NamedDependency[AsyncSession],
    ) -> Template:
        actor = current_actor(request)
        found = await request_service.visible(reference, actor)
        state = request.app.state
        search = await ManualTasks(session, state.config, state.vault).reveal(found, task_id, actor)
        language = page_language(request)
        # Only what was proved or found in the system of record, never what a form claimed
        # (an erasure must not destroy another person's file); the name as the person gave it.
        labels = dict(IDENTITY_LABELS)
        shown = [
            (gettext(language, N_("Name (as given, not proved)")), search.identity.name),
            *(
                (gettext(language, labels[kind]) if kind in labels else kind, ", ".join(values))
                for kind, values in sorted(search.keys.values.items())
                if values
            ),
        ]
        return staff_page(
            request,
            "dpo_manual_task.html",
            N_("Find the file"),
            reference=found.reference,
            task=search.task,
            instructions=search.instructions,
            shown=shown,
        )
