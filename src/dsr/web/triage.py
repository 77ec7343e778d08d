"""The DPO's triage list at ``/dpo/triage``: mail the poller did not file by itself."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID
from zoneinfo import ZoneInfo

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body, PathParameter
from litestar.response import Redirect, Stream, Template
from litestar.status_codes import HTTP_303_SEE_OTHER

from dsr import artifacts
from dsr.domain.errors import DsrError, NotFound
from dsr.domain.vocabulary import RequestKind, Role
from dsr.i18n import N_, gettext
from dsr.models import Artifact, MailMessage
from dsr.services.mail_intake import MailIntake
from dsr.services.triage import Triage, TriageItem
from dsr.text import KIND_NAMES
from dsr.web.auth import current_actor, requires_role
from dsr.web.console import staff_page
from dsr.web.pages import page_language

FormBody = Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]
MailId = Annotated[UUID, PathParameter()]

REASONS = {
    "no_kind": N_("No request recognised"),
    "too_many_kinds": N_("Asks for many rights at once"),
    "too_large": N_("Too large to read: see the mailbox's processed folder"),
    "nested": N_("Nested too deeply to read"),
    "charset": N_("Unknown character set"),
    "html_only": N_("HTML only"),
    "winmail": N_("Outlook attachment (winmail.dat)"),
    "attachments": N_("Has attachments (stored encrypted, not opened)"),
    "forged_sender": N_("Sender looks forged"),
    "sender_invalid": N_("No valid sender address"),
    "invalid_claims": N_("The identifiers given cannot be stored"),
    "auto_reply": N_("Auto-reply"),
    "bounce": N_("Bounce"),
    "spam": N_("Spam"),
    "list": N_("Mailing list"),
    "own_mail": N_("Our own mail"),
}


class TriageController(Controller):
    path = "/dpo/triage"
    include_in_schema = False
    guards = (requires_role(Role.DPO),)

    @get("/")
    async def waiting(
        self, request: Request[Any, Any, Any], mail_intake: NamedDependency[MailIntake]
    ) -> Template:
        language = page_language(request)
        zone = ZoneInfo(request.app.state.settings.timezone)
        triage = Triage(mail_intake)

        def rows(items: list[TriageItem]) -> list[dict[str, Any]]:
            return [
                {
                    "id": str(item.id),
                    "sender": item.sender or "–",
                    "subject": item.subject or "–",
                    "received": item.received_at.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
                    "reason": gettext(language, REASONS.get(item.reason or "", N_("Unclear"))),
                    "kinds": [gettext(language, KIND_NAMES[RequestKind(k)]) for k in item.kinds],
                    "attachments": item.attachments,
                    "can_file": item.can_file,
                }
                for item in items
            ]

        waiting = rows(await triage.waiting("triage"))
        ignored = rows(await triage.waiting("ignored"))
        return staff_page(
            request,
            "dpo_triage.html",
            N_("Mail to triage"),
            items=waiting,
            ignored=ignored,
            kinds=[(k.value, gettext(language, KIND_NAMES[k])) for k in RequestKind],
            error=request.query_params.get("e"),
        )

    @post("/{mail_id:uuid}/file")
    async def file(
        self,
        request: Request[Any, Any, Any],
        mail_id: MailId,
        data: FormBody,
        mail_intake: NamedDependency[MailIntake],
    ) -> Redirect:
        kind = data.get("kind", "")
        if kind not in {k.value for k in RequestKind}:
            return Redirect("/dpo/triage?e=invalid", status_code=HTTP_303_SEE_OTHER)
        try:
            references = await Triage(mail_intake).file(
                mail_id, RequestKind(kind), current_actor(request)
            )
        except DsrError:
            return Redirect("/dpo/triage?e=invalid", status_code=HTTP_303_SEE_OTHER)
        return Redirect(f"/dpo/requests/{references[0]}", status_code=HTTP_303_SEE_OTHER)

    @post("/{mail_id:uuid}/dismiss")
    async def dismiss(
        self,
        request: Request[Any, Any, Any],
        mail_id: MailId,
        mail_intake: NamedDependency[MailIntake],
    ) -> Redirect:
        try:
            await Triage(mail_intake).dismiss(mail_id, current_actor(request))
        except DsrError:
            return Redirect("/dpo/triage?e=invalid", status_code=HTTP_303_SEE_OTHER)
        return Redirect("/dpo/triage", status_code=HTTP_303_SEE_OTHER)

    @get("/{mail_id:uuid}/original")
    async def original(
        self,
        request: Request[Any, Any, Any],
        mail_id: MailId,
        mail_intake: NamedDependency[MailIntake],
    ) -> Stream:
        """The archived message as a file to save, never shown in the browser."""
        row = await mail_intake.session.get(MailMessage, mail_id)
        if row is None or row.artifact_id is None:
            raise NotFound("no such mail")
        artifact = await mail_intake.session.get_one(Artifact, row.artifact_id)
        return Stream(
            artifacts.stream(request.app.state.db, mail_intake.vault.cipher, artifact.id),
            media_type="application/octet-stream",
            headers={
                "Content-Disposition": f'attachment; filename="{artifact.filename or "mail.eml"}"'
            },
        )
