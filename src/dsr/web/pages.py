"""Rendering public pages: the visitor's language, the shared context, the language cookie."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.datastructures import Cookie
from litestar.response import Template

from dsr.domain.deadlines import receipt_date
from dsr.domain.vocabulary import Language
from dsr.i18n import gettext, pick_language
from dsr.models import Request as RequestRow
from dsr.rendering import language_globals, long_date
from dsr.web import staff_labels

LANGUAGE_COOKIE = "dsr_lang"


STAFF_LANGUAGES = tuple(language for language in Language if language.for_staff)


def offered_languages(request: Request[Any, Any, Any]) -> tuple[Language, ...]:
    """Every language on the person's pages; German and English on staff pages (their
    handlers carry ``opt={"staff": True}``)."""
    handler = request.scope.get("route_handler")
    if handler is not None and handler.opt.get("staff"):
        return STAFF_LANGUAGES
    return tuple(Language)


STAFF_PREFIXES = ("/dpo", "/console", "/admin", "/login", "/logout")


def is_staff_page(request: Request[Any, Any, Any]) -> bool:
    """A staff route, or a path under a staff prefix that matched no route (its 404)."""
    handler = request.scope.get("route_handler")
    if handler is not None and handler.opt.get("staff"):
        return True
    path = request.url.path
    return any(path == p or path.startswith(p + "/") for p in STAFF_PREFIXES)


def page_language(request: Request[Any, Any, Any]) -> Language:
    """``?lang=`` wins, then the cookie it set, then Accept-Language; German by default."""
    return pick_language(
        request.headers.get("accept-language"),
        request.query_params.get("lang") or request.cookies.get(LANGUAGE_COOKIE),
        among=offered_languages(request),
    )


def request_headline(request: RequestRow, language: Language, timezone: str) -> dict[str, str]:
    """Status, kind and receipt date of a request as staff pages show them."""
    return {
        "status_text": staff_labels.name("status", request.status, language),
        "kind_text": staff_labels.name("kind", request.kind, language),
        "received_on": long_date(receipt_date(request.received_at, timezone), language),
    }


def page(
    request: Request[Any, Any, Any],
    template: str,
    title: str,
    *,
    status_code: int = 200,
    **context: Any,
) -> Template:
    language = page_language(request)
    cookies = []
    if request.query_params.get("lang") == language.value:
        cookies.append(
            Cookie(
                key=LANGUAGE_COOKIE,
                value=language.value,
                max_age=365 * 86400,
                httponly=True,
                samesite="lax",
                secure=request.url.scheme == "https",
            )
        )
    return Template(
        template_name=template,
        context={
            **language_globals(language),
            "languages": offered_languages(request),
            "title": gettext(language, title),
            "controller": request.app.state.config.controller,
            **context,
        },
        status_code=status_code,
        cookies=cookies,
    )
