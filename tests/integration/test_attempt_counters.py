"""The one place that counts attempts (``dsr.security.attempts``), against the database."""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta

from sqlmodel import col, select

from dsr.db import Database
from dsr.models import AttemptCounter, Verification
from dsr.models.base import utcnow
from dsr.security import attempts
from dsr.security.vault import Vault
from dsr.settings import Settings
from tests.helpers import verified_request

WINDOW = attempts.Window("test", 5, timedelta(hours=24))


async def test_at_most_the_limit_is_counted_however_many_attempts_arrive_at_once(
    db: Database, settings: Settings
) -> None:
    vault = Vault.from_secrets(settings.encryption_keys, settings.hmac_key)
    async with db.session_scope() as session:
        request = await verified_request(session, vault, 1, "Erika Mustermann", "e@example.org")
        verification = Verification(request_id=request.id, method="email_code")
        session.add(verification)
    counter = attempts.Counter(Verification.attempts, 5)

    async def one() -> int | None:
        async with db.sessions() as session:
            row = await attempts.count(session, counter, col(Verification.id) == verification.id)
            await asyncio.sleep(0.01)  # judging takes a moment; others wait meanwhile
            await attempts.settle(session)
        return None if row is None else int(row[0])

    counted = await asyncio.gather(*(one() for _ in range(20)))
    assert sorted(n for n in counted if n is not None) == [1, 2, 3, 4, 5]
    async with db.session_scope() as session:
        assert (await session.get_one(Verification, verification.id)).attempts == 5


async def test_a_keyed_window_counts_restarts_gives_back_and_is_forgotten(
    db: Database, settings: Settings
) -> None:
    vault = Vault.from_secrets(settings.encryption_keys, settings.hmac_key)
    now = utcnow()
    async with db.session_scope() as session:
        counted = [
            await attempts.count_keyed(session, vault.index, WINDOW, "K100001", now)
            for _ in range(6)
        ]
        assert counted == [1, 2, 3, 4, 5, None]
        await attempts.give_back(session, vault.index, WINDOW, "K100001")
        assert await attempts.count_keyed(session, vault.index, WINDOW, "K100001", now) == 5
        later = now + timedelta(hours=24)
        assert await attempts.count_keyed(session, vault.index, WINDOW, "K100001", later) == 1
        assert await attempts.count_keyed(session, vault.index, WINDOW, "K100002", now) == 1
    async with db.session_scope() as session:
        keys = (await session.exec(select(AttemptCounter.key))).all()
    assert len(keys) == 2 and all(re.fullmatch(r"[0-9a-f]{64}", key) for key in keys)
    async with db.session_scope() as session:
        forgotten = await attempts.forget_old_counters(
            session, now + attempts.LONGEST + timedelta(seconds=1)
        )
    assert forgotten == 1  # K100002's; K100001's window opened a day later
