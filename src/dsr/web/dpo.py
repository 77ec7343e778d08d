"""The DPO's desk: every open request by due date, and one request with its timeline,
tasks and actions."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Any
from uuid import UUID
from zoneinfo import ZoneInfo

from litestar import Controller, HttpMethod, Request, get, post, route
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body, PathParameter
from litestar.response import Redirect, Stream, Template
from litestar.status_codes import HTTP_303_SEE_OTHER
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from dsr.domain import references, refusals
from dsr.domain.deadlines import receipt_date
from dsr.domain.errors import DsrError, InvalidInput
from dsr.domain.vocabulary import Channel, Language, Outcome, RequestKind, RequestStatus, Role
from dsr.i18n import N_, gettext, message
from dsr.letters.catalog import TITLES, LetterKind
from dsr.letters.office import LetterOffice
from dsr.letters.render import LetterTemplateError, soffice
from dsr.models import Request as Request_
from dsr.models import Staff
from dsr.models.base import utcnow
from dsr.rendering import long_date
from dsr.services import manual_tasks
from dsr.services.actions import ACTIONS, RequestActions, refusable
from dsr.services.case_view import CaseView
from dsr.services.casework import Casework
from dsr.services.intake import kba_locks
from dsr.services.mail_file import mails_of
from dsr.services.requests import RequestFilters, RequestService
from dsr.services.search import DeskSearch
from dsr.services.stats import PERIODS, bar_chart, monthly, register_rows
from dsr.text import KIND_NAMES, STATUS_NAMES
from dsr.web import confirm, staff_labels
from dsr.web.auth import current_actor, requires_role
from dsr.web.console import staff_page
from dsr.web.desk_panel import desk_page, desk_query
from dsr.web.pages import page_language, request_headline
from dsr.web.staff_labels import deadline_text

FormBody = Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]
Reference = Annotated[
    str, PathParameter(pattern=references.ROUTE_PATTERN, max_length=references.MAX_LENGTH)
]

KINDS = frozenset(kind.value for kind in LetterKind)
LETTER_UNSENT = N_("not sent yet: print it and send it by post")
LETTER_CHANNELS = {
    "email": N_("sent as an e-mail attachment"),
    "download": N_("sent as a one-time download link"),
    "package": N_("in the access package's download"),
    "post": N_("sent by post"),
}
EVENT_TEXT = {
    "request.received": N_("Request received"),
    "request.ask_verification": N_("Confirmation requested"),
    "verification.code_sent": N_("Confirmation code sent"),
    "verification.code_resent": N_("New confirmation code sent"),
    "verification.failed": N_("Wrong confirmation code entered"),
    "verification.kba_checked": N_("Caller's answers checked on the phone"),
    "verification.kba_locked": N_("Phone verification locked for this customer for 24 hours"),
    "verification.kba_refused": N_("Phone check refused: a limit was reached"),
    "verification.code_to_email_on_file": N_("Code sent to the e-mail address on file"),
    "verification.letter_requested": N_("Letter to the postal address on file requested"),
    "request.verify": N_("Identity confirmed"),
    "request.level_raised": N_("Found in the system of record"),
    "tasks.planned": N_("Tasks planned"),
    "task.done": N_("Task done"),
    "task.found": N_("Paper file checked: found"),
    "task.not_found": N_("Paper file checked: nothing found"),
    "subject.identifiers_shown": N_("Identifiers shown to find the file"),
    "task.waiting": N_("Task waits for a person or processor"),
    "task.failed": N_("Task failed"),
    "task.retried": N_("Task retried"),
    "request.approve": N_("Processing approved"),
    "request.finish": N_("Result ready for review"),
    "package.built": N_("Access package built"),
    "package.previewed": N_("Access package previewed"),
    "redaction.added": N_("Withheld from the package (Art. 15(4))"),
    "redaction.removed": N_("Withholding taken back"),
    "package.redacted": N_("Package built again without what was withheld"),
    "request.release": N_("Released to the person"),
    "request.complete": N_("Completed"),
    "download.offered": N_("Download link sent"),
    "letter.created": N_("Letter written"),
    "letter.sent": N_("Letter sent"),
    "download.used": N_("Package downloaded"),
    "download.failed": N_("Wrong download code entered"),
    "request.reject": N_("Refused"),
    "request.withdraw": N_("Withdrawn"),
    "request.extended": N_("Deadline extended"),
    "request.purged": N_("Personal data deleted after the retention period"),
    "request.flagged": N_("Flagged for attention"),
    "mail.filed": N_("Filed from an e-mail"),
    "mail.linked": N_("E-mail from the person attached"),
    "mail.triage_filed": N_("Filed from the triage list"),
    "request.asked_viewed": N_("The person's request viewed"),
}
MAIL_ROLES = {
    "filed": N_("the request"),
    "reply": N_("reply"),
    "reminder": N_("reminder"),
}


OUTCOME_NAMES = {
    Outcome.PROVIDED: N_("Data provided"),
    Outcome.NO_DATA: N_("No data"),
    Outcome.ERASED: N_("Erased"),
    Outcome.PARTIALLY_ERASED: N_("Partly erased (retention)"),
    Outcome.RECTIFIED: N_("Rectified"),
    Outcome.RESTRICTED: N_("Restricted"),
    Outcome.OBJECTION_UPHELD: N_("Objection upheld"),
    Outcome.REFUSED: N_("Refused"),
    Outcome.WITHDRAWN: N_("Withdrawn"),
    Outcome.UNVERIFIABLE: N_("Not identifiable"),
}


NAME_ONLY = N_("only the name removed")
SHARED = N_("kept: used by someone else's records too")
READ_ONLY = N_("kept: read-only")
FILE_FOUND = N_("file found")
FILE_NOT_FOUND = N_("nothing found in the paper file")


def _outcome_label(outcome: str | None, ground: str | None, language: Language) -> str:
    """ "Refused (Art. 17(3)(e))": the outcome in words, with the refusal's provision."""
    if outcome is None:
        return ""
    known = {o.value: o for o in Outcome}
    label = gettext(language, OUTCOME_NAMES[known[outcome]]) if outcome in known else outcome
    chosen = refusals.ground(ground or "")
    if chosen is not None and outcome == Outcome.REFUSED.value:
        label = f"{label} ({chosen.provision[language.value]})"
    return label


def describe_result(result: dict[str, Any], language: Language = Language.DE) -> str:
    """A task summary for people: ``customers 1, orders 10; invoices 8 → 2034-12-31 (law)``."""
    parts = []
    for key in ("counts", "erased", "changed"):
        counts = result.get(key)
        if isinstance(counts, dict) and counts:
            parts.append(", ".join(f"{name} {value}" for name, value in counts.items()))
    written = result.get("columns")
    if isinstance(written, dict) and written:  # a rectification: which columns got the change
        parts.append("; ".join(f"{table}: {', '.join(cols)}" for table, cols in written.items()))
    for held in result.get("held") or []:
        parts.append(
            f"{held.get('table')} {held.get('count')} → {held.get('until')} ({held.get('law')})"
        )
    mentions = result.get("mentions")
    if isinstance(mentions, dict) and mentions:
        parts.append(
            ", ".join(
                f"{name} {count} ({gettext(language, NAME_ONLY)})"
                for name, count in mentions.items()
            )
        )
    for kept in result.get("kept") or []:
        why = SHARED if kept.get("reason") == "shared" else READ_ONLY
        parts.append(f"{kept.get('table')} {kept.get('count')} ({gettext(language, why)})")
    if result.get("found") is not None:
        parts.append(gettext(language, FILE_FOUND if result["found"] else FILE_NOT_FOUND))
    elif result.get("resolved_by"):
        parts.append("✓")
    return "; ".join(parts)


def traffic_light(due: date, today: date) -> str:
    """``overdue`` (red), ``soon`` (3 days or less, amber), ``week`` (7 days), else ``ok``."""
    days = (due - today).days
    if days < 0:
        return "overdue"
    if days <= 3:
        return "soon"
    if days <= 7:
        return "week"
    return "ok"


class DpoController(Controller):
    path = "/dpo"
    include_in_schema = False
    guards = (requires_role(Role.DPO),)

    @route("/", http_method=[HttpMethod.GET, HttpMethod.POST])  # POST: a person search
    async def dashboard(
        self,
        request: Request[Any, Any, Any],
        request_service: NamedDependency[RequestService],
        session: NamedDependency[AsyncSession],
    ) -> Template:
        query = await desk_query(request)
        language = page_language(request)
        agent = None
        if query.get("agent"):
            agent = (
                await session.exec(
                    select(Staff).where(Staff.username == query.get("agent", "")[:64])
                )
            ).first()

        def pick(enum: Any, name: str) -> Any:
            value = query.get(name) or None
            return enum(value) if value in {item.value for item in enum} else None

        search = DeskSearch.from_query(query)
        filters = RequestFilters(
            status=pick(RequestStatus, "status"),
            kind=pick(RequestKind, "kind"),
            channel=pick(Channel, "channel"),
            needs_attention=True if query.get("attention") == "1" else None,
            open_only=not query.get("status") and not search.person,
            created_by=agent.id if agent else None,
            reference=query.get("q") or None,
            more=search.conditions(
                request.app.state.vault,
                request.app.state.settings.timezone,
                current_actor(request).staff_id,
            ),
        )
        cursor = query.get("cursor") or None
        result = await request_service.page(filters, current_actor(request), cursor, 50)
        today = receipt_date(utcnow(), request.app.state.settings.timezone)
        rows = [
            {
                "reference": item.reference,
                "kind": staff_labels.name("kind", item.kind, language),
                "channel": staff_labels.name("channel", item.channel, language),
                "status": staff_labels.name("status", item.status, language),
                "received_on": long_date(item.received_on, language),
                "due_on": long_date(item.extended_due_on or item.due_on, language),
                "light": traffic_light(item.extended_due_on or item.due_on, today)
                if item.status.is_open
                else "closed",
                "light_text": deadline_text(item.extended_due_on or item.due_on, today, language)
                if item.status.is_open
                else "",
                "attention": item.needs_attention,
            }
            for item in result.items
        ]
        agents = (
            await session.exec(
                select(Staff.username)
                .where(Staff.role == Role.AGENT.value)
                .order_by(col(Staff.username))
            )
        ).all()
        more = (
            {k: v for k, v in query.items() if k != "person"} | {"cursor": result.next_cursor}
            if result.next_cursor
            else None
        )
        locks = await kba_locks(session, utcnow() - timedelta(hours=24))
        return staff_page(
            request,
            "dpo_dashboard.html",
            N_("Requests by due date"),
            rows=rows,
            query=dict(query.items()),
            kinds=[(k.value, gettext(language, KIND_NAMES[k])) for k in RequestKind],
            statuses=[(s.value, gettext(language, STATUS_NAMES[s])) for s in RequestStatus],
            channels=[c.value for c in Channel],
            agents=list(agents),
            kba_locks=[reference for reference, _ in locks],
            next_query="&".join(f"{k}={v}" for k, v in more.items()) if more else None,
        )

    @get("/stats")
    async def stats(
        self, request: Request[Any, Any, Any], session: NamedDependency[AsyncSession]
    ) -> Template:
        language = page_language(request)
        timezone = request.app.state.settings.timezone
        asked = request.query_params.get("months", "")
        months = int(asked) if asked in {str(n) for n in PERIODS} else 12
        numbers = await monthly(session, receipt_date(utcnow(), timezone), timezone, months)
        return staff_page(
            request,
            "dpo_stats.html",
            N_("Statistics"),
            stats=numbers,
            months=months,
            periods=PERIODS,
            chart=bar_chart(numbers, gettext(language, N_("Requests received per month"))),
            kinds=[(k.value, staff_labels.name("kind", k, language)) for k in RequestKind],
            channels=[(c.value, staff_labels.name("channel", c, language)) for c in Channel],
            outcomes=[(o.value, gettext(language, OUTCOME_NAMES[o])) for o in Outcome],
        )

    @get("/register.csv")
    async def register(self, request: Request[Any, Any, Any]) -> Stream:
        return Stream(
            register_rows(request.app.state.db, request.app.state.settings.timezone),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="register.csv"'},
        )

    @get("/requests/{reference:str}")
    async def show(
        self,
        request: Request[Any, Any, Any],
        reference: Reference,
        request_service: NamedDependency[RequestService],
        casework: NamedDependency[Casework],
    ) -> Template:
        actor = current_actor(request)
        language = page_language(request)
        found = await request_service.visible(reference, actor)
        detail = await request_service.detail_of(found)
        events, tasks, letters = detail.timeline or [], detail.tasks or [], detail.letters or []
        earlier = await request_service.earlier_requests(found)
        status = RequestStatus(found.status)
        today = receipt_date(utcnow(), request.app.state.settings.timezone)
        notice = request.query_params.get("n")
        error = request.query_params.get("e")
        zone = ZoneInfo(request.app.state.settings.timezone)
        asked = await CaseView.of(request.app.state, request_service.session).page_context(
            found, actor, language, request.app.state.settings.timezone
        )
        desk = await desk_page(request, found, events, casework, EVENT_TEXT, language)
        return staff_page(
            request,
            "dpo_request.html",
            N_("Request"),
            **asked,
            detail=detail,
            outcome_label=_outcome_label(detail.outcome, detail.refusal_ground, language),
            **request_headline(found, language, request.app.state.settings.timezone),
            due_on=long_date(found.due_on, language),
            extended_due_on=long_date(found.extended_due_on, language)
            if found.extended_due_on
            else None,
            paused_due_on=long_date(found.paused_due_on, language) if found.paused_due_on else None,
            paused_days=found.paused_days,
            light=traffic_light(found.effective_due_on, today) if status.is_open else "closed",
            light_text=deadline_text(found.effective_due_on, today, language)
            if status.is_open
            else "",
            manual=manual_tasks.instructions(request.app.state.config, tasks),
            results={t.id: describe_result(t.result or {}, language) for t in tasks},
            mails=[
                (
                    str(m.id),
                    m.received_at.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
                    gettext(language, MAIL_ROLES.get(m.role, m.role)),
                    m.subject,
                    m.attachments,
                )
                for m in await mails_of(request_service.session, request_service.vault, found)
            ],
            earlier=[
                (
                    r.reference,
                    long_date(
                        receipt_date(r.received_at, request.app.state.settings.timezone), language
                    ),
                    gettext(language, KIND_NAMES[RequestKind(r.kind)]),
                )
                for r in earlier
            ],
            grounds=[
                (g.code, g.label[language.value], g.fee)
                for g in refusals.grounds_for(RequestKind(found.kind))
            ],
            can={
                "approve": status is RequestStatus.VERIFIED,
                "release": status is RequestStatus.AWAITING_REVIEW,
                "reject": refusable(found),
                "extend": status.is_open
                and found.extended_due_on is None
                and today <= found.due_on,
                "withdraw": status.is_open,
            },
            has_package=any(e.action == "package.built" for e in events),
            **desk,
            letters=[
                (
                    letter,
                    letter.created_at.astimezone(zone).strftime("%d.%m.%Y %H:%M"),
                    gettext(language, TITLES[LetterKind(letter.kind)]),
                    gettext(language, LETTER_CHANNELS.get(letter.channel or "", LETTER_UNSENT)),
                )
                for letter in letters
            ],
            pdf_available=soffice() is not None,
            notice=confirm.notice(notice, language) if notice else None,
            error=message(error, language) if error else None,
        )

    @post("/letters/{letter_id:uuid}/{step:str}")
    async def letter_step(
        self,
        letter_id: Annotated[UUID, PathParameter()],
        step: Annotated[str, PathParameter(max_length=10)],
        letter_office: NamedDependency[LetterOffice],
    ) -> Redirect:
        """Render a letter again from today's template, or record that it went by post."""
        letter = await letter_office.find(letter_id)
        reference = (await letter_office.session.get_one(Request_, letter.request_id)).reference
        if step == "render":
            try:
                await letter_office.rerender(letter)
            except LetterTemplateError:
                return Redirect(
                    f"/dpo/requests/{reference}?e=letter_template", status_code=HTTP_303_SEE_OTHER
                )
        elif step == "posted":
            await letter_office.mark_posted(letter)
        else:
            return Redirect(
                f"/dpo/requests/{reference}?e=not_found", status_code=HTTP_303_SEE_OTHER
            )
        return Redirect(f"/dpo/requests/{reference}?n=done", status_code=HTTP_303_SEE_OTHER)

    @post("/requests/{reference:str}/actions/{action:str}")
    async def act(
        self,
        request: Request[Any, Any, Any],
        reference: Reference,
        action: Annotated[str, PathParameter(max_length=20)],
        data: FormBody,
        request_service: NamedDependency[RequestService],
        request_actions: NamedDependency[RequestActions],
    ) -> Redirect | Template:
        if action not in ACTIONS:
            return Redirect(
                f"/dpo/requests/{reference}?e=not_found", status_code=HTTP_303_SEE_OTHER
            )
        found = await request_service.visible(reference, current_actor(request))
        body = {
            k: str(v)[:2001]  # one more than a note may hold: too long is refused, not cut
            for k, v in data.items()
            if k in {"reason", "ground", "fee", "task", "note", "found"} and v
        }
        if action in confirm.DPO_STEPS and data.get("confirmed") != confirm.CONFIRMED:
            problem = confirm.missing(action, body)
            if problem is None:
                return confirm.dpo_step(request, found, action, body)
            return Redirect(
                f"/dpo/requests/{reference}?e={problem}", status_code=HTTP_303_SEE_OTHER
            )
        try:
            await request_actions.run(found, action, current_actor(request), body)
        except DsrError as exc:  # nothing of a half-done action stays (a release, no letter)
            await request_service.session.rollback()
            code = (
                next(iter(exc.fields.values()), "invalid_value")
                if isinstance(exc, InvalidInput)
                else exc.code
            )
            return Redirect(f"/dpo/requests/{reference}?e={code}", status_code=HTTP_303_SEE_OTHER)
        return Redirect(f"/dpo/requests/{reference}?n={action}", status_code=HTTP_303_SEE_OTHER)
