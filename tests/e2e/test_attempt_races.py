"""Limits on attempts under concurrency: many requests at once over real HTTP to a served
app (`dsr serve` on a free port), on SQLite and PostgreSQL. Before, on PostgreSQL, each
limit was a read-then-write: 25 wrong codes at once were stored as one attempt, one TOTP code
signed in 8 times, and dozens of passwords and download codes were judged past the limit."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import io
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pyotp
import pytest
import yaml
from sqlalchemy import update
from sqlmodel import col, func, select

from dsr import artifacts, demo
from dsr.db import Database
from dsr.domain.vocabulary import Role
from dsr.models import Download, Event, Request, Staff, StaffSession, Verification
from dsr.models.base import utcnow
from dsr.security.passwords import token_digest
from dsr.security.vault import Vault
from dsr.services.downloads import code_hash
from dsr.settings import Settings
from tests.e2e.web import csrf_of
from tests.helpers import free_port, verified_request, wait_until_serving, web_request
from tests.staff import _staff
from tests.stores import TODAY

RIGHT = "424242"


@pytest.fixture
def served(settings: Settings, tmp_path: Path) -> Iterator[str]:
    """`dsr serve` on the test's database, without a worker (mail stays in the outbox)."""
    yield from _serve(settings, tmp_path, {})


@pytest.fixture
def served_console(settings: Settings, tmp_path: Path) -> Iterator[str]:
    """The same with the demo shop as system of record, for phone checks."""
    shop = f"sqlite:///{tmp_path / 'shop.db'}"
    asyncio.run(demo.load_shop(shop, 3, TODAY, progress=False))
    raw = demo.demo_config(shop, tmp_path, None, "http://testserver.local")
    raw["stores"] = [store for store in raw["stores"] if store["type"] == "sql"]
    (tmp_path / "dsr.yaml").write_text(yaml.safe_dump(raw))
    yield from _serve(settings, tmp_path, {"DSR_CONFIG": str(tmp_path / "dsr.yaml")})


def _serve(settings: Settings, tmp_path: Path, extra: dict[str, str]) -> Iterator[str]:
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "DSR_DATABASE_URL": settings.database_url,
        "DSR_VAR_DIR": str(settings.var_dir),
        "DSR_ENCRYPTION_KEYS": settings.encryption_keys,
        "DSR_HMAC_KEY": settings.hmac_key,
        "DSR_SECRET_KEY": settings.secret_key,
        "DSR_BASE_URL": base_url,
        "DSR_WORKER": "false",
        "DSR_DEV_MAIL_CATCHER": "false",
        **extra,
    }
    log_path = tmp_path / "server.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "dsr.cli", "serve", "--port", str(port)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_until_serving(base_url, process, log_path, seconds=120)  # a busy machine
            yield base_url
        finally:
            process.terminate()
            process.wait(timeout=10)
    assert "Traceback" not in log_path.read_text()


def _wrong(count: int) -> list[str]:
    return [f"{n:06d}" for n in range(count)]


async def _events(db: Database, action: str) -> list[Event]:
    async with db.session_scope() as session:
        query = select(Event).where(Event.action == action).order_by(col(Event.id))
        return list((await session.exec(query)).all())


async def test_25_wrong_codes_at_once_then_the_right_code_is_refused(
    served: str, settings: Settings, db: Database
) -> None:
    async with httpx.AsyncClient(base_url=served, timeout=60) as http:
        created = await http.post("/api/v1/requests", json=web_request())
        assert created.status_code == 201
        reference = created.json()["reference"]
        async with db.session_scope() as session:  # the code the e-mail would carry
            verification = (await session.exec(select(Verification))).one()
            digest = hmac.new(
                settings.secret_key.encode(),
                f"{verification.id}:{RIGHT}".encode(),
                hashlib.sha256,
            ).hexdigest()
            await session.exec(
                update(Verification)
                .where(col(Verification.id) == verification.id)
                .values(code_hash=digest)
            )
        verify = f"/api/v1/requests/{reference}/verify"
        answers = await asyncio.gather(
            *(http.post(verify, json={"code": code}) for code in _wrong(25))
        )
        assert [answer.status_code for answer in answers] == [400] * 25
        right = await http.post(verify, json={"code": RIGHT})
    assert right.status_code == 400
    async with db.session_scope() as session:
        verification = (await session.exec(select(Verification))).one()
    assert (verification.attempts, verification.result) == (5, "failed")
    failed = await _events(db, "verification.failed")
    assert sorted(event.payload["attempts"] for event in failed) == [1, 2, 3, 4, 5]


async def _sign_ins(base_url: str, count: int, password: str, code: str) -> list[int]:
    async with httpx.AsyncClient(base_url=base_url, timeout=60) as http:
        token = csrf_of((await http.get("/login")).text)
        form = {"_csrf_token": token, "username": "dana", "password": password, "code": code}
        answers = await asyncio.gather(*(http.post("/login", data=form) for _ in range(count)))
    return [answer.status_code for answer in answers]


async def test_one_totp_code_in_8_parallel_sign_ins_gives_exactly_one_session(
    served: str, settings: Settings, db: Database
) -> None:
    password, secret = await _staff(settings, "dana", Role.DPO)
    statuses = await _sign_ins(served, 8, password, pyotp.TOTP(secret).now())
    assert sorted(statuses) == [303] + [400] * 7
    async with db.session_scope() as session:
        sessions = (await session.exec(select(func.count()).select_from(StaffSession))).one()
    assert sessions == 1
    assert len(await _events(db, "staff.signed_in")) == 1


async def test_50_wrong_passwords_at_once_exactly_5_are_judged_then_the_account_is_locked(
    served: str, settings: Settings, db: Database
) -> None:
    _, secret = await _staff(settings, "dana", Role.DPO)
    statuses = await _sign_ins(served, 50, "not-the-password", pyotp.TOTP(secret).now())
    assert set(statuses) <= {400, 429}  # 429: the 30 sign-ins per address and 10 minutes
    failed = await _events(db, "staff.sign_in_failed")
    assert sorted(event.payload["failures"] for event in failed) == [1, 2, 3, 4, 5]
    assert [event.payload["locked"] for event in failed].count(True) == 1
    async with db.session_scope() as session:
        staff = (await session.exec(select(Staff))).one()
    assert staff.locked_until is not None and staff.locked_until > utcnow() + timedelta(minutes=14)


async def test_20_wrong_download_codes_at_once_exactly_5_are_judged(
    served: str, settings: Settings, db: Database
) -> None:
    token = "download-token-" + uuid.uuid4().hex
    vault = Vault.from_secrets(settings.encryption_keys, settings.hmac_key)
    async with db.session_scope() as session:
        request = await verified_request(session, vault, 1, "Erika Mustermann", "e@example.org")
        artifact = await artifacts.save_file(
            session,
            vault.cipher,
            io.BytesIO(b"the package"),
            request_id=request.id,
            kind="package",
            media_type="application/zip",
        )
        download = Download(
            id=uuid.uuid4(),
            request_id=request.id,
            artifact_id=artifact.id,
            link_digest=token_digest(token),
            code_hash="",
            expires_at=utcnow() + timedelta(days=7),
        )
        download.code_hash = code_hash(settings.secret_key, download.id, RIGHT)
        session.add(download)
    async with httpx.AsyncClient(base_url=served, timeout=60) as http:
        csrf = csrf_of((await http.get(f"/download/{token}")).text)
        answers = await asyncio.gather(
            *(
                http.post(f"/download/{token}", data={"_csrf_token": csrf, "code": code})
                for code in _wrong(20)
            )
        )
        assert [answer.status_code for answer in answers] == [400] * 20
        right = await http.post(f"/download/{token}", data={"_csrf_token": csrf, "code": RIGHT})
    assert right.status_code != 200 and b"the package" not in right.content
    async with db.session_scope() as session:
        assert (await session.exec(select(Download))).one().attempts == 5
    assert len(await _events(db, "download.failed")) == 5


async def test_parallel_phone_checks_stay_within_the_request_and_the_customer_limits(
    served_console: str, settings: Settings, db: Database
) -> None:
    """Before: 8 checks at once on one request stored 9 (the limit was 3); new requests for
    the same customer gave 3 more each."""
    password, secret = await _staff(settings, "anna", Role.AGENT)
    async with httpx.AsyncClient(base_url=served_console, timeout=60) as http:
        csrf = csrf_of((await http.get("/login")).text)
        signed_in = await http.post(
            "/login",
            data={
                "_csrf_token": csrf,
                "username": "anna",
                "password": password,
                "code": pyotp.TOTP(secret).now(),
            },
        )
        assert signed_in.status_code == 303
        guess = {"_csrf_token": csrf, "customer_number": "K100001", "phone_pin": "guess"}
        new = {**guess, "kind": "erasure", "name": "Sören Noack-Täsche", "change_value": ""}
        first = await http.post("/console/new", data=new)
        reference = first.headers["location"].split("/")[3].split("?")[0]
        checks = await asyncio.gather(
            *(http.post(f"/console/requests/{reference}/check", data=guess) for _ in range(8))
        )
        assert {check.status_code for check in checks} == {303}
        more = await asyncio.gather(*(http.post("/console/new", data=new) for _ in range(8)))
        assert {answer.status_code for answer in more} == {303}
    checked = await _events(db, "verification.kba_checked")
    async with db.session_scope() as session:
        first_id = (
            await session.exec(select(Request.id).where(Request.reference == reference))
        ).one()
    assert len([event for event in checked if event.request_id == first_id]) == 3
    assert len(checked) == 5  # per customer, across all nine requests
    assert sum("n=refused" in answer.headers["location"] for answer in [*checks, *more]) == 12
