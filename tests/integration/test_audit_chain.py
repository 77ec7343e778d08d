"""`dsr audit verify` semantics: an edited, deleted or reordered event is found by its seq;
events are written without waiting for each other and chained afterwards."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, text, update
from sqlmodel import col, select

from dsr.db import Database
from dsr.models import Event
from dsr.security.audit import append_event, chain_pending, verify_chain


async def _chain_of(db: Database, length: int, chain: bool = True) -> None:
    for number in range(length):
        async with db.session_scope() as session:
            await append_event(session, actor="system", action="test.step", payload={"n": number})
    if chain:
        async with db.session_scope() as session:
            assert await chain_pending(session) == length


async def _report(db: Database) -> tuple[bool, int | None, int]:
    async with db.session_scope() as session:
        report = await verify_chain(session, batch=2)  # small batches walk the paging too
    return report.ok, report.first_bad_seq, report.checked


async def test_an_untouched_chain_verifies(db: Database) -> None:
    await _chain_of(db, 5)
    assert await _report(db) == (True, None, 5)


async def test_an_empty_chain_verifies(db: Database) -> None:
    assert await _report(db) == (True, None, 0)


async def test_an_edited_payload_is_found(db: Database) -> None:
    await _chain_of(db, 5)
    async with db.session_scope() as session:
        await session.exec(update(Event).where(Event.seq == 3).values(payload={"n": 99}))
    ok, bad, _ = await _report(db)
    assert (ok, bad) == (False, 3)


async def test_an_edited_actor_with_a_recomputed_hash_breaks_the_next_link(db: Database) -> None:
    await _chain_of(db, 4)
    async with db.session_scope() as session:
        await session.exec(update(Event).where(Event.seq == 2).values(hash="f" * 64))
    ok, bad, _ = await _report(db)
    assert (ok, bad) == (False, 2)


async def test_a_deleted_event_is_found(db: Database) -> None:
    await _chain_of(db, 5)
    async with db.session_scope() as session:
        await session.exec(delete(Event).where(Event.seq == 2))
    ok, bad, _ = await _report(db)
    assert (ok, bad) == (False, 2)


async def test_reordered_events_are_found(db: Database) -> None:
    await _chain_of(db, 5)
    async with db.engine.begin() as connection:  # swap the contents of events 2 and 4
        await connection.execute(text("UPDATE event SET seq = -2 WHERE seq = 2"))
        await connection.execute(text("UPDATE event SET seq = 2 WHERE seq = 4"))
        await connection.execute(text("UPDATE event SET seq = 4 WHERE seq = -2"))
    ok, bad, _ = await _report(db)
    assert (ok, bad) == (False, 2)


@pytest.mark.parametrize("writers", [8])
async def test_concurrent_appends_and_sealers_keep_one_unbroken_chain(
    db: Database, writers: int
) -> None:
    import asyncio

    async def seal() -> int:
        async with db.session_scope() as session:
            return await chain_pending(session)

    await asyncio.gather(*(_chain_of(db, 3, chain=False) for _ in range(writers)))
    async with db.session_scope() as session:
        assert (await verify_chain(session)).pending == 3 * writers
    sealed = await asyncio.gather(*(seal() for _ in range(4)))  # sealers at the same time
    assert sum(sealed) == 3 * writers
    assert await _report(db) == (True, None, 3 * writers)


async def test_written_events_wait_for_the_sealer_and_are_chained_after_the_rest(
    db: Database,
) -> None:
    await _chain_of(db, 3)
    await _chain_of(db, 2, chain=False)
    async with db.session_scope() as session:
        report = await verify_chain(session)
        assert (report.ok, report.checked, report.pending) == (True, 3, 2)
        assert await chain_pending(session, batch=1) == 1  # in batches, oldest first
    async with db.session_scope() as session:
        assert await chain_pending(session) == 1
        seqs = (await session.exec(select(Event.seq).order_by(col(Event.id)))).all()
    assert seqs == [1, 2, 3, 4, 5]
    assert await _report(db) == (True, None, 5)
