"""The composition root: ``create_app(settings)`` wires everything; nothing else does."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path

import structlog
from litestar import Litestar, Router
from litestar.config.csrf import CSRFConfig
from litestar.datastructures import State
from litestar.di import Provide
from litestar.middleware import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig
from litestar.types import ControllerRouterHandler

from dsr import __version__
from dsr.config import load_config
from dsr.connectors.registry import build_connectors, close_all
from dsr.db import Database
from dsr.domain.deadlines import validate_region, validate_timezone
from dsr.logging import configure_logging
from dsr.notify.catcher import MailCatcher
from dsr.notify.smtp import SmtpConfig
from dsr.rendering import new_environment
from dsr.scheduler import running_worker
from dsr.security.audit_keys import AuditKey
from dsr.security.ratelimit import RateLimiter, SharedHits
from dsr.security.vault import Vault
from dsr.settings import Settings, with_secrets
from dsr.site import require_for_production
from dsr.web.api import LetterController, RequestController, processor_callback
from dsr.web.auth import CSRF_COOKIE, StaffAuthMiddleware, TokenCache, cookie_name
from dsr.web.console import AdminController, ConsoleController, SignInController
from dsr.web.dependencies import (
    provide_actions,
    provide_callbacks,
    provide_casework,
    provide_desk,
    provide_downloads,
    provide_letter_office,
    provide_mail_intake,
    provide_phone_intake,
    provide_public_desk,
    provide_request_service,
    provide_session,
)
from dsr.web.dev import demo_newsletter, dev_mail, dev_mail_attachment
from dsr.web.dpo import DpoController
from dsr.web.dpo_intake import DeskController
from dsr.web.dpo_release import DpoReleaseController
from dsr.web.dpo_tasks import DpoTaskController
from dsr.web.errors import exception_handlers
from dsr.web.headers import security_headers
from dsr.web.public import PublicController
from dsr.web.site_assets import site_logo, site_stylesheet
from dsr.web.system import health, metrics
from dsr.web.triage import TriageController

log = structlog.get_logger("dsr.app")

MAX_BODY_BYTES = 256 * 1024
STATIC_DIR = Path(__file__).parent / "web" / "static"


def create_app(settings: Settings | None = None, database: Database | None = None) -> Litestar:
    settings = with_secrets(settings or Settings())
    validate_region(settings.region)
    validate_timezone(settings.timezone)
    configure_logging(settings.log_level)
    config = load_config(settings.config, required=settings.is_production)
    vault = Vault.from_secrets(settings.encryption_keys, settings.hmac_key)
    AuditKey.from_secret(settings.audit_key)  # validates DSR_AUDIT_KEY at start-up
    smtp = SmtpConfig.from_url(settings.smtp_url)  # validates DSR_SMTP_URL at start-up
    if settings.is_production:
        require_for_production(config.site, settings.config)
    templates = new_environment(config.site)
    https = settings.https
    catcher = (
        MailCatcher(host=smtp.host, port=smtp.port, directory=settings.var_dir / "mail")
        if not settings.is_production and settings.dev_mail_catcher
        else None
    )

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        db = database or Database.from_settings(settings)
        app.state.db = db
        if db.dialect == "postgresql":  # several web processes count the same hits
            app.state.limiter = RateLimiter(shared=SharedHits(db.engine, vault.index))
        app.state.connectors = build_connectors(
            config, settings.hmac_key.encode(), settings.base_url
        )
        if catcher:
            try:
                await catcher.start()
            except OSError as exc:  # the port is taken: mail waits in the outbox
                log.warning("dev mail catcher not started", port=catcher.port, error=exc.strerror)
        async with AsyncExitStack() as stack:
            if settings.worker:
                await stack.enter_async_context(
                    running_worker(settings, config, db, vault, app.state.connectors)
                )
            try:
                yield
            finally:
                await stack.aclose()
                await close_all(app.state.connectors)
                if catcher:
                    await catcher.stop()
                if database is None:
                    await db.dispose()

    handlers: list[ControllerRouterHandler] = [
        PublicController,
        # Staff pages: German and English only (dsr.web.pages.offered_languages).
        Router(
            path="/",
            route_handlers=[
                SignInController,
                ConsoleController,
                AdminController,
                DpoController,
                DeskController,
                DpoReleaseController,
                DpoTaskController,
                TriageController,
            ],
            opt={"staff": True},
        ),
        RequestController,
        LetterController,
        processor_callback,
        site_stylesheet,
        site_logo,
        health,
        metrics,
        create_static_files_router(
            path="/static", directories=[STATIC_DIR], include_in_schema=False
        ),
    ]
    if not settings.is_production:
        handlers.append(demo_newsletter)
    if catcher:
        handlers.extend([dev_mail, dev_mail_attachment])

    return Litestar(
        route_handlers=handlers,
        lifespan=[lifespan],
        state=State(
            {
                "settings": settings,
                "config": config,
                "vault": vault,
                "templates": templates,
                "limiter": RateLimiter(),
                "tokens": TokenCache(),
                "mail_catcher": catcher,
            }
        ),
        dependencies={
            "session": Provide(provide_session),
            "request_service": Provide(provide_request_service, sync_to_thread=False),
            "letter_office": Provide(provide_letter_office, sync_to_thread=False),
            "public_desk": Provide(provide_public_desk, sync_to_thread=False),
            "request_actions": Provide(provide_actions, sync_to_thread=False),
            "downloads": Provide(provide_downloads, sync_to_thread=False),
            "callbacks": Provide(provide_callbacks, sync_to_thread=False),
            "phone_intake": Provide(provide_phone_intake, sync_to_thread=False),
            "mail_intake": Provide(provide_mail_intake, sync_to_thread=False),
            "casework": Provide(provide_casework, sync_to_thread=False),
            "desk": Provide(provide_desk, sync_to_thread=False),
        },
        middleware=[
            DefineMiddleware(StaffAuthMiddleware, exclude=["^/schema", "^/health", "^/static"])
        ],
        template_config=TemplateConfig(engine=JinjaTemplateEngine.from_environment(templates)),
        csrf_config=CSRFConfig(
            secret=settings.secret_key,
            cookie_name=cookie_name(CSRF_COOKIE, settings),
            cookie_secure=https,
            cookie_httponly=True,
            cookie_samesite="strict",
            exclude=["/api/", "/demo/"],
        ),
        response_headers=security_headers(https, image_origin=config.site.logo_origin),
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
