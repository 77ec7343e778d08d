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
    upgraded = _dsr(tmp_path, "db", "upgrade")
    assert upgraded.returncode == 0
    assert upgraded.stderr == ""  # no SAWarning about the expression index on a clean migrate
    first = _dsr(tmp_path, "demo", "load", "--customers", "25")
    assert first.returncode == 0, first.stderr
    assert "config: wrote" in first.stdout and "API token dsr_" in first.stdout
    assert "Redis" not in first.stdout and "redis" not in (tmp_path / "dsr.yaml").read_text()
    shop = sqlite3.connect(tmp_path / "var" / "demo" / "shop.db")
    pin, email = shop.execute("select phone_pin, email from customers where id = 1").fetchone()
    invoice_on, total = shop.execute(
        "select issued_on, total from invoices where customer_id = 1 "
        "order by issued_on desc, id desc limit 1"
    ).fetchone()
    assert f"  {email.split('@')[0]}" not in first.stdout  # the name leads, then the address
    assert f": {email}\n" in first.stdout
    assert (
        f"customer number K100001, PIN {pin}, last invoice {invoice_on} over {total}"
        in first.stdout
    )

    # The first customer is erased by a request (PIN nulled, address hashed, name masked):
    # the next run no longer offers them.
    shop.execute(
        "update customers set phone_pin = null, email = 'c2f1e0', name = '***' where id = 1"
    )
    shop.commit()
    second = _dsr(tmp_path, "demo", "load", "--customers", "25")
    assert second.returncode == 0, second.stderr
    assert "kept the existing" in second.stdout and second.stdout.count("exists already") == 3
    assert "K100001" not in second.stdout and "***" not in second.stdout
    assert "customer number K100002" in second.stdout
    assert second.stdout.count("customer number K") == 3
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


def test_demo_writes_session_keys_only_into_the_redis_it_is_given(tmp_path: Path) -> None:
    assert _dsr(tmp_path, "db", "upgrade").returncode == 0
    refused = _dsr(
        tmp_path, "demo", "load", "--customers", "5", "--redis-url", "redis://127.0.0.1:1/0"
    )
    assert refused.returncode == 1
    assert "Redis at redis://127.0.0.1:1/0 is not reachable" in refused.stderr
