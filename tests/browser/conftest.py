"""A real `dsr serve` process driven by Debian's chromium through Playwright."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pyotp
import pytest
from sqlalchemy.engine import make_url

from dsr.settings import new_encryption_key
from tests.conftest import _pg_execute, need_service, run_apart
from tests.helpers import free_port, wait_until_serving

CHROMIUM = os.environ.get("DSR_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def chromium_path() -> str:
    if not (shutil.which(CHROMIUM) or Path(CHROMIUM).exists()):
        need_service(
            f"browser tests need Debian's chromium at {CHROMIUM} (apt-get install chromium)"
        )
    return CHROMIUM


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    """`dsr serve` in demo mode with its dev mail catcher, on free ports."""
    yield from _serve(tmp_path, demo=False)


@pytest.fixture
def demo_server(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """`dsr demo load` then `dsr serve`, as `make run` does; yields (url, demo load output)."""
    yield from _serve(tmp_path, demo=True)


@pytest.fixture
def demo_prepare() -> Callable[[Path], None] | None:
    """Run on the test's directory after `dsr demo load`, before `dsr serve` (a test module
    overrides this fixture to add a store to the demo's dsr.yaml, say)."""
    return None


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.soak)])
def demo_server_on(
    request: pytest.FixtureRequest, tmp_path: Path, demo_prepare: Callable[[Path], None] | None
) -> Iterator[tuple[str, str]]:
    """As `demo_server`, once on SQLite and once on a PostgreSQL database of its own (that
    walk is the same pages again: `make soak` runs it; the HTTP tests cover PostgreSQL)."""
    if request.param == "sqlite":
        yield from _serve(tmp_path, demo=True, prepare=demo_prepare)
        return
    server_url: str = request.getfixturevalue("postgres_server_url")
    name = f"dsr_browser_{uuid.uuid4().hex[:12]}"
    run_apart(_pg_execute(server_url, f'CREATE DATABASE "{name}"'))
    url = make_url(server_url).set(drivername="postgresql+asyncpg", database=name)
    try:
        yield from _serve(
            tmp_path,
            demo=True,
            database=url.render_as_string(hide_password=False),
            prepare=demo_prepare,
        )
    finally:
        run_apart(_pg_execute(server_url, f'DROP DATABASE "{name}" WITH (FORCE)'))


def _serve(
    tmp_path: Path,
    demo: bool,
    database: str | None = None,
    prepare: Callable[[Path], None] | None = None,
) -> Iterator[Any]:
    port, smtp_port = free_port(), free_port()
    database = database or f"sqlite+aiosqlite:///{tmp_path / 'dsr.db'}"
    base_url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "DSR_DATABASE_URL": database,
        "DSR_VAR_DIR": str(tmp_path / "var"),
        "DSR_SMTP_URL": f"smtp://127.0.0.1:{smtp_port}",
        "DSR_BASE_URL": base_url,
        "DSR_SWEEP_SECONDS": "0.3",
        "DSR_ENCRYPTION_KEYS": new_encryption_key(),
        "DSR_HMAC_KEY": "browser-test-hmac-key-0123",
        "DSR_SECRET_KEY": "browser-test-secret-key-0123",
    }
    env["DSR_CONFIG"] = str(tmp_path / "dsr.yaml")
    subprocess.run([sys.executable, "-m", "dsr.cli", "db", "upgrade"], env=env, check=True)
    loaded = ""
    if demo:
        loaded = subprocess.run(
            [
                sys.executable,
                "-m",
                "dsr.cli",
                "demo",
                "load",
                "--customers",
                "20",
            ],
            env=env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    if prepare is not None:
        prepare(tmp_path)
    log = (tmp_path / "server.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "dsr.cli", "serve", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_until_serving(base_url, process, tmp_path / "server.log")
        yield (base_url, loaded) if demo else base_url
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()


@pytest.fixture
def browser(chromium_path: str) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS
        )
        yield instance
        instance.close()


def screenshot(page: Any, name: str) -> None:
    """Saved to DSR_SCREENSHOT_DIR when it is set, to look at what a user sees."""
    directory = os.environ.get("DSR_SCREENSHOT_DIR")
    if directory:
        Path(directory).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(directory) / f"{name}.png"), full_page=True)


def first_sign_in(page: Any, server: str, username: str, password: str, secret: str) -> None:
    """A staff member's first sign-in from the demo's one-time password: a new password and
    the TOTP code, then the desk."""
    page.goto(f"{server}/login")
    page.get_by_label("Benutzername").fill(username)
    page.get_by_label("Passwort").fill(password)
    page.get_by_role("button", name="Anmelden").click()
    page.wait_for_url(re.compile(r".*/login/setup"))
    page.get_by_label("Neues Passwort (mindestens 12 Zeichen)").fill(
        f"{username}-new-password-2026"
    )
    page.get_by_label("Neues Passwort wiederholen").fill(f"{username}-new-password-2026")
    page.get_by_label("Code, den die App jetzt anzeigt").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Speichern und anmelden").click()
