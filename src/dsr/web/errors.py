"""The one place where errors become responses: RFC 9457 problem details, in the user's language.

No stack trace, SQL or personal data ever reaches a client; unexpected errors are logged by
type and location only (exception messages can carry query parameters).
"""

from __future__ import annotations

import traceback
from typing import Any

import structlog
from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.response import Redirect
from litestar.status_codes import (
    HTTP_400_BAD_REQUEST,
    HTTP_401_UNAUTHORIZED,
    HTTP_403_FORBIDDEN,
    HTTP_404_NOT_FOUND,
    HTTP_409_CONFLICT,
    HTTP_422_UNPROCESSABLE_ENTITY,
    HTTP_429_TOO_MANY_REQUESTS,
    HTTP_500_INTERNAL_SERVER_ERROR,
    HTTP_503_SERVICE_UNAVAILABLE,
)
from litestar.types import ExceptionHandlersMap
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from dsr.domain import errors
from dsr.i18n import MESSAGES, N_, gettext, message
from dsr.letters.render import LetterTemplateError
from dsr.web.auth import current_actor
from dsr.web.pages import is_staff_page, page, page_language

log = structlog.get_logger("dsr.web")

PROBLEM_JSON = "application/problem+json"

_STATUS_OF: dict[type[errors.DsrError], int] = {
    errors.InvalidInput: HTTP_400_BAD_REQUEST,
    errors.Unauthenticated: HTTP_401_UNAUTHORIZED,
    errors.NotAllowed: HTTP_403_FORBIDDEN,
    errors.NotFound: HTTP_404_NOT_FOUND,
    errors.InvalidTransition: HTTP_409_CONFLICT,
    errors.Conflict: HTTP_409_CONFLICT,
    errors.TooManyRequests: HTTP_429_TOO_MANY_REQUESTS,
    errors.Unavailable: HTTP_503_SERVICE_UNAVAILABLE,
    LetterTemplateError: HTTP_422_UNPROCESSABLE_ENTITY,
}

_HTTP_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    429: "too_many_requests",
    503: "unavailable",
}

# Pydantic's English messages, by their opening words, to our message codes.
_VALIDATION_CODES = (
    ("Field required", "required"),
    ("String should have at most", "too_long"),
    ("List should have at most", "too_long"),
    ("Extra inputs are not permitted", "unknown_field"),
    ("Input should be a valid", "invalid_type"),
    ("Input should be", "invalid_value"),
)


_PAGE_HINTS = {
    404: N_("The link may be incomplete, or it has expired."),
    429: N_("Please wait a few minutes, then try again."),
}
_JSON_PREFIXES = ("/api/", "/health", "/metrics", "/schema", "/demo/")


def wants_json(request: Request[Any, Any, Any]) -> bool:
    """API paths, and clients that ask for JSON rather than HTML, get problem details."""
    if request.url.path.startswith(_JSON_PREFIXES):
        return True
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


def problem(
    request: Request[Any, Any, Any],
    status: int,
    code: str,
    fields: dict[str, str] | None = None,
) -> Response[Any]:
    """Problem details for the API, an error page for people."""
    language = page_language(request)  # the language page() renders the rest of the page in
    if not wants_json(request):
        staff = is_staff_page(request)
        return page(
            request,
            "staff_error.html" if staff else "error.html",
            MESSAGES.get(code, MESSAGES["bad_request"]),
            status_code=status,
            heading=message(code, language),
            text=gettext(language, _PAGE_HINTS.get(status, N_("Please go back and try again."))),
            **({"actor": current_actor(request)} if staff else {}),
        )
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": message(code, language),
        "status": status,
        "code": code,
    }
    if fields:
        body["errors"] = [
            {"field": field, "code": field_code, "message": message(field_code, language)}
            for field, field_code in sorted(fields.items())
        ]
    return Response(body, status_code=status, media_type=PROBLEM_JSON)


def _dsr_error(request: Request[Any, Any, Any], exc: errors.DsrError) -> Response[Any]:
    status = next(
        (code for cls, code in _STATUS_OF.items() if isinstance(exc, cls)),
        HTTP_500_INTERNAL_SERVER_ERROR,
    )
    if status == HTTP_500_INTERNAL_SERVER_ERROR:
        return _unexpected(request, exc)
    if isinstance(exc, errors.Unauthenticated) and not wants_json(request):
        return Redirect("/login", status_code=303)
    fields = exc.fields if isinstance(exc, errors.InvalidInput) else None
    response = problem(request, status, exc.code, fields)
    if isinstance(exc, errors.TooManyRequests):
        response.headers["Retry-After"] = str(exc.retry_after)
    if isinstance(exc, errors.Unauthenticated):
        response.headers["WWW-Authenticate"] = "Bearer"
    return response


def _validation_error(request: Request[Any, Any, Any], exc: ValidationException) -> Response[Any]:
    fields: dict[str, str] = {}
    for item in exc.extra if isinstance(exc.extra, list) else []:
        if not isinstance(item, dict):
            continue
        field = str(item.get("key") or "body")
        text = str(item.get("message", ""))
        fields[field] = next(
            (code for prefix, code in _VALIDATION_CODES if text.startswith(prefix)), "invalid_value"
        )
    if not fields:  # malformed body, e.g. broken JSON
        return problem(request, HTTP_400_BAD_REQUEST, "bad_request")
    return problem(request, HTTP_400_BAD_REQUEST, "invalid_input", fields)


def _http_error(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    status = exc.status_code
    if status >= 500:
        return _unexpected(request, exc)
    response = problem(request, status, _HTTP_CODES.get(status, "bad_request"))
    if exc.headers:
        response.headers.update(exc.headers)
    return response


def _database_error(request: Request[Any, Any, Any], exc: DBAPIError) -> Response[Any]:
    if isinstance(exc, IntegrityError):
        return problem(request, HTTP_409_CONFLICT, "conflict")
    if isinstance(exc, OperationalError) or exc.connection_invalidated:
        log.warning("database unavailable", error_type=type(exc.orig).__name__)
        return problem(request, HTTP_503_SERVICE_UNAVAILABLE, "unavailable")
    return _unexpected(request, exc)


def _unreachable(request: Request[Any, Any, Any], exc: OSError) -> Response[Any]:
    """A server we depend on (database, mail) refused or timed out."""
    log.warning("dependency unavailable", error_type=type(exc).__name__)
    return problem(request, HTTP_503_SERVICE_UNAVAILABLE, "unavailable")


def _unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    frames = [f"{f.filename}:{f.lineno}" for f in traceback.extract_tb(exc.__traceback__)]
    handler = request.scope.get("route_handler")
    log.error(
        "unhandled error",
        error_type=type(exc).__name__,
        handler=getattr(handler, "handler_name", None),
        frames=frames[-5:],
    )
    return problem(request, HTTP_500_INTERNAL_SERVER_ERROR, "server_error")


def _too_deep(request: Request[Any, Any, Any], exc: RecursionError) -> Response[Any]:
    """JSON nested deeper than the decoder recurses (``[[[[…]]]]``): a malformed body."""
    return problem(request, HTTP_400_BAD_REQUEST, "bad_request")


def exception_handlers() -> ExceptionHandlersMap:
    return {
        RecursionError: _too_deep,
        errors.DsrError: _dsr_error,
        ValidationException: _validation_error,
        HTTPException: _http_error,
        DBAPIError: _database_error,
        OSError: _unreachable,
        Exception: _unexpected,
    }


__all__ = ["PROBLEM_JSON", "exception_handlers", "problem"]
