"""The one lease-and-claim rule of durable work: tasks and outgoing mail.

A row is ready when it is ``ready`` and due (``next_attempt_at <= now``), or ``busy`` with an
expired lease (its worker died). Claiming locks the ready rows (``FOR UPDATE SKIP LOCKED`` on
PostgreSQL, so several workers share them; SQLite has one writer), marks them ``busy`` with a
lease and counts the attempt. A row whose lease ran out with its attempts used up is not
claimed again: the caller gives it up, so a message or task that kills its worker cannot loop.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession


@dataclass(frozen=True, slots=True)
class Claimed:
    claimed: list[uuid.UUID]
    lost: list[uuid.UUID]  # leases that ran out with every attempt used


async def claim(
    session: AsyncSession,
    model: Any,
    *,
    ready: str,
    busy: str,
    now: datetime,
    lease: timedelta,
    batch: int,
    max_attempts: int,
    owner: dict[str, Any] | None = None,
) -> Claimed:
    rows = (
        await session.exec(
            select(model.id, model.status, model.attempts)
            .where(
                or_(
                    and_(col(model.status) == ready, col(model.next_attempt_at) <= now),
                    and_(col(model.status) == busy, col(model.lease_until) < now),
                )
            )
            .order_by(col(model.next_attempt_at))
            .limit(batch)
            .with_for_update(skip_locked=True)
        )
    ).all()
    lost = [r[0] for r in rows if r[1] == busy and r[2] >= max_attempts]
    ids = [r[0] for r in rows if r[0] not in lost]
    if ids:
        await session.exec(
            update(model)
            .where(col(model.id).in_(ids))
            .values(
                status=busy,
                lease_until=now + lease,
                attempts=model.attempts + 1,
                **(owner or {}),
            )
        )
    return Claimed(ids, lost)
