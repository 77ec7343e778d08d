"""`X-Forwarded-For` over real HTTP to `dsr serve`: believed only from the proxies listed in
`DSR_TRUSTED_PROXIES`, so that a local process cannot choose the address every per-IP limit
counts (uvicorn's own default trusted 127.0.0.1)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from dsr.security.ratelimit import SUBMIT_PER_IP
from dsr.settings import Settings
from tests.helpers import free_port, wait_until_serving, web_request


@contextmanager
def served(settings: Settings, tmp_path: Path, **extra: str) -> Iterator[str]:
    port = free_port()
    log = tmp_path / f"serve-{port}.log"
    env = {
        **{k: v for k, v in os.environ.items() if k != "DSR_TRUSTED_PROXIES"},
        "DSR_DATABASE_URL": settings.database_url,
        "DSR_VAR_DIR": str(settings.var_dir),
        "DSR_CONFIG": str(tmp_path / "absent.yaml"),
        "DSR_ENCRYPTION_KEYS": settings.encryption_keys,
        "DSR_HMAC_KEY": settings.hmac_key,
        "DSR_SECRET_KEY": settings.secret_key,
        "DSR_WORKER": "false",
        "DSR_DEV_MAIL_CATCHER": "false",
        **{f"DSR_{name.upper()}": value for name, value in extra.items()},
    }
    with log.open("wb") as output:
        server = subprocess.Popen(
            [sys.executable, "-m", "dsr.cli", "serve", "--port", str(port)],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        base_url = f"http://127.0.0.1:{port}"
        try:
            wait_until_serving(base_url, server, log)
            yield base_url
        finally:
            server.terminate()
            server.wait(timeout=30)
    assert "Traceback" not in log.read_text()


def _submit(client: httpx.Client, number: int, forwarded_for: str) -> int:
    body = web_request(subject={"name": "Erika Mustermann", "email": f"erika{number}@example.org"})
    response = client.post(
        "/api/v1/requests", json=body, headers={"X-Forwarded-For": forwarded_for}
    )
    return response.status_code


def test_a_forged_forwarded_for_does_not_reset_the_limit_by_default(
    settings: Settings, tmp_path: Path
) -> None:
    with served(settings, tmp_path) as base_url, httpx.Client(base_url=base_url) as client:
        answers = [_submit(client, n, f"198.51.100.{n}") for n in range(SUBMIT_PER_IP.count + 1)]
    assert answers == [201] * SUBMIT_PER_IP.count + [429]


def test_the_forwarded_for_of_a_configured_proxy_is_the_client_address(
    settings: Settings, tmp_path: Path
) -> None:
    with (
        served(settings, tmp_path, trusted_proxies="10.9.8.7, 127.0.0.0/8") as base_url,
        httpx.Client(base_url=base_url) as client,
    ):
        each_their_own = [
            _submit(client, n, f"198.51.100.{n}") for n in range(SUBMIT_PER_IP.count + 1)
        ]
        one_address = [
            _submit(client, 100 + n, "203.0.113.9") for n in range(SUBMIT_PER_IP.count + 1)
        ]
    assert each_their_own == [201] * (SUBMIT_PER_IP.count + 1)
    assert one_address == [201] * SUBMIT_PER_IP.count + [429]


@pytest.mark.parametrize("value", ["localhost", "10.0.0.300", "10.0.0.0/33"])
def test_a_trusted_proxy_that_is_no_address_stops_the_server(tmp_path: Path, value: str) -> None:
    env = {**os.environ, "DSR_TRUSTED_PROXIES": value, "DSR_VAR_DIR": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-m", "dsr.cli", "serve", "--port", str(free_port())],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert f"DSR_TRUSTED_PROXIES: {value!r} is not an IP address or network" in result.stderr
