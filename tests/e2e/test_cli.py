"""The `dsr` command as an operator runs it."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from dsr.db import Database
from dsr.security.audit import chain_all
from dsr.settings import new_encryption_key
from tests.helpers import free_port, wait_until_serving


def dsr(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dsr.cli", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    ("args", "printed"),
    [
        (["deadline", "2026-03-05"], "2026-04-07"),
        (["deadline", "2026-11-25"], "2026-12-28"),
        (["deadline", "2026-11-25", "--extended"], "2027-02-25"),
        (["deadline", "2026-12-06", "--region", "DE-BY"], "2027-01-07"),
    ],
)
def test_deadline_prints_the_iso_date_only(args: list[str], printed: str) -> None:
    result = dsr(*args)
    assert result.returncode == 0, result.stderr
    assert result.stdout == printed + "\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["deadline", "2026-02-30"], "not a date"),
        (["deadline", "tomorrow"], "not a date"),
        (["deadline"], "required"),
        (["deadline", "2026-01-01", "--region", "DE-XX"], "unknown region"),
        (["users", "add", "x", "--role", "root"], "invalid choice"),
        (["nonsense"], "invalid choice"),
    ],
)
def test_bad_arguments_exit_non_zero_with_a_message(args: list[str], message: str) -> None:
    result = dsr(*args)
    assert result.returncode != 0
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_operator_flow_users_tokens_and_audit_verify(tmp_path: Path) -> None:
    database = tmp_path / "dsr.db"
    env = {
        "DSR_DATABASE_URL": f"sqlite+aiosqlite:///{database}",
        "DSR_VAR_DIR": str(tmp_path / "var"),
        "DSR_ENCRYPTION_KEYS": new_encryption_key(),
        "DSR_HMAC_KEY": "cli-test-hmac-key-123456",
        "DSR_SECRET_KEY": "cli-test-secret",
        "DSR_AUDIT_KEY": "cli-test-audit-key-0123456789abcdef",
    }
    assert dsr("db", "upgrade", env=env).returncode == 0

    added = dsr("users", "add", "Dana", "--role", "dpo", env=env)
    assert added.returncode == 0, added.stderr
    assert "one-time password:" in added.stdout
    assert "otpauth://totp/dsr:dana?secret=" in added.stdout
    again = dsr("users", "add", "dana", "--role", "agent", env=env)
    assert again.returncode == 1 and "exists already" in again.stderr

    token = dsr("token", "create", "dana", env=env)
    assert token.returncode == 0 and token.stdout.startswith("dsr_")
    stored = sqlite3.connect(database).execute("SELECT digest FROM api_token").fetchall()
    assert stored and token.stdout.strip() not in str(stored)  # only the digest is kept
    assert dsr("token", "create", "nobody", env=env).returncode == 1

    waiting = dsr("audit", "verify", env=env)  # no scheduler ran: written, not chained yet
    assert waiting.returncode == 0, waiting.stderr
    assert "intact: 0 events (2 written by dsr and waiting for the sealer)" in waiting.stdout
    asyncio.run(_seal(env))  # what the scheduler does every second
    verified = dsr("audit", "verify", env=env)
    assert verified.returncode == 0, verified.stderr
    assert "intact: 2 events (0 written by dsr" in verified.stdout

    anchors = tmp_path / "anchors.jsonl"
    anchored = dsr("audit", "anchor", "--output", str(anchors), env=env)
    assert anchored.returncode == 0 and "anchored seq 2" in anchored.stdout, anchored.stderr
    printed = dsr("audit", "anchor", env=env)
    assert json.loads(printed.stdout)["seq"] == 2
    checked = dsr("audit", "verify", "--anchor", str(anchors), env=env)
    assert "intact: 2 events, matches 1 anchors" in checked.stdout, checked.stderr

    with sqlite3.connect(database) as connection:  # someone with the database file, no key
        connection.execute(
            "INSERT INTO event (at, actor, action, payload, nonce, mac) VALUES "
            "('2026-12-01 10:00:00', 'dpo:dana', 'request.approved', '{}', 'aa', 'bb')"
        )
    forged = dsr("audit", "verify", env=env)
    assert forged.returncode == 1
    assert "1 events outside the chain were not written by dsr" in forged.stderr
    with sqlite3.connect(database) as connection:
        assert connection.execute("SELECT count(*) FROM event WHERE seq IS NULL").fetchone() == (
            1,
        )  # reported, not chained
        connection.execute("DELETE FROM event WHERE seq = 2")
    truncated = dsr("audit", "verify", "--anchor", str(anchors), env=env)
    assert truncated.returncode == 1
    assert "broken at seq 2: truncated after anchor 2 was taken" in truncated.stderr
    with sqlite3.connect(database) as connection:
        connection.execute('UPDATE event SET payload = \'{"role": "admin"}\' WHERE seq = 1')
    broken = dsr("audit", "verify", env=env)
    assert broken.returncode == 1
    assert "broken at seq 1" in broken.stderr
    assert dsr("audit", "anchor", env=env).returncode == 1  # a broken chain is not anchored
    missing = dsr("audit", "verify", "--anchor", str(tmp_path / "none.jsonl"), env=env)
    assert missing.returncode == 1 and "cannot read the anchor file" in missing.stderr


async def _seal(env: dict[str, str]) -> None:
    database = Database.from_url(env["DSR_DATABASE_URL"], audit_key=env["DSR_AUDIT_KEY"])
    try:
        async with database.session_scope() as session:
            assert await chain_all(session) == 2
    finally:
        await database.dispose()


def test_several_web_processes_share_one_port_on_postgresql(
    database_url: str, tmp_path: Path
) -> None:
    """`dsr serve --workers 2`: refused on SQLite (one writer), serving on PostgreSQL."""
    import urllib.request

    env = {
        "DSR_DATABASE_URL": database_url,
        "DSR_VAR_DIR": str(tmp_path / "var"),
        "DSR_DEV_MAIL_CATCHER": "false",
        "DSR_WORKER": "false",
    }
    assert dsr("serve", "--workers", "0", env=env).stderr.startswith("dsr: --workers takes")
    if database_url.startswith("sqlite"):
        refused = dsr("serve", "--workers", "2", env=env)
        assert refused.returncode == 1
        assert "several web processes need PostgreSQL" in refused.stderr
        return
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "dsr.cli", "serve", "--workers", "2", "--port", str(port)],
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        wait_until_serving(f"http://127.0.0.1:{port}", server)
        answers = []
        for _ in range(20):  # new connections, spread over both processes
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=5) as r:
                answers.append(r.status)
        assert answers == [200] * 20
        assert dsr("serve", "--workers", "2", "--port", str(port), env=env).stderr.startswith(
            f"dsr: cannot listen on 127.0.0.1:{port}"
        )
    finally:
        server.terminate()
        _, errors = server.communicate(timeout=30)
    assert "Traceback" not in errors.decode()


def test_the_shared_socket_is_tcp_so_responses_are_not_delayed() -> None:
    """asyncio turns Nagle off (TCP_NODELAY) only for sockets created as TCP; without it a
    small response waited ~40 ms for the client's delayed ACK with several web processes."""
    from dsr.cli import _listening_socket

    with _listening_socket("127.0.0.1", 0) as sock:
        assert (sock.family, sock.type, sock.proto) == (
            socket.AF_INET,
            socket.SOCK_STREAM,
            socket.IPPROTO_TCP,
        )
        assert sock.get_inheritable()
