"""The engine: one writer of status, idempotent, optimistic-locked, audited in one transaction."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import col, select

from dsr.db import Database
from dsr.domain.errors import Conflict, InvalidTransition
from dsr.models import Event, Request, Subject
from dsr.models.base import utcnow
from dsr.security.audit import chain_pending, verify_chain
from dsr.workflows import engine
from dsr.workflows.engine import SUBJECT, SYSTEM, NewRequest


async def _new_request(db: Database, reference: str = "DSR-2026-000001") -> Request:
    async with db.session_scope() as session:
        subject = Subject()
        session.add(subject)
        await session.flush()
        return await engine.open_request(
            session,
            NewRequest(
                reference=reference,
                kind="access",
                channel="web",
                language="de",
                received_at=utcnow(),
                due_on=date(2026, 12, 28),
                subject_id=subject.id,
            ),
            SUBJECT,
        )


async def _events(db: Database) -> list[Event]:
    async with db.session_scope() as session:
        return list((await session.exec(select(Event).order_by(col(Event.id)))).all())


async def test_a_request_walks_its_lifecycle_with_one_event_per_step(db: Database) -> None:
    request = await _new_request(db)
    steps = [
        ("ask_verification", {}),
        ("verify", {"level": "email_matched"}),
        ("approve", {}),
        ("finish", {}),
        ("release", {"outcome": "provided"}),
    ]
    for event, arguments in steps:
        async with db.session_scope() as session:
            request = await session.get_one(Request, request.id)
            outcome = await engine.apply(session, request, event, SYSTEM, **arguments)
            assert outcome.changed
    assert request.status == "completed"
    assert request.verification_level == "email_matched"
    assert request.closed_at is not None and request.outcome == "provided"
    assert request.version == 6
    events = await _events(db)
    assert [e.action for e in events] == [
        "request.received",
        "request.ask_verification",
        "request.verify",
        "request.approve",
        "request.finish",
        "request.release",
    ]
    assert events[2].payload == {
        "from": "awaiting_verification",
        "to": "verified",
        "level": "email_matched",
    }
    async with db.session_scope() as session:
        assert await chain_pending(session) == len(events)
    async with db.session_scope() as session:
        report = await verify_chain(session)
    assert (report.ok, report.checked, report.pending) == (True, len(events), 0)


async def test_applying_the_same_event_twice_changes_nothing(db: Database) -> None:
    request = await _new_request(db)
    for _ in range(2):
        async with db.session_scope() as session:
            request = await session.get_one(Request, request.id)
            outcome = await engine.apply(session, request, "withdraw", SUBJECT)
    assert not outcome.changed
    assert outcome.request.status == "withdrawn"
    assert [e.action for e in await _events(db)] == ["request.received", "request.withdraw"]


async def test_an_event_that_does_not_apply_is_refused_and_writes_nothing(db: Database) -> None:
    request = await _new_request(db)
    async with db.session_scope() as session:
        request = await session.get_one(Request, request.id)
        with pytest.raises(InvalidTransition):
            await engine.apply(session, request, "approve", SYSTEM)
        with pytest.raises(InvalidTransition):
            await engine.apply(session, request, "drop_table", SYSTEM)
    async with db.session_scope() as session:
        assert (await session.get_one(Request, request.id)).status == "received"
    assert len(await _events(db)) == 1


async def test_a_stale_copy_loses_against_a_concurrent_change(db: Database) -> None:
    request = await _new_request(db)
    async with db.session_scope() as session:
        stale = await session.get_one(Request, request.id)
    async with db.session_scope() as session:
        fresh = await session.get_one(Request, request.id)
        await engine.apply(session, fresh, "ask_verification", SYSTEM)
    async with db.session_scope() as session:
        session.add(stale)
        with pytest.raises(Conflict):
            await engine.apply(session, stale, "withdraw", SUBJECT)
    async with db.session_scope() as session:
        assert (await session.get_one(Request, request.id)).status == "awaiting_verification"


async def test_status_and_audit_event_commit_or_roll_back_together(db: Database) -> None:
    request_id = (await _new_request(db)).id

    class Boom(Exception):
        pass

    with pytest.raises(Boom):
        async with db.session_scope() as session:
            request = await session.get_one(Request, request_id)
            await engine.apply(session, request, "withdraw", SUBJECT)
            raise Boom
    async with db.session_scope() as session:
        assert (await session.get_one(Request, request_id)).status == "received"
    assert [e.action for e in await _events(db)] == ["request.received"]
