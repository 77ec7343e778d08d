"""Casework on SQLite and PostgreSQL: notes and attachments go with the request's personal
data when the retention period ends; the person search compares blind indexes only."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update
from sqlalchemy.dialects import postgresql
from sqlmodel import select

from dsr.db import Database
from dsr.domain.vocabulary import Role
from dsr.models import Artifact, Note, Request, Staff
from dsr.models.base import utcnow
from dsr.security.fields import FieldCipher
from dsr.services.casework import Casework, Upload
from dsr.services.search import person_condition
from dsr.services.staff import add_staff
from dsr.settings import Settings
from dsr.workflows import engine
from dsr.workflows.engine import SUBJECT, SYSTEM, Actor
from tests.integration.test_sweeps import _request, _sweeps, _vault


async def test_notes_and_attachments_are_purged_with_the_personal_data(
    db: Database, settings: Settings
) -> None:
    async with db.session_scope() as session:
        await add_staff(
            session, FieldCipher.from_config(settings.encryption_keys), "dana", Role.DPO, SYSTEM
        )
        staff = (await session.exec(select(Staff).where(Staff.username == "dana"))).one()
    request_id = await _request(db, settings, days_ago=1200)
    async with db.session_scope() as session:
        dana = Actor("staff", staff.id, Role.DPO.value)
        request = await session.get_one(Request, request_id)
        work = Casework(session, _vault(settings))
        await work.add_note(request, dana, "Rückruf von Frau Mustermann")
        await work.attach(request, dana, Upload(b"%PDF-1.4 scan", "application/pdf"))
        await engine.apply(session, request, "withdraw", SUBJECT)
        await session.exec(
            update(Request)
            .where(Request.id == request_id)  # type: ignore[arg-type]
            .values(closed_at=utcnow() - timedelta(days=1096))
        )
    async with db.session_scope() as session:
        assert len((await session.exec(select(Note))).all()) == 1
        assert await _sweeps(session, settings).purge_closed(utcnow()) == 1
    async with db.session_scope() as session:
        assert (await session.exec(select(Note))).all() == []
        assert (await session.exec(select(Artifact))).all() == []


def test_the_person_search_sends_only_keyed_hashes_to_the_database(settings: Settings) -> None:
    condition = person_condition(_vault(settings), "Erika.Mustermann@Example.org")
    sql = str(
        condition.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True})
    )
    assert "erika" not in sql.lower() and "example" not in sql.lower()
    assert _vault(settings).index("email", "erika.mustermann@example.org") in sql
