"""Demo-mode only pages; not registered in production mode."""

from __future__ import annotations

from typing import Any

from litestar import Request, get
from litestar.response import Template

from dsr.i18n import N_
from dsr.web.pages import page


@get("/dev/mail", include_in_schema=False)
async def dev_mail(request: Request[Any, Any, Any]) -> Template:
    catcher = request.app.state.mail_catcher
    mails = list(reversed(catcher.mails)) if catcher else []
    return page(request, "dev_mail.html", N_("Dev mail catcher"), mails=mails)
