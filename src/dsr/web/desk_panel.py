"""What the DPO's request page shows of the desk's work: a timeline that names who did
what with which result, the notes in it, the attachments, who works the request, and the
verification the desk can record."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from litestar import Request

from dsr.domain.deadlines import receipt_date
from dsr.domain.vocabulary import Language, RequestStatus, VerificationLevel
from dsr.i18n import N_, gettext
from dsr.letters.catalog import TITLES, LetterKind
from dsr.models import Request as RequestRow
from dsr.models.base import utcnow
from dsr.rendering import long_date
from dsr.schemas import EventOut
from dsr.services.casework import Casework, NoteRow, desk_members, staff_names
from dsr.web.auth import current_actor
from dsr.web.console import FACT_LABELS
from dsr.web.dpo_intake import desk_notice

KINDS = frozenset(kind.value for kind in LetterKind)
HIDDEN = frozenset({"notes.viewed"})  # audited, but no step of the case
DESK_EVENT_TEXT = {
    "verification.document_seen": N_("ID document seen on %(day)s by %(by)s"),
    "request.assigned": N_("Assigned to %(name)s"),
    "note.added": N_("Note"),
    "attachment.added": N_("Attachment added"),
    "attachment.viewed": N_("Attachment opened"),
}
KBA_RESULT = N_("KBA: %(matched)s of %(given)s answers match")
UNASSIGNED = N_("Assignment removed")
LEVEL_NAMES = {
    VerificationLevel.NONE: N_("not verified"),
    VerificationLevel.EMAIL: N_("e-mail address confirmed"),
    VerificationLevel.EMAIL_MATCHED: N_("e-mail address on file confirmed"),
    VerificationLevel.KBA: N_("answers on the phone"),
    VerificationLevel.DOCUMENT: N_("ID document seen"),
}
WHO = {"subject": N_("the person"), "system": N_("dsr")}


def describe_event(
    event: EventOut,
    language: Language,
    names: Mapping[str, str],
    notes: Mapping[str, NoteRow],
) -> tuple[str, str]:
    """The event in words and what it was about: "KBA: 2 of 3 answers match", a note's
    text, a letter's title, a store."""
    payload = event.payload
    action = event.action
    facts = payload.get("facts")
    if action == "verification.kba_checked" and isinstance(facts, dict):
        text = gettext(language, KBA_RESULT) % {
            "matched": sum(1 for ok in facts.values() if ok),
            "given": len(facts),
        }
        return text, ""
    if action == "verification.document_seen":
        day = str(payload.get("seen_on", ""))
        seen_on = _date(day)
        shown = long_date(seen_on, language) if seen_on else day
        by = names.get(str(payload.get("seen_by")), "?")
        return gettext(language, DESK_EVENT_TEXT[action]) % {"day": shown, "by": by}, ""
    if action == "request.assigned":
        to = payload.get("to")
        if not to:
            return gettext(language, UNASSIGNED), ""
        return gettext(language, DESK_EVENT_TEXT[action]) % {"name": names.get(str(to), "?")}, ""
    if action == "note.added":
        note = notes.get(str(payload.get("note")))
        return gettext(language, DESK_EVENT_TEXT[action]), note.text if note else ""
    if action == "attachment.added":
        size = int(str(payload.get("size") or 0))
        about = f"{str(payload.get('media_type', '')).split('/')[-1].upper()}, {_size(size)}"
        return gettext(language, DESK_EVENT_TEXT[action]), about
    if action == "request.verify" and payload.get("level") in {v.value for v in LEVEL_NAMES}:
        return "", gettext(language, LEVEL_NAMES[VerificationLevel(str(payload["level"]))])
    if action in ("task.found", "task.not_found"):  # the archive's result, with its note
        note = notes.get(str(payload.get("task")))
        return "", note.text if note else str(payload.get("store") or "")
    if action.startswith("letter.") and payload.get("kind") in KINDS:
        return "", gettext(language, TITLES[LetterKind(str(payload["kind"]))])
    return "", str(payload.get("store") or "")


def timeline_rows(
    events: Sequence[EventOut],
    language: Language,
    zone: ZoneInfo,
    base_text: Mapping[str, str],
    names: Mapping[str, str],
    notes: Mapping[str, NoteRow],
) -> list[tuple[str, str, str, str, str]]:
    """(day, hour, what, about, who) per event, oldest first."""
    rows = []
    for event in events:
        if event.action in HIDDEN:
            continue
        text, about = describe_event(event, language, names, notes)
        if not text:
            words = base_text.get(event.action) or DESK_EVENT_TEXT.get(event.action)
            text = gettext(language, words) if words else event.action
        local = event.at.astimezone(zone)
        who = names.get(event.actor) or gettext(language, WHO.get(event.actor, event.actor))
        rows.append((long_date(local.date(), language), local.strftime("%H:%M"), text, about, who))
    return rows


async def desk_page(
    request: Request[Any, Any, Any],
    found: RequestRow,
    events: Sequence[EventOut],
    casework: Casework,
    base_text: Mapping[str, str],
    language: Language,
) -> dict[str, Any]:
    """The request page's timeline and desk panel (``dpo_desk_panel.html``)."""
    settings = request.app.state.settings
    zone = ZoneInfo(settings.timezone)
    session = casework.session
    names = await staff_names(session)
    notes = {str(n.id): n for n in await casework.notes(found, current_actor(request))}
    notes |= await casework.task_notes(found, current_actor(request))
    status = RequestStatus(found.status)
    assignee = names.get(f"staff:{found.assigned_to}") if found.assigned_to else None
    return {
        "timeline": timeline_rows(events, language, zone, base_text, names, notes),
        "desk_notice": desk_notice(request.query_params.get("d"), language),
        "attachments": [
            (str(a.id), a.name, f"{a.media_type.split('/')[-1].upper()}, {_size(a.size)}")
            for a in await casework.attachments(found)
        ],
        "assignee": assignee,
        "members": await desk_members(session),
        "desk_verify": status in (RequestStatus.RECEIVED, RequestStatus.AWAITING_VERIFICATION),
        "desk_facts": [(k, gettext(language, v)) for k, v in FACT_LABELS.items()],
        "today": receipt_date(utcnow(), settings.timezone).isoformat(),
        "actor_name": names.get(current_actor(request).label),
    }


def _size(size: int) -> str:
    return f"{max(1, round(size / 1024))} KB" if size < 1024 * 1024 else f"{size / 1048576:.1f} MB"


def _date(value: str) -> date | None:
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


async def desk_query(request: Request[Any, Any, Any]) -> dict[str, str]:
    """The dashboard's filters: from the URL, and from the posted form, which alone may
    carry the person searched for (an e-mail address or phone number stays out of URLs)."""
    query = {k: v for k, v in request.query_params.items() if k != "person"}
    if request.method == "POST":
        form = await request.form()
        query |= {k: v[:254] for k, v in form.items() if k != "_csrf_token" and isinstance(v, str)}
    return query
