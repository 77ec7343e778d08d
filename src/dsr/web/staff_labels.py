"""The words staff pages use for codes (``web``, ``email_matched``, ``completed``, ``agent``)
and beside deadline lights; the person's pages keep their own wording (``dsr.text``)."""

from __future__ import annotations

from datetime import date

from dsr.domain.vocabulary import (
    Channel,
    Language,
    RequestKind,
    RequestStatus,
    Role,
    VerificationLevel,
)
from dsr.i18n import N_, gettext
from dsr.workflows import plan

STATUS: dict[str, str] = {
    RequestStatus.RECEIVED: N_("Received, not confirmed yet"),
    RequestStatus.AWAITING_VERIFICATION: N_("Waiting for the person to confirm"),
    RequestStatus.VERIFIED: N_("Identity confirmed, waiting for approval"),
    RequestStatus.PROCESSING: N_("Being processed in the stores"),
    RequestStatus.AWAITING_REVIEW: N_("Result waiting for review"),
    RequestStatus.COMPLETED: N_("Completed"),
    RequestStatus.REJECTED: N_("Refused"),
    RequestStatus.WITHDRAWN: N_("Withdrawn"),
}
KIND: dict[str, str] = {
    RequestKind.ACCESS: N_("Access (Art. 15)"),
    RequestKind.RECTIFICATION: N_("Rectification (Art. 16)"),
    RequestKind.ERASURE: N_("Erasure (Art. 17)"),
    RequestKind.RESTRICTION: N_("Restriction (Art. 18)"),
    RequestKind.PORTABILITY: N_("Data portability (Art. 20)"),
    RequestKind.OBJECTION: N_("Objection (Art. 21)"),
}
CHANNEL: dict[str, str] = {
    Channel.WEB: N_("Web form"),
    Channel.PHONE: N_("Phone"),
    Channel.EMAIL: N_("E-mail"),
    Channel.LETTER: N_("Letter"),
}
LEVEL: dict[str, str] = {
    VerificationLevel.NONE: N_("not verified"),
    VerificationLevel.EMAIL: N_("e-mail address confirmed"),
    VerificationLevel.EMAIL_MATCHED: N_("e-mail confirmed and found in the system of record"),
    VerificationLevel.KBA: N_("verified on the phone (known facts)"),
    VerificationLevel.DOCUMENT: N_("ID document seen"),
}
ROLE: dict[str, str] = {
    Role.AGENT: N_("Call-center agent"),
    Role.DPO: N_("Data protection officer"),
    Role.ADMIN: N_("Administrator"),
}
TASK_ACTION: dict[str, str] = {
    plan.FIND: N_("look up"),
    plan.EXPORT: N_("export"),
    plan.ERASE: N_("erase"),
    plan.RECTIFY: N_("rectify"),
    plan.MANUAL: N_("by hand"),
}
TASK_STATUS: dict[str, str] = {
    plan.PENDING: N_("queued"),
    plan.RUNNING: N_("running"),
    plan.WAITING: N_("waiting for a person or processor"),
    plan.DONE: N_("done"),
    plan.FAILED: N_("failed"),
}
STORES: dict[str, str] = {plan.DPO_DESK: N_("DPO desk")}
TABLES = {
    "status": STATUS,
    "kind": KIND,
    "channel": CHANNEL,
    "level": LEVEL,
    "role": ROLE,
    "task_action": TASK_ACTION,
    "task_status": TASK_STATUS,
    "store": STORES,
}


def staff_names(language: Language) -> dict[str, dict[str, str]]:
    """Every table in ``language``, for templates: ``names.channel["web"]``."""
    return {
        table: {str(code): gettext(language, text) for code, text in entries.items()}
        for table, entries in TABLES.items()
    }


def name(table: str, code: str, language: Language) -> str:
    """One code in words (the code itself when no table knows it)."""
    text = TABLES[table].get(code)
    return gettext(language, text) if text else code


def deadline_text(due: date, today: date, language: Language) -> str:
    """The words beside a deadline light (WCAG 1.4.1: never colour alone)."""
    days = (due - today).days
    if days == 0:
        return gettext(language, N_("due today"))
    if days == 1:
        return gettext(language, N_("1 day left"))
    if days > 1:
        return gettext(language, N_("%(n)d days left")) % {"n": days}
    if days == -1:
        return gettext(language, N_("1 day overdue"))
    return gettext(language, N_("%(n)d days overdue")) % {"n": -days}


MESSAGES: dict[str, str] = {
    "own_account": N_("You cannot deactivate your own account."),
    "last_admin": N_(
        "This is the last active admin: add or reactivate another admin first, or nobody can "
        "manage staff any more."
    ),
}


def staff_message(code: str, language: Language) -> str:
    """A staff page's message for ``code`` (else the shared message of that code)."""
    from dsr.i18n import message

    return gettext(language, MESSAGES[code]) if code in MESSAGES else message(code, language)
