"""A whole flow — submit, a wrong code, confirm, bad input, fan-out with a failing store — and
not one log line carries the person's name, address, phone or customer number."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import text
from sqlmodel import select

from dsr.app import create_app
from dsr.config import DsrConfig
from dsr.connectors.memory import MemoryConnector
from dsr.db import Database
from dsr.logging import configure_logging
from dsr.models import Event
from dsr.notify.catcher import MailCatcher
from dsr.scheduler import pumps
from dsr.security.audit import GENESIS, append_event
from dsr.security.audit_keys import AuditKey
from dsr.settings import Settings
from dsr.workflows.runner import Runner
from dsr.workflows.wakeup import pumping
from tests.e2e.web import Mailroom, post_form, submit
from tests.helpers import scheduler_jobs

SECRETS = ("Zacharias", "Quellenmeyer", "zacharias.quellenmeyer", "2011234567", "K4711")


async def test_a_full_flow_logs_no_personal_data(
    web_settings: Settings,
    smtp_server: MailCatcher,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    mailroom = Mailroom(web_settings, smtp_server)
    async with AsyncTestClient(
        app=create_app(web_settings), base_url="http://testserver.local"
    ) as client:
        response = await submit(
            client,
            name="Zacharias Quellenmeyer",
            email="zacharias.quellenmeyer@example.org",
            phone="0201 1234567",
            customer_number="K-4711",
            details="Bitte alles löschen, Zacharias",
        )
        status_path = response.headers["location"].split("?")[0]
        await mailroom.deliver()
        await post_form(client, status_path, f"{status_path}/verify", code="000000")  # a wrong try
        await post_form(client, status_path, f"{status_path}/verify", code=mailroom.code())
        await client.post(
            "/api/v1/requests",
            json={"kind": "access", "subject": {"name": "Zacharias\\r\\n", "email": "broken"}},
        )
        app: Any = client.app
        vault = app.state.vault
    config = DsrConfig.model_validate(
        {
            "stores": [
                {
                    "name": "shop",
                    "type": "sql",
                    "url": "sqlite://",
                    "system_of_record": True,
                    "tables": [{"name": "t", "identity": {"email": "e"}}],
                }
            ]
        }
    )
    database = Database.from_settings(web_settings)  # the test's own event loop
    try:
        failing = MemoryConnector("shop", failures=10)
        await Runner(database, config, {"shop": failing}, vault, max_attempts=1).drain()
    finally:
        await database.dispose()
    logged = capsys.readouterr().err + "\n".join(
        record.getMessage() + str(record.__dict__) for record in caplog.records
    )
    assert "outbox delivery" in logged and "task failed" in logged  # the logs did capture the flow
    for secret in SECRETS:
        assert secret.lower() not in logged.lower(), secret


REFUSE_SEALING = {
    "sqlite": [
        "CREATE TRIGGER refuse_sealing BEFORE UPDATE ON event "
        "BEGIN SELECT RAISE(ABORT, 'sealing refused'); END"
    ],
    "postgresql": [
        "CREATE FUNCTION refuse_sealing() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN RAISE EXCEPTION 'sealing refused'; END $$",
        "CREATE TRIGGER refuse_sealing BEFORE UPDATE ON event "
        "FOR EACH ROW EXECUTE FUNCTION refuse_sealing()",
    ],
}
ALLOW_SEALING = {
    "sqlite": ["DROP TRIGGER refuse_sealing"],
    "postgresql": ["DROP TRIGGER refuse_sealing ON event", "DROP FUNCTION refuse_sealing()"],
}


async def test_a_scheduler_job_failing_on_the_database_logs_neither_sql_nor_parameters(
    settings: Settings,
    db: Database,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Before: APScheduler logged the job's traceback, whose SQLAlchemy error carries the
    statement and its parameters. Now: one structured line, the error's type and the
    statement's name."""
    caplog.set_level(logging.DEBUG)
    configure_logging("INFO")
    async with db.session_scope() as session:
        await append_event(session, actor="system", action="test.step", payload={"n": 1})
    async with db.session_scope() as session:
        event = (await session.exec(select(Event))).one()
    key = AuditKey.from_secret(settings.audit_key)
    parameter = key.chain_hash(GENESIS, 1, event)  # what the sealer's UPDATE will carry
    async with db.engine.begin() as connection:
        for statement in REFUSE_SEALING[db.dialect]:
            await connection.execute(text(statement))
    logged = ""
    try:
        async with pumping(pumps(scheduler_jobs(db, settings), 0.1)):
            for _ in range(300):  # until the sealer has failed (it runs every 0.1 s)
                await asyncio.sleep(0.1)
                logged += capsys.readouterr().err
                failures = [r for r in caplog.records if r.levelno >= logging.ERROR]
                if "scheduler job failed" in logged or failures:
                    break
    finally:  # the pumps have stopped: nothing holds the table
        async with db.engine.begin() as connection:
            for statement in ALLOW_SEALING[db.dialect]:
                await connection.execute(text(statement))
    logged += capsys.readouterr().err + "\n".join(
        record.getMessage() + str(record.__dict__) for record in caplog.records
    )
    for leaked in (parameter, "UPDATE event SET", "[parameters:", "sealing refused"):
        assert leaked not in logged, leaked
    assert not [record.getMessage() for record in caplog.records if record.exc_info]
    line = next(json.loads(row) for row in logged.splitlines() if "scheduler job failed" in row)
    assert (line["job"], line["statement"], line["level"]) == ("audit", "UPDATE event", "error")
    assert line["error_type"] in {"IntegrityError", "DBAPIError", "InternalError"}, line
    async with db.session_scope() as session:
        assert (await session.get(Event, event.id)).seq is None  # the job did fail
