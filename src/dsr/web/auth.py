"""Who is calling: bearer tokens for staff (web sessions come with the console), and guards."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult

from dsr.domain.errors import NotAllowed, Unauthenticated
from dsr.domain.vocabulary import Role
from dsr.services.staff import actor_for_token
from dsr.services.staff_auth import StaffAuth
from dsr.workflows.engine import SUBJECT, Actor

Guard = Callable[[ASGIConnection[Any, Any, Any, Any], BaseRouteHandler], None]


SESSION_COOKIE = "dsr_staff"


class StaffAuthMiddleware(AbstractAuthenticationMiddleware):
    """Sets ``connection.user`` to the staff ``Actor`` of a valid bearer token or session
    cookie, else the anonymous subject. It never rejects: guards decide what needs staff."""

    async def authenticate_request(
        self, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> AuthenticationResult:
        header = connection.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        cookie = connection.cookies.get(SESSION_COOKIE, "")
        if not (scheme.lower() == "bearer" and token and len(token) <= 200) and not cookie:
            return AuthenticationResult(user=SUBJECT, auth=None)
        state = connection.app.state
        async with state.db.session_scope() as session:
            if scheme.lower() == "bearer" and token:
                actor = await actor_for_token(session, token.strip())
                kind = "bearer"
            else:
                actor = await StaffAuth(session, state.vault.cipher).actor_for_session(cookie)
                kind = "session"
        return AuthenticationResult(user=actor or SUBJECT, auth=kind if actor else None)


def current_actor(connection: ASGIConnection[Any, Any, Any, Any]) -> Actor:
    user = connection.scope.get("user")
    return user if isinstance(user, Actor) else SUBJECT


def requires_staff(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    actor = current_actor(connection)
    if actor.kind != "staff" or actor.stage != "full":
        raise Unauthenticated("staff login required")


def requires_enrolment(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    actor = current_actor(connection)
    if actor.kind != "staff" or actor.stage != "enrol":
        raise Unauthenticated("sign in first")


def requires_role(*roles: Role) -> Guard:
    allowed = {role.value for role in roles}

    def guard(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
        requires_staff(connection, handler)
        if current_actor(connection).role not in allowed:
            raise NotAllowed("role not allowed")

    guard.__name__ = f"requires_role_{'_'.join(sorted(allowed))}"
    return guard
