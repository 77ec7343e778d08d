"""The composition root: ``create_app(settings)`` wires everything; nothing else does."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from litestar import Litestar
from litestar.datastructures import State
from litestar.di import Provide
from litestar.middleware import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin

from dsr import __version__
from dsr.db import Database
from dsr.domain.deadlines import validate_region, validate_timezone
from dsr.logging import configure_logging
from dsr.security.vault import Vault
from dsr.settings import Settings, with_secrets
from dsr.web.api import RequestController
from dsr.web.auth import BearerTokenMiddleware
from dsr.web.dependencies import provide_request_service, provide_session
from dsr.web.errors import exception_handlers
from dsr.web.system import health, metrics

MAX_BODY_BYTES = 256 * 1024


def create_app(settings: Settings | None = None, database: Database | None = None) -> Litestar:
    settings = with_secrets(settings or Settings())
    validate_region(settings.region)
    validate_timezone(settings.timezone)
    configure_logging(settings.log_level)
    vault = Vault.from_secrets(settings.encryption_keys, settings.hmac_key)

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        db = database or Database.from_url(settings.database_url)
        app.state.db = db
        try:
            yield
        finally:
            if database is None:
                await db.dispose()

    return Litestar(
        route_handlers=[RequestController, health, metrics],
        lifespan=[lifespan],
        state=State({"settings": settings, "vault": vault}),
        dependencies={
            "session": Provide(provide_session),
            "request_service": Provide(provide_request_service, sync_to_thread=False),
        },
        middleware=[DefineMiddleware(BearerTokenMiddleware, exclude=["^/schema", "^/health"])],
        exception_handlers=exception_handlers(),
        request_max_body_size=MAX_BODY_BYTES,
        openapi_config=OpenAPIConfig(
            title="dsr",
            version=__version__,
            description="Data-subject-rights requests (GDPR Art. 15-21).",
            path="/schema",
            render_plugins=[JsonRenderPlugin(path=["/", "/openapi.json"])],
        ),
        debug=False,
    )


__all__ = ["create_app"]
