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
from dsr.workflows.engine import SUBJECT, Actor

Guard = Callable[[ASGIConnection[Any, Any, Any, Any], BaseRouteHandler], None]


class BearerTokenMiddleware(AbstractAuthenticationMiddleware):
    """Sets ``connection.user`` to the staff ``Actor`` of a valid token, else the anonymous
    subject. It never rejects: guards decide what needs a staff member."""

    async def authenticate_request(
        self, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> AuthenticationResult:
        header = connection.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token or len(token) > 200:
            return AuthenticationResult(user=SUBJECT, auth=None)
        database = connection.app.state.db
        async with database.session_scope() as session:
            actor = await actor_for_token(session, token.strip())
        return AuthenticationResult(user=actor or SUBJECT, auth="bearer" if actor else None)


def current_actor(connection: ASGIConnection[Any, Any, Any, Any]) -> Actor:
    user = connection.scope.get("user")
    return user if isinstance(user, Actor) else SUBJECT


def requires_staff(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    if current_actor(connection).kind != "staff":
        raise Unauthenticated("staff login required")


def requires_role(*roles: Role) -> Guard:
    allowed = {role.value for role in roles}

    def guard(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
        requires_staff(connection, handler)
        if current_actor(connection).role not in allowed:
            raise NotAllowed("role not allowed")

    guard.__name__ = f"requires_role_{'_'.join(sorted(allowed))}"
    return guard
