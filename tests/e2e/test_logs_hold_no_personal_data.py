"""A whole flow — submit, a wrong code, confirm, bad input, fan-out with a failing store — and
not one log line carries the person's name, address, phone or customer number."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from dsr.app import create_app
from dsr.config import DsrConfig
from dsr.connectors.memory import MemoryConnector
from dsr.db import Database
from dsr.notify.catcher import MailCatcher
from dsr.settings import Settings
from dsr.workflows.runner import Runner
from tests.e2e.web import Mailroom, post_form, submit

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
