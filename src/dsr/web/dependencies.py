"""Per-request dependencies: one database transaction per HTTP request, and the services."""

from __future__ import annotations

from collections.abc import AsyncGenerator

from litestar.datastructures import State
from litestar.di import NamedDependency
from sqlmodel.ext.asyncio.session import AsyncSession

from dsr.letters.office import LetterOffice
from dsr.services.actions import RequestActions
from dsr.services.callbacks import Callbacks
from dsr.services.casework import Casework
from dsr.services.desk import Desk
from dsr.services.downloads import Downloads
from dsr.services.intake import PhoneIntake
from dsr.services.mail_intake import MailIntake
from dsr.services.public import PublicDesk
from dsr.services.requests import RequestService
from dsr.services.verification import EmailVerification


async def provide_session(state: State) -> AsyncGenerator[AsyncSession, None]:
    """Commit when the handler succeeds, roll back when it raises."""
    async with state.db.sessions() as session:
        try:
            yield session
        except BaseException:
            await session.rollback()
            raise
        else:
            await session.commit()


def provide_request_service(state: State, session: NamedDependency[AsyncSession]) -> RequestService:
    settings = state.settings
    return RequestService(
        session=session,
        vault=state.vault,
        region=settings.region,
        timezone=settings.timezone,
        base_url=settings.base_url.rstrip("/"),
        identifier_types=state.config.identifiers,
        smtputf8=settings.smtputf8,
    )


def provide_mail_intake(state: State, session: NamedDependency[AsyncSession]) -> MailIntake:
    return MailIntake.for_settings(
        session, state.settings, state.config, state.vault, state.templates
    )


def provide_letter_office(state: State, session: NamedDependency[AsyncSession]) -> LetterOffice:
    return LetterOffice.for_settings(
        session, state.settings, state.config, state.vault, state.templates
    )


def provide_public_desk(
    state: State,
    session: NamedDependency[AsyncSession],
    request_service: NamedDependency[RequestService],
    letter_office: NamedDependency[LetterOffice],
) -> PublicDesk:
    settings = state.settings
    base_url = settings.base_url.rstrip("/")
    controller = state.config.controller
    verification = EmailVerification(
        session=session,
        vault=state.vault,
        secret_key=settings.secret_key,
        mail=state.templates,
        controller=controller,
        base_url=base_url,
        sender_address=settings.mail_from,
        letters=letter_office,
        pause_for_identity=state.config.policies.pause_for_identity,
        region=settings.region,
        timezone=settings.timezone,
    )
    return PublicDesk(
        session=session,
        vault=state.vault,
        requests=request_service,
        verification=verification,
        limiter=state.limiter,
        mail=state.templates,
        controller=controller,
        base_url=base_url,
        sender_address=settings.mail_from,
    )


def provide_actions(
    state: State,
    session: NamedDependency[AsyncSession],
    letter_office: NamedDependency[LetterOffice],
) -> RequestActions:
    settings = state.settings
    return RequestActions(
        session=session,
        config=state.config,
        vault=state.vault,
        letters=letter_office,
        region=settings.region,
        timezone=settings.timezone,
    )


def provide_downloads(state: State, session: NamedDependency[AsyncSession]) -> Downloads:
    return Downloads(session=session, vault=state.vault, secret_key=state.settings.secret_key)


def provide_callbacks(
    state: State,
    session: NamedDependency[AsyncSession],
    letter_office: NamedDependency[LetterOffice],
) -> Callbacks:
    return Callbacks(
        session=session,
        config=state.config,
        connectors=state.connectors,
        vault=state.vault,
        letters=letter_office,
    )


def provide_phone_intake(
    state: State,
    session: NamedDependency[AsyncSession],
    request_service: NamedDependency[RequestService],
    public_desk: NamedDependency[PublicDesk],
) -> PhoneIntake:
    return PhoneIntake(
        session=session,
        config=state.config,
        connectors=state.connectors,
        vault=state.vault,
        requests=request_service,
        verification=public_desk.verification,
        limiter=state.limiter,
    )


def provide_casework(state: State, session: NamedDependency[AsyncSession]) -> Casework:
    return Casework(session=session, vault=state.vault)


def provide_desk(
    session: NamedDependency[AsyncSession],
    phone_intake: NamedDependency[PhoneIntake],
    casework: NamedDependency[Casework],
) -> Desk:
    return Desk(session=session, phone=phone_intake, casework=casework)
