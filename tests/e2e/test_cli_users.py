"""`dsr users list|deactivate|reactivate` as an operator runs them: the last active admin
stays, and a deactivated account can sign in again after reactivation."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from dsr.settings import new_encryption_key
from tests.e2e.test_cli import dsr


def _active(database: Path, username: str) -> bool:
    row = sqlite3.connect(database).execute(
        "SELECT active FROM staff WHERE username = ?", (username,)
    )
    return bool(row.fetchone()[0])


def test_users_list_deactivate_and_reactivate_keep_the_last_admin(tmp_path: Path) -> None:
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
    for name, role in (("root", "admin"), ("anna", "agent")):
        assert dsr("users", "add", name, "--role", role, env=env).returncode == 0

    listed = dsr("users", "list", env=env)
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    assert lines[0].split() == ["user", "role", "active", "set", "up"]
    assert lines[1].split() == ["anna", "agent", "yes", "no"]
    assert lines[2].split() == ["root", "admin", "yes", "no"]

    refused = dsr("users", "deactivate", "root", env=env)
    assert refused.returncode == 1 and "last active admin" in refused.stderr
    assert _active(database, "root")

    off = dsr("users", "deactivate", "anna", env=env)
    assert off.returncode == 0 and "anna deactivated" in off.stdout
    assert not _active(database, "anna")
    assert dsr("users", "list", env=env).stdout.splitlines()[1].split()[:3] == [
        "anna",
        "agent",
        "no",
    ]
    on = dsr("users", "reactivate", "anna", env=env)
    assert on.returncode == 0 and "anna reactivated" in on.stdout
    assert _active(database, "anna")
    again = dsr("users", "reactivate", "anna", env=env)
    assert "was active already" in again.stdout

    assert dsr("users", "add", "second", "--role", "admin", env=env).returncode == 0
    assert dsr("users", "deactivate", "root", env=env).returncode == 0  # another admin stays
    unknown = dsr("users", "deactivate", "nobody", env=env)
    assert unknown.returncode == 1 and "no user" in unknown.stderr
    events = sqlite3.connect(database).execute(
        "SELECT action FROM event WHERE action LIKE 'staff.%' ORDER BY seq"
    )
    actions = [row[0] for row in events.fetchall()]
    assert actions.count("staff.deactivated") == 2 and actions.count("staff.reactivated") == 1
