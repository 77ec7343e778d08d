"""Per-request dependencies: one database transaction per HTTP request, and the services."""

from __future__ import annotations

from collections.abc import AsyncGenerator

from litestar.datastructures import State
from litestar.di import NamedDependency
from sqlmodel.ext.asyncio.session import AsyncSession

from dsr.services.requests import RequestService


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
        session=session, vault=state.vault, region=settings.region, timezone=settings.timezone
    )
