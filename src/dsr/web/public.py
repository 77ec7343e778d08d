"""The requester's pages: start, form, status, confirmation link, withdrawal."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body, PathParameter
from litestar.response import Redirect, Stream, Template
from litestar.status_codes import (
    HTTP_200_OK,
    HTTP_303_SEE_OTHER,
    HTTP_400_BAD_REQUEST,
    HTTP_404_NOT_FOUND,
)

from dsr import artifacts
from dsr.config import localized
from dsr.domain.vocabulary import RequestKind
from dsr.i18n import N_, gettext, message
from dsr.security import ratelimit
from dsr.services.downloads import DownloadCheck, Downloads
from dsr.services.public import FORM_INPUTS, IDENTIFIER_INPUT, FormInvalid, PublicDesk
from dsr.services.verification import CodeCheck
from dsr.text import CHANGE_FIELDS, FORM_LABELS, KIND_HINTS, KIND_NAMES, SINGLE_CHANGES
from dsr.web.pages import page, page_language

FormBody = Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]
Token = Annotated[str, PathParameter(max_length=100)]

MAIN_KINDS = (RequestKind.ACCESS, RequestKind.RECTIFICATION, RequestKind.ERASURE)
MORE_KINDS = (RequestKind.RESTRICTION, RequestKind.PORTABILITY, RequestKind.OBJECTION)
HONEYPOT = "homepage"

CODE_MESSAGES = {
    CodeCheck.WRONG: "wrong_code",
    CodeCheck.EXPIRED: "expired_code",
    CodeCheck.EXHAUSTED: "exhausted_code",
}
NOTICES = {
    "sent": N_("We have sent you an e-mail with a confirmation code."),
    "resent": N_("We have sent you a new code. Earlier codes no longer work."),
    "verified": N_("Thank you, your e-mail address is confirmed."),
    "withdrawn": N_("Your request has been withdrawn. We have sent you a confirmation."),
}


def client_address(request: Request[Any, Any, Any]) -> str:
    return request.client.host if request.client else "unknown"


class PublicController(Controller):
    include_in_schema = False

    @get("/")
    async def start(self, request: Request[Any, Any, Any]) -> Template:
        return page(request, "start.html", N_("Your data protection rights"))

    @get("/request")
    async def form(self, request: Request[Any, Any, Any]) -> Template:
        preset = request.query_params.get("kind", "")
        known = {kind.value for kind in RequestKind}
        return self._form(request, {"kind": preset if preset in known else ""}, {})

    @post("/request")
    async def submit(
        self,
        request: Request[Any, Any, Any],
        data: FormBody,
        public_desk: NamedDependency[PublicDesk],
    ) -> Template | Redirect:
        inputs = [*FORM_INPUTS, *_identifier_inputs(request)]
        form = {name: str(data.get(name, ""))[:6000] for name in inputs}
        if data.get(HONEYPOT):
            return self._form(request, form, {"kind": "spam"})
        try:
            token = await public_desk.submit(form, page_language(request), client_address(request))
        except FormInvalid as exc:
            return self._form(request, form, exc.fields)
        return Redirect(f"/status/{token}?n=sent", status_code=HTTP_303_SEE_OTHER)

    @get("/status/{token:str}")
    async def status(
        self,
        request: Request[Any, Any, Any],
        token: Token,
        public_desk: NamedDependency[PublicDesk],
    ) -> Template:
        found = await public_desk.status(token)
        notice = NOTICES.get(request.query_params.get("n", ""))
        return self._status(request, public_desk, found, token, notice=notice)

    @post("/status/{token:str}/verify")
    async def verify(
        self,
        request: Request[Any, Any, Any],
        token: Token,
        data: FormBody,
        public_desk: NamedDependency[PublicDesk],
    ) -> Template | Redirect:
        code = str(data.get("code", ""))[:20]
        found, result = await public_desk.verify_code(token, code, client_address(request))
        if result in (CodeCheck.OK, CodeCheck.NOT_PENDING):
            return Redirect(f"/status/{token}?n=verified", status_code=HTTP_303_SEE_OTHER)
        language = page_language(request)
        return self._status(
            request,
            public_desk,
            found,
            token,
            code_error=message(CODE_MESSAGES[result], language),
            status_code=HTTP_400_BAD_REQUEST,
        )

    @post("/status/{token:str}/resend")
    async def resend(self, token: Token, public_desk: NamedDependency[PublicDesk]) -> Redirect:
        await public_desk.resend(token)
        return Redirect(f"/status/{token}?n=resent", status_code=HTTP_303_SEE_OTHER)

    @get("/status/{token:str}/withdraw")
    async def withdraw_form(
        self,
        request: Request[Any, Any, Any],
        token: Token,
        public_desk: NamedDependency[PublicDesk],
    ) -> Template | Redirect:
        found = await public_desk.status(token)
        view = public_desk.view(found, page_language(request))
        if not view.can_withdraw:
            return Redirect(f"/status/{token}", status_code=HTTP_303_SEE_OTHER)
        return page(request, "withdraw.html", N_("Withdraw request"), view=view, token=token)

    @post("/status/{token:str}/withdraw")
    async def withdraw(
        self,
        request: Request[Any, Any, Any],
        token: Token,
        public_desk: NamedDependency[PublicDesk],
    ) -> Redirect:
        await public_desk.withdraw(token, client_address(request))
        return Redirect(f"/status/{token}?n=withdrawn", status_code=HTTP_303_SEE_OTHER)

    @get("/verify/{link:str}")
    async def link(
        self, request: Request[Any, Any, Any], link: Token, public_desk: NamedDependency[PublicDesk]
    ) -> Template:
        verification = await public_desk.verification.find_link(link)
        reference = ""
        if verification is not None:
            reference = (await public_desk.requests_by_id(verification.request_id)).reference
        return page(
            request,
            "confirm_link.html",
            N_("Confirm your e-mail address"),
            valid=verification is not None,
            reference=reference,
            link=link,
            status_code=HTTP_200_OK if verification is not None else HTTP_404_NOT_FOUND,
        )

    @post("/verify/{link:str}")
    async def confirm(
        self, request: Request[Any, Any, Any], link: Token, public_desk: NamedDependency[PublicDesk]
    ) -> Template:
        confirmed = await public_desk.confirm_link(link, client_address(request))
        if confirmed is None:
            return page(
                request,
                "confirm_link.html",
                N_("Confirm your e-mail address"),
                valid=False,
                reference="",
                link=link,
                status_code=HTTP_400_BAD_REQUEST,
            )
        language = page_language(request)
        return page(
            request,
            "error.html",
            N_("Thank you"),
            heading=gettext(language, NOTICES["verified"]),
            text=public_desk.view(confirmed, language).next_step,
        )

    @get("/download/{token:str}")
    async def download_form(
        self, request: Request[Any, Any, Any], token: Token, downloads: NamedDependency[Downloads]
    ) -> Template:
        valid = await downloads.find(token) is not None
        return page(
            request,
            "download.html",
            N_("Download your data"),
            valid=valid,
            token=token,
            code_error=None,
            status_code=HTTP_200_OK if valid else HTTP_404_NOT_FOUND,
        )

    @post("/download/{token:str}", status_code=200)
    async def download(
        self,
        request: Request[Any, Any, Any],
        token: Token,
        data: FormBody,
        downloads: NamedDependency[Downloads],
    ) -> Template | Stream:
        state = request.app.state
        await state.limiter.check(ratelimit.VERIFY_PER_IP, client_address(request))
        got = await downloads.redeem(token, str(data.get("code", ""))[:20])
        if got.check is DownloadCheck.OK and got.artifact is not None:
            return Stream(
                artifacts.stream(state.db, state.vault.cipher, got.artifact),
                media_type=got.media_type,
                headers={"Content-Disposition": f'attachment; filename="{got.filename}"'},
            )
        language = page_language(request)
        return page(
            request,
            "download.html",
            N_("Download your data"),
            status_code=HTTP_400_BAD_REQUEST,
            valid=got.check is DownloadCheck.WRONG,
            token=token,
            code_error=message("wrong_code", language),
        )

    def _form(
        self, request: Request[Any, Any, Any], form: dict[str, str], errors: dict[str, str]
    ) -> Template:
        language = page_language(request)

        def kinds(chosen: tuple[RequestKind, ...]) -> list[tuple[str, str, str]]:
            return [
                (k.value, gettext(language, KIND_NAMES[k]), gettext(language, KIND_HINTS[k]))
                for k in chosen
            ]

        return page(
            request,
            "form.html",
            N_("Make a data protection request"),
            status_code=HTTP_400_BAD_REQUEST if errors else 200,
            form={
                name: form.get(name, "") for name in [*FORM_INPUTS, *_identifier_inputs(request)]
            },
            identifier_fields=[
                (IDENTIFIER_INPUT + t.name, localized(t.label, language.value), t.max_length)
                for t in request.app.state.config.identifiers
                if t.form
            ],
            errors={name: message(code, language) for name, code in errors.items()},
            labels={
                **{name: gettext(language, label) for name, label in FORM_LABELS.items()},
                **{
                    IDENTIFIER_INPUT + t.name: localized(t.label, language.value)
                    for t in request.app.state.config.identifiers
                    if t.form
                },
            },
            kinds=kinds(MAIN_KINDS),
            more_kinds=kinds(MORE_KINDS),
            more_kinds_values=[k.value for k in MORE_KINDS],
            change_fields=[(k, gettext(language, CHANGE_FIELDS[k])) for k in SINGLE_CHANGES],
        )

    def _status(
        self,
        request: Request[Any, Any, Any],
        desk: PublicDesk,
        found: Any,
        token: str,
        *,
        notice: str | None = None,
        code_error: str | None = None,
        status_code: int = 200,
    ) -> Template:
        language = page_language(request)
        return page(
            request,
            "status.html",
            N_("Your request"),
            status_code=status_code,
            view=desk.view(found, language),
            token=token,
            notice=gettext(language, notice) if notice else None,
            notice_bad=False,
            code_error=code_error,
        )


def _identifier_inputs(request: Request[Any, Any, Any]) -> list[str]:
    """The form inputs of the identifier types ``dsr.yaml`` asks for on the form."""
    return [IDENTIFIER_INPUT + t.name for t in request.app.state.config.identifiers if t.form]
