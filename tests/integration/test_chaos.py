"""Faults on PostgreSQL: `dsr worker` processes SIGKILLed at random moments, and the database
restarted (a server the test starts for itself, never the machine's shared one), while
erasure requests fan out, are released automatically and mail their letters. Afterwards every
request is done, every erasure ran once, the audit chain is intact, and every e-mail reached
the SMTP server (a repeat would carry the same Message-ID).

``DSR_CHAOS_REQUESTS`` sets the number of requests (``make test``: 100, ``make soak``: 1000;
enough that the workers are killed several times with work left over).
"""

from __future__ import annotations

import asyncio
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml
from sqlalchemy.engine import make_url
from sqlmodel import col, select

from dsr import demo, migrations
from dsr.db import Database
from dsr.models import Event, Outbox, Request, Task
from dsr.models.base import utcnow
from dsr.notify.catcher import MailCatcher
from dsr.security.audit import chain_all, verify_chain
from dsr.security.vault import Vault
from dsr.settings import Settings
from dsr.workflows import tasks
from tests.conftest import need_service
from tests.helpers import free_port, verified_request, worker_env
from tests.stores import TODAY

REQUESTS = int(os.environ.get("DSR_CHAOS_REQUESTS", "100"))
ROOT = Path(__file__).resolve().parents[2]


class OwnPostgres:
    """A PostgreSQL server of this test alone (``initdb`` + ``pg_ctl`` in a temporary
    directory, trust auth, a free port), so that restarting it disturbs no one else. As root
    the server runs as the ``postgres`` OS user (PostgreSQL refuses to run as root)."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="dsr-chaos-pg-"))  # reachable by postgres
        self.data = self.root / "data"
        self.port = free_port()
        self._as = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self._as:
            shutil.chown(self.root, "postgres", "postgres")

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *command: str) -> None:
        done = subprocess.run([*self._as, *command], capture_output=True, timeout=120, check=False)
        if done.returncode != 0:
            log = self.root / "server.log"
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise AssertionError(f"{command[:2]} failed: {done.stderr.decode()[-2000:]}\n{tail}")

    def start(self) -> None:
        self._run(
            "initdb",
            "-D",
            str(self.data),
            "-A",
            "trust",
            "-U",
            "postgres",
            "-E",
            "UTF8",
            "--locale=C",
            "--no-sync",
        )
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(
            "pg_ctl",
            "-D",
            str(self.data),
            "-l",
            str(self.root / "server.log"),
            "-o",
            options,
            "-w",
            "start",
        )

    def restart(self) -> None:
        self._run(
            "pg_ctl",
            "-D",
            str(self.data),
            "-l",
            str(self.root / "server.log"),
            "-m",
            "fast",
            "-w",
            "restart",
        )

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture
def own_postgres() -> Iterator[OwnPostgres]:
    if shutil.which("initdb") is None or shutil.which("pg_ctl") is None:
        need_service(
            "the chaos test starts its own PostgreSQL server: initdb and pg_ctl not on PATH"
        )
    server = OwnPostgres()
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture
def database_url(own_postgres: OwnPostgres) -> str:
    """Our database on the test's own server (instead of the shared one of conftest)."""
    url = make_url(own_postgres.url).set(drivername="postgresql+asyncpg")
    rendered = url.render_as_string(hide_password=False)
    migrations.upgrade(rendered)
    return rendered


async def _wait_for_postgres(db: Database) -> None:
    for _ in range(100):
        try:
            async with db.engine.connect() as connection:
                await connection.execute(sa.text("SELECT 1"))
            return
        except Exception:  # noqa: BLE001 - any failure means "not back yet"
            await asyncio.sleep(0.2)
    raise AssertionError("PostgreSQL did not come back")


async def test_killed_workers_and_a_database_restart_lose_nothing_and_repeat_nothing(
    own_postgres: OwnPostgres,
    settings: Settings,
    db: Database,
    tmp_path: Path,
    smtp_server: MailCatcher,
) -> None:
    shop = f"sqlite:///{tmp_path / 'shop.db'}"
    await demo.load_shop(shop, REQUESTS, TODAY, progress=False)
    raw = demo.demo_config(shop, tmp_path, None, "http://127.0.0.1:1")
    raw["stores"] = [s for s in raw["stores"] if s["type"] == "sql"]
    raw["policies"] = {"auto_approve": ["access", "erasure"], "auto_release": ["erasure"]}
    config_path = tmp_path / "dsr.yaml"
    config_path.write_text(yaml.safe_dump(raw))
    shop_engine = sa.create_engine(shop)
    with shop_engine.connect() as connection:
        emails = [row[0] for row in connection.execute(sa.text("SELECT email FROM customers"))]

    vault = Vault.from_secrets(settings.encryption_keys, settings.hmac_key)
    async with db.session_scope() as session:
        for number, email in enumerate(emails, start=1):
            await verified_request(session, vault, number, f"Kunde {number}", email)

    env = worker_env(
        settings,
        config_path,
        tmp_path / "var",
        lease_seconds="2",
        smtp_url=smtp_server.url,
        letters_dir=str(ROOT / "templates" / "letters"),
        log_level="WARNING",
    )
    # Durability, not PDF: without LibreOffice on the workers' PATH the letters go out as
    # DOCX (converting every letter would take the test's time, not test the runner).
    env["PATH"] = str(Path(sys.executable).parent)
    log = (tmp_path / "workers.log").open("ab")
    rng = random.Random(4711)  # noqa: S311 - fault timing, not security
    kills = restarts = mid_work = given_up = 0
    deadline = time.monotonic() + 120 + 2 * REQUESTS
    worker: subprocess.Popen[bytes] | None = None
    try:
        while time.monotonic() < deadline:
            worker = subprocess.Popen(  # noqa: ASYNC220 - a process we kill on purpose
                [sys.executable, "-m", "dsr.cli", "worker"],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=log,
            )
            await asyncio.sleep(rng.uniform(2.0, 3.0))  # start-up takes ~2 s of it
            if kills == 2 and not restarts:  # the database goes away
                own_postgres.restart()
                restarts += 1
                await db.engine.dispose()
                await _wait_for_postgres(db)
                await asyncio.sleep(1.0)  # the worker meets the restarted server on its own
            worker.send_signal(signal.SIGKILL)
            worker.wait(10)
            kills += 1
            async with db.session_scope() as session:
                open_ = (
                    await session.exec(select(Request).where(Request.status != "completed"))
                ).all()
                unsent = (await session.exec(select(Outbox).where(Outbox.status != "sent"))).all()
                # A task whose workers were killed on every attempt is failed for the DPO
                # (worker_lost), not claimed forever; the DPO retries it, as on the desk.
                lost = (await session.exec(select(Task).where(Task.status == "failed"))).all()
                assert {t.error for t in lost} <= {"worker_lost"}, [t.error for t in lost]
                for task in lost:
                    await tasks.revive(session, task, "dpo:chaos", utcnow())
                given_up += len(lost)
            if open_ or unsent:
                mid_work += 1  # this worker died with work left over
            elif kills >= 3:  # done, and the database restart (third life) has happened
                break
    finally:  # a failure above leaves no worker of ours running
        if worker is not None and worker.poll() is None:
            worker.kill()
            worker.wait(10)
    log.close()
    async with db.session_scope() as session:
        requests = (await session.exec(select(Request))).all()
        done_events = (await session.exec(select(Event).where(Event.action == "task.done"))).all()
        # The letter mails (the scheduler may add the DPO's daily digest after 07:30 local).
        outbox = (
            await session.exec(select(Outbox).where(col(Outbox.request_id).is_not(None)))
        ).all()
        events = len((await session.exec(select(Event.id))).all())
    async with db.session_scope() as session:  # what the last worker wrote but did not chain
        await chain_all(session)
    async with db.session_scope() as session:
        chain = await verify_chain(session)
    assert mid_work >= 2 and restarts == 1
    assert Counter(r.status for r in requests) == {"completed": REQUESTS}
    # Every erasure ran to completion exactly once per request (find + erase tasks).
    per_request = Counter((e.request_id, e.payload.get("action")) for e in done_events)
    assert set(per_request.values()) == {1}, per_request.most_common(3)
    assert sum(1 for (_, action) in per_request if action == "erase") == REQUESTS
    with shop_engine.connect() as connection:
        names = {row[0] for row in connection.execute(sa.text("SELECT name FROM customers"))}
        orders = connection.execute(sa.text("SELECT count(*) FROM orders")).scalar_one()
    shop_engine.dispose()
    assert names == {"***"} and orders == 0
    # Every letter mail (one download link per request) reached the SMTP server.
    assert len(outbox) == REQUESTS and {o.status for o in outbox} == {"sent"}
    letters = {o.message_id for o in outbox}
    received = Counter(
        str(m.message["Message-ID"])
        for m in smtp_server.mails
        if str(m.message["Message-ID"]) in letters
    )
    assert set(received) == letters
    repeats = sum(received.values()) - len(received)
    assert repeats <= kills  # a kill between delivery and bookkeeping repeats that one mail
    assert chain.ok and chain.checked == events and chain.pending == 0, chain
    print(
        f"chaos: {REQUESTS} erasures, {kills} workers killed ({mid_work} with work left), "
        f"{restarts} database restart(s), {given_up} tasks given up and retried, "
        f"{len(received)} mails, {repeats} repeated with the same Message-ID"
    )
