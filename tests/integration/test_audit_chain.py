"""`dsr audit verify` semantics: an edited (even re-hashed), deleted, reordered or truncated
event is found by its seq or by an anchor; an event dsr did not write is never chained;
events are written without waiting for each other and chained afterwards."""

from __future__ import annotations

import asyncio
import hashlib
import json
import secrets
from pathlib import Path

import pytest
from sqlalchemy import delete, insert, text, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from dsr.db import Database
from dsr.domain.errors import ConfigError
from dsr.models import Event
from dsr.models.base import utcnow
from dsr.scheduler import pumps
from dsr.security.audit import (
    GENESIS,
    Anchor,
    ChainReport,
    append_event,
    chain_all,
    chain_pending,
    head_anchor,
    read_anchors,
    verify_chain,
    write_anchor,
)
from dsr.security.audit_keys import AuditKey
from dsr.settings import Settings
from dsr.workflows.wakeup import AUDIT
from tests.helpers import scheduler_jobs

OTHER_KEY = AuditKey.from_secret("an-attackers-own-key-0123456789-abcdef")


async def _chain_of(db: Database, length: int, chain: bool = True) -> None:
    for number in range(length):
        async with db.session_scope() as session:
            await append_event(session, actor="system", action="test.step", payload={"n": number})
    if chain:
        async with db.session_scope() as session:
            assert await chain_pending(session) == length


async def _verify(db: Database, anchors: list[Anchor] | None = None) -> ChainReport:
    async with db.session_scope() as session:
        return await verify_chain(session, anchors or [], batch=2)  # small batches: paging too


async def _report(db: Database) -> tuple[bool, int | None, int]:
    report = await _verify(db)
    return report.ok, report.first_bad_seq, report.checked


async def _anchor(db: Database) -> Anchor:
    async with db.session_scope() as session:
        return await head_anchor(session)


async def _forge(db: Database, key: AuditKey | None = OTHER_KEY, **row: object) -> int:
    """Insert an event as someone with write access to the database would: without dsr's
    key (a MAC under another key, or a made-up one)."""
    at, nonce = utcnow(), secrets.token_hex(16)
    fields = {"actor": "dpo:dana", "action": "request.approved", "payload": {}, **row}
    mac = (
        key.event_mac(nonce, at, str(fields["actor"]), None, str(fields["action"]), {})
        if key
        else "0" * 64
    )
    async with db.engine.begin() as connection:
        result = await connection.execute(
            insert(Event.__table__).values(at=at, nonce=nonce, mac=mac, **fields)  # type: ignore[attr-defined]
        )
        return int(result.inserted_primary_key[0])


async def _rehash_from(db: Database, first: int, rehash: object) -> None:
    """Recompute ``hash`` and ``prev_hash`` from ``first`` on, the way a forger would."""
    async with db.session_scope() as session:
        events = (await session.exec(select(Event).order_by(col(Event.seq)))).all()
        prev = next(e.hash for e in events if e.seq == first - 1) if first > 1 else GENESIS
        for event in events[first - 1 :]:
            event.prev_hash = prev
            event.hash = rehash(prev, event)  # type: ignore[operator]
            prev = event.hash
            session.add(event)


def _sha256_link(prev: str, event: Event) -> str:
    """The unkeyed chain dsr used before: anyone could recompute it."""
    body = json.dumps(
        {"seq": event.seq, "at": event.at.isoformat(timespec="microseconds"),
         "actor": event.actor, "request": None, "action": event.action,
         "payload": event.payload},
        sort_keys=True, separators=(",", ":"), ensure_ascii=False,
    )  # fmt: skip
    return hashlib.sha256((prev + body).encode()).hexdigest()


def _other_key_link(prev: str, event: Event) -> str:
    return OTHER_KEY.chain_hash(prev, event.seq or 0, event)


async def test_an_untouched_chain_verifies(db: Database) -> None:
    await _chain_of(db, 5)
    assert await _report(db) == (True, None, 5)


async def test_an_empty_chain_verifies(db: Database) -> None:
    assert await _report(db) == (True, None, 0)


async def test_an_edited_payload_is_found(db: Database) -> None:
    await _chain_of(db, 5)
    async with db.session_scope() as session:
        await session.exec(update(Event).where(col(Event.seq) == 3).values(payload={"n": 99}))
    ok, bad, _ = await _report(db)
    assert (ok, bad) == (False, 3)


@pytest.mark.parametrize("rehash", [_sha256_link, _other_key_link], ids=["sha256", "other-key"])
async def test_an_edited_event_with_the_whole_chain_rehashed_is_found(
    db: Database, rehash: object
) -> None:
    """Before: editing an event and recomputing every later hash passed `dsr audit verify`.
    Without DSR_AUDIT_KEY the recomputed links do not hold."""
    await _chain_of(db, 5)
    async with db.session_scope() as session:
        await session.exec(update(Event).where(col(Event.seq) == 3).values(payload={"n": 99}))
    await _rehash_from(db, 3, rehash)
    report = await _verify(db)
    assert (report.ok, report.first_bad_seq, report.checked) == (False, 3, 2)
    assert report.problem == "content does not match its hash"


async def test_an_edited_hash_breaks_its_own_link(db: Database) -> None:
    await _chain_of(db, 4)
    async with db.session_scope() as session:
        await session.exec(update(Event).where(col(Event.seq) == 2).values(hash="f" * 64))
    ok, bad, _ = await _report(db)
    assert (ok, bad) == (False, 2)


async def test_a_deleted_event_is_found(db: Database) -> None:
    await _chain_of(db, 5)
    async with db.session_scope() as session:
        await session.exec(delete(Event).where(col(Event.seq) == 2))
    ok, bad, _ = await _report(db)
    assert (ok, bad) == (False, 2)


async def test_reordered_events_are_found(db: Database) -> None:
    await _chain_of(db, 5)
    async with db.engine.begin() as connection:  # swap the places of events 2 and 4
        await connection.execute(text("UPDATE event SET seq = -2 WHERE seq = 2"))
        await connection.execute(text("UPDATE event SET seq = 2 WHERE seq = 4"))
        await connection.execute(text("UPDATE event SET seq = 4 WHERE seq = -2"))
    report = await _verify(db)
    assert (report.ok, report.first_bad_seq) == (False, 2)
    assert report.problem == "previous hash does not match"


@pytest.mark.parametrize("deleted", [1, 3])
async def test_deleting_the_newest_events_is_found_with_an_anchor(
    db: Database, deleted: int
) -> None:
    """Before: truncation left a shorter chain that verified. Against an anchor taken
    earlier it does not."""
    await _chain_of(db, 6)
    anchor = await _anchor(db)
    assert anchor.seq == 6
    async with db.session_scope() as session:
        await session.exec(delete(Event).where(col(Event.seq) > 6 - deleted))
    assert await _report(db) == (True, None, 6 - deleted)  # what the chain alone cannot see
    report = await _verify(db, [anchor])
    assert (report.ok, report.first_bad_seq) == (False, 6 - deleted + 1)
    assert report.problem == (
        f"truncated after anchor 6 was taken: the chain ends at seq {6 - deleted}"
    )


async def test_truncating_and_chaining_new_events_in_their_place_is_found_by_the_anchor(
    db: Database,
) -> None:
    await _chain_of(db, 5)
    anchor = await _anchor(db)
    async with db.session_scope() as session:
        await session.exec(delete(Event).where(col(Event.seq) > 3))
    await _chain_of(db, 2)  # dsr chains its next events as seq 4 and 5
    report = await _verify(db, [anchor])
    assert (report.ok, report.first_bad_seq) == (False, 5)
    assert report.problem == "differs from anchor 5 (rewritten since it was taken)"


async def test_older_anchors_and_a_growing_chain_verify(db: Database, tmp_path: Path) -> None:
    path = tmp_path / "anchors.jsonl"
    await _chain_of(db, 2)
    write_anchor(path, await _anchor(db))
    await _chain_of(db, 3)
    write_anchor(path, await _anchor(db))
    await _chain_of(db, 1)
    anchors = read_anchors(path)
    assert [a.seq for a in anchors] == [2, 5]
    report = await _verify(db, anchors)
    assert (report.ok, report.checked, report.anchors) == (True, 6, 2)


@pytest.mark.parametrize(
    "content", ["", "not json\n", '{"seq": 1}\n', '{"seq": 1, "hash": "ab", "at": "x"}\n']
)
def test_a_file_that_holds_no_anchor_is_refused_with_a_message(
    tmp_path: Path, content: str
) -> None:
    path = tmp_path / "anchors.jsonl"
    path.write_text(content)
    with pytest.raises(ConfigError, match="anchor"):
        read_anchors(path)
    with pytest.raises(ConfigError, match="cannot read"):
        read_anchors(tmp_path / "missing.jsonl")


@pytest.mark.parametrize("forged_mac", ["other-key", "made-up"])
async def test_an_event_inserted_behind_dsrs_back_is_reported_and_never_chained(
    db: Database, settings: Settings, forged_mac: str
) -> None:
    """Before: an event inserted unchained was sealed into the chain by `dsr audit verify`
    itself. Now verify reports it, and the scheduler's sealer refuses it."""
    await _chain_of(db, 3)
    forged = await _forge(db, OTHER_KEY if forged_mac == "other-key" else None)
    await _chain_of(db, 1, chain=False)  # dsr's own event, written after the forged one
    report = await _verify(db)
    assert (report.ok, report.first_bad_seq, report.refused, report.refused_ids) == (
        False, None, 1, (forged,)
    )  # fmt: skip
    assert report.pending == 1

    sealer = next(p for p in pumps(scheduler_jobs(db, settings), 1.0) if p.channel == AUDIT)
    await sealer.job()  # the worker's own job, as it runs after every commit with events
    await sealer.job()
    async with db.session_scope() as session:
        row = await session.get(Event, forged)
        assert row is not None and row.seq is None and row.refused_at is not None
        seqs = (await session.exec(select(Event.seq).order_by(col(Event.id)))).all()
    assert seqs == [1, 2, 3, None, 4]  # dsr's event took the next place, the forged one none
    report = await _verify(db)
    assert (report.checked, report.pending, report.refused_ids, report.ok) == (
        4, 0, (forged,), False
    )  # fmt: skip


async def test_an_event_edited_before_it_was_chained_is_refused(db: Database) -> None:
    """The writer's MAC covers an event from the moment it is written, not only once
    chained."""
    await _chain_of(db, 2, chain=False)
    async with db.session_scope() as session:
        first = (await session.exec(select(Event).order_by(col(Event.id)))).first()
        assert first is not None
        await session.exec(update(Event).where(col(Event.id) == first.id).values(actor="dpo:x"))
    assert (await _verify(db)).refused_ids == (first.id,)
    async with db.session_scope() as session:
        assert await chain_all(session) == 1
    report = await _verify(db)
    assert (report.checked, report.refused_ids) == (1, (first.id,))


async def test_a_copy_of_a_chained_event_is_never_chained_twice(db: Database) -> None:
    """Replaying dsr's own nonce and MAC: the database refuses the copy, and where that
    index was dropped, the sealer does."""
    await _chain_of(db, 2)
    async with db.session_scope() as session:
        original = (await session.exec(select(Event).where(col(Event.seq) == 2))).one()
    copy = original.model_dump(exclude={"id", "seq", "prev_hash", "hash"})
    table = Event.__table__  # type: ignore[attr-defined]
    with pytest.raises(IntegrityError):
        async with db.engine.begin() as connection:
            await connection.execute(insert(table).values(**copy))
    async with db.engine.begin() as connection:
        await connection.execute(text("DROP INDEX ix_event_mac"))
    try:
        async with db.engine.begin() as connection:
            await connection.execute(insert(table).values(**copy))
        async with db.session_scope() as session:
            assert await chain_all(session) == 0
        report = await _verify(db)
        assert (report.checked, report.refused, report.ok) == (2, 1, False)
    finally:
        async with db.engine.begin() as connection:
            await connection.execute(delete(table).where(table.c.seq.is_(None)))
            await connection.execute(text("CREATE UNIQUE INDEX ix_event_mac ON event (mac)"))


async def test_without_the_key_a_database_cannot_write_or_check_events(
    settings: Settings,
) -> None:
    keyless = Database.from_url(settings.database_url)
    try:
        async with keyless.session_scope() as session:
            with pytest.raises(RuntimeError, match="DSR_AUDIT_KEY"):
                await append_event(session, actor="system", action="test.step")
            with pytest.raises(RuntimeError, match="DSR_AUDIT_KEY"):
                await verify_chain(session)
    finally:
        await keyless.dispose()
    with pytest.raises(ConfigError, match="at least 32"):
        AuditKey.from_secret("short")


async def test_the_scheduler_appends_one_anchor_a_day(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    path = tmp_path / "anchors.jsonl"
    await _chain_of(db, 3)
    jobs = scheduler_jobs(db, settings, path)
    assert await jobs.anchor_audit() is True
    await _chain_of(db, 1)
    assert await jobs.anchor_audit() is False  # once a day, whichever instance comes first
    anchors = read_anchors(path)
    assert [(a.seq, a.hash) for a in anchors] == [(3, anchors[0].hash)]
    async with db.session_scope() as session:
        await session.exec(delete(Event).where(col(Event.seq) >= 3))
    report = await _verify(db, anchors)
    assert report.problem == "truncated after anchor 3 was taken: the chain ends at seq 2"


async def test_an_unwritable_anchor_path_is_tried_again_the_next_tick(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    path = tmp_path / "missing-dir" / "anchors.jsonl"
    jobs = scheduler_jobs(db, settings, path)
    with pytest.raises(ConfigError, match="cannot write the anchor file"):
        await jobs.anchor_audit()
    path.parent.mkdir()
    assert await jobs.anchor_audit() is True
    assert [a.seq for a in read_anchors(path)] == [0]


@pytest.mark.parametrize("writers", [8])
async def test_concurrent_appends_and_sealers_keep_one_unbroken_chain(
    db: Database, writers: int
) -> None:
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


def test_an_anchor_names_seq_hash_and_time() -> None:
    anchor = Anchor(7, "a" * 64, utcnow().replace(microsecond=0))
    assert Anchor.from_json(anchor.to_json()) == anchor
    assert set(json.loads(anchor.to_json())) == {"seq", "hash", "at"}
