"""`dsr demo load` and `dsr config check` as a newcomer runs them."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from dsr.settings import new_encryption_key


def _dsr(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "DSR_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'var' / 'dsr.db'}",
        "DSR_VAR_DIR": str(tmp_path / "var"),
        "DSR_CONFIG": str(tmp_path / "dsr.yaml"),
        "DSR_ENCRYPTION_KEYS": new_encryption_key(),
        "DSR_HMAC_KEY": "demo-cli-test-hmac-key",
        "DSR_SECRET_KEY": "demo-cli-test-secret",
    }
    return subprocess.run(
        [sys.executable, "-m", "dsr.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_demo_load_is_idempotent_and_its_config_checks_out(tmp_path: Path) -> None:
    assert _dsr(tmp_path, "db", "upgrade").returncode == 0
    first = _dsr(
        tmp_path, "demo", "load", "--customers", "25", "--redis-url", "redis://127.0.0.1:1/0"
    )
    assert first.returncode == 0, first.stderr
    assert "config: wrote" in first.stdout and "API token dsr_" in first.stdout
    assert "Redis at redis://127.0.0.1:1/0 not reachable" in first.stdout
    assert "@example.org, K100001" in first.stdout

    second = _dsr(
        tmp_path, "demo", "load", "--customers", "25", "--redis-url", "redis://127.0.0.1:1/0"
    )
    assert second.returncode == 0, second.stderr
    assert "kept the existing" in second.stdout and second.stdout.count("exists already") == 3
    shop = sqlite3.connect(tmp_path / "var" / "demo" / "shop.db")
    assert shop.execute("select count(*) from customers").fetchone() == (25,)
    assert shop.execute("select count(*) from orders").fetchone() == (250,)

    # The demo's webhook processor is served by `dsr serve`; without it the check says so.
    checked = _dsr(tmp_path, "config", "check")
    assert checked.returncode == 0, checked.stderr
    (tmp_path / "dsr.yaml").write_text(
        (tmp_path / "dsr.yaml").read_text().replace("name: tickets", "name: tickets_old")
    )
    broken = _dsr(tmp_path, "config", "check")
    assert broken.returncode == 1
    assert "store shop: table tickets_old does not exist" in broken.stderr
