"""The DPO's preview before release: the package as the person will get it, the letter's
draft, and withholding rows or columns (Art. 15(4)) with a reason."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from litestar import Controller, Request, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.enums import RequestEncodingType
from litestar.params import Body, PathParameter
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_303_SEE_OTHER

from dsr.domain import references
from dsr.domain.errors import DsrError, InvalidInput
from dsr.domain.redactions import MAX_NOTE, Reason
from dsr.domain.vocabulary import Language, Role
from dsr.i18n import N_, gettext, message
from dsr.letters.office import LetterOffice
from dsr.letters.withheld import REASON_NAMES
from dsr.services.release import PREVIEW_ROWS, ReleaseDesk
from dsr.services.requests import RequestService
from dsr.web.auth import current_actor, requires_role
from dsr.web.console import staff_page
from dsr.web.pages import page_language
from dsr.workflows.report import names, text

FormBody = Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]
Reference = Annotated[
    str, PathParameter(pattern=references.ROUTE_PATTERN, max_length=references.MAX_LENGTH)
]
FIELDS = frozenset({"store", "table", "row", "column", "reason", "note"})
NOTICES = {
    "withheld": N_("Withheld. The package and the letter leave it out."),
    "restored": N_("Taken back: it goes out with the package again."),
}
ROW = N_("record no. %(number)s")
COLUMN = N_("column “%(column)s”")


def provide_release_desk(state: State, letter_office: NamedDependency[LetterOffice]) -> ReleaseDesk:
    return ReleaseDesk(letter_office.session, state.config, state.vault, letter_office)


class DpoReleaseController(Controller):
    path = "/dpo/requests"
    include_in_schema = False
    guards = (requires_role(Role.DPO),)
    dependencies = {  # noqa: RUF012 - Litestar reads it from the class
        "release_desk": Provide(provide_release_desk, sync_to_thread=False)
    }

    @get("/{reference:str}/preview")
    async def preview(
        self,
        request: Request[Any, Any, Any],
        reference: Reference,
        request_service: NamedDependency[RequestService],
        release_desk: NamedDependency[ReleaseDesk],
    ) -> Template:
        actor = current_actor(request)
        language = page_language(request)
        found = await request_service.visible(reference, actor)
        shown = await release_desk.preview(found, actor)
        letters = Language(found.language).letters
        where, columns = names(
            request.app.state.config, [s.withheld for s in shown.redactions], letters
        )
        notice = request.query_params.get("n")
        error = request.query_params.get("e")
        return staff_page(
            request,
            "dpo_preview.html",
            N_("Preview before release"),
            reference=found.reference,
            report=shown.report,
            letter=shown.letter,
            lines=shown.lines,
            redactions=[
                (
                    str(s.id),
                    where.get((s.withheld.store, s.withheld.table), s.withheld.table),
                    gettext(language, ROW) % {"number": s.withheld.row}
                    if s.withheld.row is not None
                    else gettext(language, COLUMN)
                    % {
                        "column": columns.get(
                            (s.withheld.store, s.withheld.table, s.withheld.column or ""),
                            s.withheld.column,
                        )
                    },
                    gettext(language, REASON_NAMES[s.withheld.reason]),
                    s.withheld.note,
                )
                for s in shown.redactions
            ],
            reasons=[(r.value, gettext(language, REASON_NAMES[r])) for r in Reason],
            max_note=MAX_NOTE,
            preview_rows=PREVIEW_ROWS,
            dpo=True,
            text=text,
            notice=gettext(language, NOTICES[notice]) if notice in NOTICES else None,
            error=message(error, language) if error else None,
        )

    @post("/{reference:str}/redactions")
    async def withhold(
        self,
        request: Request[Any, Any, Any],
        reference: Reference,
        data: FormBody,
        request_service: NamedDependency[RequestService],
        release_desk: NamedDependency[ReleaseDesk],
    ) -> Redirect:
        actor = current_actor(request)
        found = await request_service.visible(reference, actor)
        form = {k: str(v)[: MAX_NOTE + 1] for k, v in data.items() if k in FIELDS}
        try:
            await release_desk.withhold(found, actor, form)
        except DsrError as exc:
            return _back(reference, error=_code(exc))
        return _back(reference, notice="withheld")

    @post("/{reference:str}/redactions/{redaction:uuid}/remove")
    async def restore(
        self,
        request: Request[Any, Any, Any],
        reference: Reference,
        redaction: Annotated[UUID, PathParameter()],
        request_service: NamedDependency[RequestService],
        release_desk: NamedDependency[ReleaseDesk],
    ) -> Redirect:
        actor = current_actor(request)
        found = await request_service.visible(reference, actor)
        try:
            await release_desk.restore(found, actor, str(redaction))
        except DsrError as exc:
            return _back(reference, error=_code(exc))
        return _back(reference, notice="restored")


def _code(exc: DsrError) -> str:
    if isinstance(exc, InvalidInput):
        return next(iter(exc.fields.values()), "invalid_value")
    return exc.code


def _back(reference: str, *, notice: str = "", error: str = "") -> Redirect:
    query = f"e={error}" if error else f"n={notice}"
    return Redirect(f"/dpo/requests/{reference}/preview?{query}", status_code=HTTP_303_SEE_OTHER)
