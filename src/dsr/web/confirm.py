"""The second step before what cannot be undone (approve, release, refuse, withdraw on the
DPO's desk; deactivate and reset on the staff page): a page that says what will happen for
this request or person, and the same form again with ``confirmed=1``. Plain HTML, no
JavaScript; "Cancel" is a link back that changes nothing. After the step, a notice that
names what was done."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from litestar import Request
from litestar.response import Template

from dsr.config import DsrConfig
from dsr.domain import refusals
from dsr.domain.vocabulary import Language, RequestKind
from dsr.i18n import N_, gettext
from dsr.models import Request as Request_
from dsr.web.pages import page_language
from dsr.workflows import plan

DPO_STEPS = frozenset({"approve", "release", "reject", "withdraw"})
CONFIRMED = "1"

APPROVE: dict[str, str] = {
    plan.ERASE: N_(
        "Erases the data of the person of request %(reference)s in %(count)d data stores: "
        "%(stores)s. Rows under a retention hold are restricted instead."
    ),
    plan.RECTIFY: N_(
        "Changes the data of the person of request %(reference)s in %(count)d data stores: "
        "%(stores)s."
    ),
    plan.EXPORT: N_(
        "Exports the data of the person of request %(reference)s from %(count)d data stores "
        "(%(stores)s) into an access package for your review."
    ),
    plan.MANUAL: N_("Starts the work on request %(reference)s at the DPO desk."),
}
RELEASE = N_(
    "Closes request %(reference)s and sends the person the answer letter; an access package "
    "goes out as a one-time download link to the confirmed address."
)
REJECT = N_(
    "Refuses request %(reference)s (%(ground)s) and sends the person the refusal letter with "
    "your reasons."
)
WITHDRAW = N_(
    "Records that the person withdrew request %(reference)s and closes it; nothing more is "
    "done with it."
)
BUTTONS: dict[str, str] = {
    "approve": N_("Yes, approve"),
    "release": N_("Yes, release"),
    "reject": N_("Yes, refuse"),
    "withdraw": N_("Yes, record the withdrawal"),
    "deactivate": N_("Yes, deactivate"),
    "reset": N_("Yes, reset"),
}
NOTICES: dict[str, str] = {
    "approve": N_("Request approved: the work in the data stores has started."),
    "release": N_("Result released: the letter goes to the person."),
    "reject": N_("Request refused: the refusal letter goes to the person."),
    "withdraw": N_("Withdrawal recorded: the request is closed."),
    "extend": N_("Deadline extended: the letter goes to the person."),
    "retry": N_("Task queued again."),
    "resolve_task": N_("Task closed."),
    "done": N_("Done."),
}


def notice(code: str, language: Language) -> str:
    """The success notice for ``?n=<action>``."""
    return gettext(language, NOTICES.get(code, NOTICES["done"]))


def missing(action: str, body: Mapping[str, str]) -> str | None:
    """An error code when the form cannot succeed: shown at once, not after the step."""
    if action == "reject":
        if refusals.ground(body.get("ground", "")) is None:
            return "invalid_value"
        if not body.get("reason", "").strip():
            return "required"
    return None


def what_happens(
    found: Request_, action: str, body: Mapping[str, str], config: DsrConfig, language: Language
) -> str:
    """The sentence that says what ``action`` will do to this request."""
    values: dict[str, Any] = {"reference": found.reference}
    if action == "approve":
        kind = RequestKind(found.kind)
        work = plan.processing(kind, config.stores)
        stores = [task.store for task in work]
        values |= {"count": len(stores), "stores": ", ".join(stores)}
        return gettext(language, APPROVE[plan.ACTION_FOR_KIND[kind]]) % values
    if action == "release":
        return gettext(language, RELEASE) % values
    if action == "reject":
        chosen = refusals.ground(body.get("ground", ""))
        values["ground"] = chosen.label[language.value] if chosen else ""
        return gettext(language, REJECT) % values
    return gettext(language, WITHDRAW) % values


def step(
    request: Request[Any, Any, Any],
    *,
    heading: str,
    what: str,
    action_url: str,
    back: str,
    button: str,
    fields: Mapping[str, str],
) -> Template:
    """The confirmation page: what will happen, the form again with ``confirmed=1``, and a
    link back that changes nothing."""
    from dsr.web.console import staff_page  # console's admin pages use this module too

    language = page_language(request)
    return staff_page(
        request,
        "confirm_step.html",
        N_("Please confirm"),
        heading=gettext(language, heading),
        what=what,
        action_url=action_url,
        back=back,
        button=gettext(language, BUTTONS[button]),
        fields=sorted(fields.items()),
        danger=button in {"approve", "reject", "deactivate"},
    )


def dpo_step(
    request: Request[Any, Any, Any], found: Request_, action: str, body: Mapping[str, str]
) -> Template:
    language = page_language(request)
    config: DsrConfig = request.app.state.config
    return step(
        request,
        heading=N_("Please confirm"),
        what=what_happens(found, action, body, config, language),
        action_url=f"/dpo/requests/{found.reference}/actions/{action}",
        back=f"/dpo/requests/{found.reference}",
        button=action,
        fields=body,
    )
