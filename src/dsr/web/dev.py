"""Demo-mode only pages; not registered in production mode."""

from __future__ import annotations

import json
import os
from datetime import date
from typing import Any

from litestar import Request, Response, get, post
from litestar.datastructures import ResponseHeader
from litestar.params import FromPath
from litestar.response import Template

from dsr.config import ColumnSpec, HttpStore, SqlStore, SqlTable
from dsr.connectors.base import Identifiers
from dsr.connectors.http import verify_signature
from dsr.connectors.sql import SqlConnector
from dsr.domain.errors import NotFound
from dsr.i18n import N_
from dsr.web.headers import CONTENT_SECURITY_POLICY
from dsr.web.pages import page

# What the HTML part of a caught mail may do inside its sandboxed frame: show itself and
# inline images, nothing else (the page's own CSP applies on top).
MAIL_FRAME_POLICY = (
    '<meta http-equiv="Content-Security-Policy" '
    "content=\"default-src 'none'; img-src data:; style-src 'unsafe-inline'\">"
)


@get(
    "/dev/mail",
    include_in_schema=False,
    # A srcdoc frame inherits this page's policy: let the mails' inline styles apply (the
    # frames run no script and have no origin; nothing on the page itself is unescaped).
    response_headers=[
        ResponseHeader(
            name="Content-Security-Policy",
            value=CONTENT_SECURITY_POLICY.replace(
                "style-src 'self'", "style-src 'self' 'unsafe-inline'"
            ),
        )
    ],
)
async def dev_mail(request: Request[Any, Any, Any]) -> Template:
    catcher = request.app.state.mail_catcher
    mails = list(reversed(catcher.mails)) if catcher else []
    return page(
        request,
        "dev_mail.html",
        N_("Dev mail catcher"),
        mails=mails,
        catcher=catcher,
        frame_policy=MAIL_FRAME_POLICY,
    )


@get("/dev/mail/{key:str}/{index:int}", include_in_schema=False)
async def dev_mail_attachment(
    request: Request[Any, Any, Any], key: FromPath[str], index: FromPath[int]
) -> Response[bytes]:
    mail = request.app.state.mail_catcher.find(key)
    attachments = mail.attachments if mail is not None else []
    if not 0 <= index < len(attachments):
        raise NotFound()
    attachment = attachments[index]
    return Response(
        attachment.content,
        media_type="application/octet-stream",
        headers={
            "Content-Disposition": f'attachment; filename="{safe_filename(attachment.filename)}"',
            "X-Content-Type-Options": "nosniff",
        },
    )


def safe_filename(name: str) -> str:
    """A mail's attachment name as a header value: printable ASCII without quotes or slashes."""
    kept = "".join(c for c in name if c.isascii() and c.isprintable() and c not in '"\\/;')
    return kept.strip() or "attachment"


@post("/demo/newsletter", include_in_schema=False, status_code=200)
async def demo_newsletter(request: Request[Any, Any, Any]) -> Response[dict[str, Any]]:
    """The demo's newsletter processor: answers dsr's signed webhook calls from the shop's
    ``newsletter`` table, as a real processor would from its own database."""
    config = request.app.state.config
    try:
        store = config.store("newsletter")
        shop = config.system_of_record
    except KeyError:
        return Response({"status": "error"}, status_code=404)
    if not isinstance(store, HttpStore) or shop is None:
        return Response({"status": "error"}, status_code=404)
    body = await request.body()
    if not verify_signature(
        store.secret(os.environ),
        request.headers.get("x-dsr-timestamp", ""),
        body,
        request.headers.get("x-dsr-signature", ""),
    ):
        return Response({"status": "error", "error": "bad signature"}, status_code=401)
    call = json.loads(body)
    who = Identifiers.from_json(call.get("identifiers", {}))
    list_store = SqlStore(
        name="newsletter-processor",
        type="sql",
        url=shop.url,
        tables=[
            SqlTable(
                name="newsletter",
                identity={"email": "email"},
                columns={
                    "email": ColumnSpec(category="contact"),
                    "topics": ColumnSpec(category="marketing"),
                },
                erase="delete",
            )
        ],
    )
    connector = SqlConnector(list_store, b"demo")
    try:
        action = call.get("action")
        if action == "find":
            found = await connector.find(who)
            result: dict[str, Any] = {"counts": found.counts, "categories": found.categories}
        elif action == "export":
            result = {"tables": (await connector.export(who)).tables}
        elif action == "erase":
            erased = await connector.erase(who, date.today())
            result = {"erased": erased.erased, "categories": erased.categories}
        elif action == "rectify":
            result = {"changed": {}}  # the list holds only the address; a change re-subscribes
        else:
            return Response({"status": "error", "error": "unknown action"}, status_code=400)
    finally:
        await connector.close()
    return Response({"status": "done", "result": result})
