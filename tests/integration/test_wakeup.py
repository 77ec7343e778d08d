"""Work starts when it is committed, not at the next tick: the in-process bell (SQLite and
PostgreSQL), NOTIFY across processes (PostgreSQL), and a listener that outlives its
connection. Every worker here runs with a one-hour safety tick, so only a wake-up can move
the work within the test's patience."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import asyncpg
import pytest
import yaml
from sqlalchemy import text
from sqlmodel import select

from dsr import demo
from dsr.config import DsrConfig
from dsr.connectors.memory import MemoryConnector
from dsr.db import Database
from dsr.models import Task
from dsr.models.base import utcnow
from dsr.scheduler import running_worker
from dsr.security.vault import Vault
from dsr.settings import Settings
from dsr.workflows import plan, tasks, wakeup
from dsr.workflows.wakeup import BELL, TASKS, Listener
from tests.helpers import verified_request, worker_env
from tests.stores import TODAY

HOUR = 3600.0
PATIENCE = 20.0  # seconds: far below the safety tick, far above any real wake-up


def _shop_config() -> DsrConfig:
    return DsrConfig.model_validate(
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


async def _task_status(db: Database, request_id: object) -> str | None:
    async with db.session_scope() as session:
        task = (await session.exec(select(Task).where(Task.request_id == request_id))).first()
        return task.status if task else None


async def _until_done(db: Database, request_id: object) -> str | None:
    deadline = asyncio.get_running_loop().time() + PATIENCE
    status = None
    while asyncio.get_running_loop().time() < deadline:
        status = await _task_status(db, request_id)
        if status == plan.DONE:
            break
        await asyncio.sleep(0.1)
    return status


async def test_a_commit_rings_the_bell_and_a_rollback_does_not(db: Database) -> None:
    signal = BELL.subscribe(TASKS)
    try:
        session = db.sessions()
        async with session:
            await session.exec(text("SELECT 1"))
            wakeup.soon(session, TASKS)
            await session.rollback()
        await asyncio.sleep(0.05)
        assert not signal.is_set()  # nothing was committed: no one is woken
        async with db.session_scope() as session:
            await session.exec(text("SELECT 1"))
            wakeup.soon(session, TASKS)
        await asyncio.wait_for(signal.wait(), 1)
    finally:
        BELL.unsubscribe(TASKS, signal)


async def test_a_task_planned_while_the_worker_idles_runs_at_once(
    settings: Settings, db: Database
) -> None:
    idle = settings.model_copy(update={"tick_seconds": HOUR, "sweep_seconds": HOUR})
    vault = Vault.from_secrets(settings.encryption_keys, settings.hmac_key)
    store = MemoryConnector("shop", rows=[{"email": "wanda.wecker@example.org"}])
    async with running_worker(idle, _shop_config(), db, vault, {"shop": store}):
        await asyncio.sleep(0.5)  # the pumps' first run, on an empty queue, is over
        async with db.session_scope() as session:
            request = await verified_request(
                session, vault, 1, "Wanda Wecker", "wanda.wecker@example.org", kind="access"
            )
            await tasks.add(session, request.id, [plan.PlannedTask("shop", plan.FIND)], utcnow())
        assert await _until_done(db, request.id) == plan.DONE
    assert store.calls[:1] == ["find"]


@pytest.fixture
def pg_settings(settings: Settings) -> Settings:
    if not settings.database_url.startswith("postgresql"):
        pytest.skip("NOTIFY reaches other processes on PostgreSQL; SQLite has one process")
    return settings


def _dsn(settings: Settings) -> str:
    return settings.database_url.replace("postgresql+asyncpg://", "postgresql://")


async def test_the_listener_hears_notify_and_listens_again_when_its_connection_dies(
    pg_settings: Settings, db: Database
) -> None:
    listener = Listener(db.engine)
    signal = BELL.subscribe(TASKS)
    other = await asyncpg.connect(_dsn(pg_settings))
    try:
        await listener.keep_alive()
        assert listener.listening
        await other.execute(f"NOTIFY {TASKS}")  # as another process's commit sends it
        await asyncio.wait_for(signal.wait(), 5)
        signal.clear()

        pid = listener._driver.get_server_pid()
        await other.execute("SELECT pg_terminate_backend($1)", pid)
        for _ in range(50):
            if not listener.listening:
                break
            await asyncio.sleep(0.1)
        assert not listener.listening
        await listener.keep_alive()  # what the tasks pump does before each run
        assert listener.listening and listener._driver.get_server_pid() != pid
        await other.execute(f"NOTIFY {TASKS}")
        await asyncio.wait_for(signal.wait(), 5)
    finally:
        BELL.unsubscribe(TASKS, signal)
        await other.close()
        await listener.close()


async def test_work_committed_here_wakes_a_worker_process_at_once(
    pg_settings: Settings, db: Database, tmp_path: Path
) -> None:
    shop = f"sqlite:///{tmp_path / 'shop.db'}"
    await demo.load_shop(shop, 2, TODAY, progress=False)
    raw = demo.demo_config(shop, tmp_path, None, "http://127.0.0.1:1")
    raw["stores"] = [s for s in raw["stores"] if s["type"] == "sql"]
    config_path = tmp_path / "dsr.yaml"
    config_path.write_text(yaml.safe_dump(raw))
    env = worker_env(
        pg_settings,
        config_path,
        tmp_path / "var",
        smtp_url="smtp://127.0.0.1:9",
        tick_seconds=str(HOUR),
        sweep_seconds=str(HOUR),
    )
    worker = subprocess.Popen(  # noqa: ASYNC220 - started once, stopped below
        [sys.executable, "-m", "dsr.cli", "worker"], env=env, stderr=subprocess.DEVNULL
    )
    try:
        other = await asyncpg.connect(_dsn(pg_settings))
        try:
            for _ in range(200):  # until the worker listens (its last statement is LISTEN)
                listening = await other.fetchval(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND query LIKE 'LISTEN%'"
                )
                if listening:
                    break
                await asyncio.sleep(0.1)
        finally:
            await other.close()
        assert listening, "the worker never listened"
        await asyncio.sleep(1.0)  # its first runs, on an empty queue, are over
        vault = Vault.from_secrets(pg_settings.encryption_keys, pg_settings.hmac_key)
        async with db.session_scope() as session:  # verified here: the worker plans and runs
            request = await verified_request(
                session, vault, 1, "Wanda Wecker", "wanda.wecker@example.org", kind="access"
            )
        assert await _until_done(db, request.id) == plan.DONE
    finally:
        worker.terminate()
        try:
            worker.wait(10)
        except subprocess.TimeoutExpired:
            worker.kill()
