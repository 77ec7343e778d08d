"""Who is calling: bearer tokens for staff (web sessions come with the console), and guards."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from litestar.connection import ASGIConnection
from litestar.datastructures import State
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult

from dsr.domain.errors import NotAllowed, Unauthenticated
from dsr.domain.vocabulary import Role
from dsr.security.passwords import token_digest
from dsr.services.staff import actor_for_token
from dsr.services.staff_auth import StaffAuth
from dsr.settings import Settings
from dsr.workflows.engine import SUBJECT, Actor

Guard = Callable[[ASGIConnection[Any, Any, Any, Any], BaseRouteHandler], None]


SESSION_COOKIE = "dsr_staff"
CSRF_COOKIE = "dsr_csrf"
TOKEN_CACHE_SECONDS = 5.0


def cookie_name(name: str, settings: Settings) -> str:
    """Under https the cookie is named ``__Host-...``: browsers then accept it only when it is
    Secure, set by this very host and for path ``/``, so a sibling subdomain or a plain-http
    page cannot plant or overwrite it."""
    return f"__Host-{name}" if settings.https else name


class StaffAuthMiddleware(AbstractAuthenticationMiddleware):
    """Sets ``connection.user`` to the staff ``Actor`` of a valid bearer token or session
    cookie, else the anonymous subject. It never rejects: guards decide what needs staff."""

    async def authenticate_request(
        self, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> AuthenticationResult:
        state = connection.app.state
        header = connection.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        cookie = connection.cookies.get(cookie_name(SESSION_COOKIE, state.settings), "")
        if not (scheme.lower() == "bearer" and token and len(token) <= 200) and not cookie:
            return AuthenticationResult(user=SUBJECT, auth=None)
        if scheme.lower() == "bearer" and token:
            actor = await _bearer(state, token.strip())
            return AuthenticationResult(user=actor or SUBJECT, auth="bearer" if actor else None)
        lifetime = timedelta(hours=state.settings.session_max_hours)
        async with state.db.session_scope() as session:
            auth = StaffAuth(session, state.vault.cipher, max_session=lifetime)
            actor = await auth.actor_for_session(cookie)
        return AuthenticationResult(user=actor or SUBJECT, auth="session" if actor else None)


async def _bearer(state: State, token: str) -> Actor | None:
    tokens: TokenCache = state.tokens
    digest = token_digest(token)
    actor = tokens.get(digest)
    if actor is None:
        async with state.db.session_scope() as session:
            actor = await actor_for_token(session, token)
        if actor is not None:
            tokens.put(digest, actor)
    return actor


class TokenCache:
    """The staff behind the bearer tokens seen in the last few seconds, so that an API client
    sending hundreds of requests a second costs one token lookup every ``seconds`` rather than
    one per request. Only valid tokens are kept. ``clear()`` (on deactivating an account)
    takes effect at once in this process; other processes notice within ``seconds``."""

    def __init__(
        self,
        seconds: float = TOKEN_CACHE_SECONDS,
        size: int = 1024,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.seconds = seconds
        self.size = size
        self.clock = clock
        self._actors: dict[str, tuple[float, Actor]] = {}

    def get(self, digest: str) -> Actor | None:
        found = self._actors.get(digest)
        if found is None:
            return None
        expires, actor = found
        if self.clock() >= expires:
            del self._actors[digest]
            return None
        return actor

    def put(self, digest: str, actor: Actor) -> None:
        if len(self._actors) >= self.size:
            self._actors.clear()
        self._actors[digest] = (self.clock() + self.seconds, actor)

    def clear(self) -> None:
        self._actors.clear()


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
