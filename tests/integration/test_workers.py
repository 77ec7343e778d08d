"""Several workers on PostgreSQL: shared work, nothing twice, and a worker killed mid-task."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import threading
from collections import Counter
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlmodel import select

from dsr import demo
from dsr.config import DsrConfig
from dsr.connectors.base import EraseResult, Identifiers
from dsr.connectors.registry import build_connectors
from dsr.db import Database
from dsr.models import Event, Request, Task
from dsr.models.base import utcnow
from dsr.security.vault import Vault
from dsr.settings import Settings
from dsr.workflows import engine
from dsr.workflows.engine import SYSTEM
from dsr.workflows.runner import Runner
from tests.helpers import verified_request, worker_env
from tests.stores import TODAY, Processor


@pytest.fixture
def pg_settings(settings: Settings) -> Settings:
    if not settings.database_url.startswith("postgresql"):
        pytest.skip("several workers share work on PostgreSQL only; SQLite runs one worker")
    return settings


class Recording:
    """A store that remembers every job it was asked to do."""

    def __init__(self, name: str, jobs: list[str]) -> None:
        self.name = name
        self.jobs = jobs

    async def erase(self, who: Identifiers, today: date, job: str = "") -> EraseResult:
        self.jobs.append(job)
        await asyncio.sleep(0.002)
        return EraseResult(erased={"rows": 1})

    async def close(self) -> None:
        return None


async def _requests_with_tasks(
    db: Database, vault: Vault, requests: int, stores: list[str]
) -> None:
    async with db.session_scope() as session:
        for number in range(requests):
            request = await verified_request(
                session, vault, number + 1, f"P{number}", f"p{number}@example.org", level="kba"
            )
            await engine.apply(session, request, "approve", SYSTEM)
            for store in stores:
                session.add(
                    Task(
                        request_id=request.id, store=store, action="erase", next_attempt_at=utcnow()
                    )
                )


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_two_workers_share_500_tasks_and_none_runs_twice(
    pg_settings: Settings, db: Database
) -> None:
    vault = Vault.from_secrets(pg_settings.encryption_keys, pg_settings.hmac_key)
    stores = [f"m{i}" for i in range(5)]
    await _requests_with_tasks(db, vault, 100, stores)
    config = DsrConfig.model_validate(
        {
            "stores": [
                {
                    "name": "anchor",
                    "type": "sql",
                    "url": "sqlite://",
                    "system_of_record": True,
                    "tables": [{"name": "t", "identity": {"email": "e"}}],
                }
            ]
            + [{"name": s, "type": "manual", "instructions": "-"} for s in stores]
        }
    )
    jobs: dict[str, list[str]] = {"a": [], "b": []}

    async def work(worker: str) -> None:
        database = Database.from_settings(pg_settings)
        connectors: Any = {s: Recording(s, jobs[worker]) for s in stores}
        runner = Runner(database, config, connectors, vault, worker=worker, batch=10)
        try:
            await runner.drain(rounds=200)
        finally:
            await database.dispose()

    await asyncio.gather(work("a"), work("b"))
    every = jobs["a"] + jobs["b"]
    assert len(every) == 500 and len(set(every)) == 500  # each task ran exactly once
    assert jobs["a"] and jobs["b"]  # and both workers took part
    async with db.session_scope() as session:
        tasks = (await session.exec(select(Task))).all()
        statuses = Counter(r.status for r in (await session.exec(select(Request))).all())
    assert Counter(t.status for t in tasks) == {"done": 500}
    assert statuses == {"awaiting_review": 100}


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_a_worker_killed_mid_task_is_replaced_and_the_task_completes_once(
    pg_settings: Settings, db: Database, tmp_path: Path, processor: Processor
) -> None:
    shop = f"sqlite:///{tmp_path / 'shop.db'}"
    await demo.load_shop(shop, 2, TODAY, progress=False)
    raw = demo.demo_config(shop, tmp_path, None, "http://127.0.0.1:1")
    raw["stores"] = [s for s in raw["stores"] if s["type"] != "manual"]
    newsletter = next(s for s in raw["stores"] if s["name"] == "newsletter")
    newsletter["url"] = processor.url
    config_path = tmp_path / "dsr.yaml"
    config_path.write_text(yaml.safe_dump(raw))
    config = DsrConfig.model_validate(raw)

    arrived = threading.Event()
    release = threading.Event()

    def behave(call: dict[str, Any]) -> tuple[int, Any]:
        arrived.set()
        if len(processor.calls) == 1:
            release.wait(20)  # the first call hangs until the worker is dead
        return 200, {"status": "done", "result": {"tables": {"subscribers": [{"email": "x"}]}}}

    processor.behave = behave
    vault = Vault.from_secrets(pg_settings.encryption_keys, pg_settings.hmac_key)
    async with db.session_scope() as session:
        request = await verified_request(
            session, vault, 1, "S", "soeren.noacktaesche.1@example.org", kind="access"
        )
        request_id = request.id

    env = worker_env(pg_settings, config_path, tmp_path / "var", smtp_url="smtp://127.0.0.1:9")
    worker = subprocess.Popen(  # noqa: ASYNC220 - started once, killed below
        [sys.executable, "-m", "dsr.cli", "worker"], env=env, stderr=subprocess.DEVNULL
    )
    try:
        assert await asyncio.to_thread(arrived.wait, 30), "the worker never called the processor"
        worker.send_signal(signal.SIGKILL)
        worker.wait(10)
    finally:
        if worker.poll() is None:
            worker.kill()
        release.set()

    async with db.session_scope() as session:
        stuck = (await session.exec(select(Task).where(Task.store == "newsletter"))).one()
    assert (stuck.status, stuck.attempts) == ("running", 1)  # leased by the dead worker

    connectors = build_connectors(config, b"k", "http://x", environ={})
    runner = Runner(db, config, connectors, vault, clock=lambda: utcnow() + timedelta(minutes=6))
    try:
        await runner.drain()
    finally:
        for connector in connectors.values():
            await connector.close()

    async with db.session_scope() as session:
        task = (await session.exec(select(Task).where(Task.store == "newsletter"))).one()
        done = (
            await session.exec(
                select(Event).where(Event.request_id == request_id, Event.action == "task.done")
            )
        ).all()
        request = await session.get_one(Request, request_id)
    assert (task.status, task.attempts) == ("done", 2)
    assert (
        Counter(e.payload["store"] + ":" + e.payload["action"] for e in done)["newsletter:export"]
        == 1
    )
    assert request.status == "awaiting_review"
    keys = [h["Idempotency-Key"] for h in processor.headers]
    assert len(keys) == 2 and keys[0] == keys[1] == str(
        task.id
    )  # the processor can tell it is a repeat
