"""Staff sessions and API tokens: an absolute session lifetime, a password and TOTP reset that
revokes the person's tokens, tokens listed and revoked one by one (admin page and CLI), and
`__Host-` cookie names under https."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyotp
import pytest
import time_machine
from litestar.testing import AsyncTestClient
from sqlmodel import select

from dsr.app import create_app
from dsr.db import Database
from dsr.domain.vocabulary import Role
from dsr.models import ApiToken, Event, Staff
from dsr.security.fields import FieldCipher
from dsr.services.staff import actor_for_token, add_staff, create_token
from dsr.settings import Settings
from dsr.workflows.engine import SYSTEM
from tests.e2e.test_cli import dsr
from tests.e2e.web import csrf_of
from tests.staff import _sign_in, _staff

Client = AsyncTestClient  # type: ignore[type-arg]
START = datetime(2026, 12, 1, 7, 0, tzinfo=UTC)


@pytest.fixture
def staff_settings(settings: Settings, tmp_path: Path) -> Settings:
    return settings.model_copy(update={"config": tmp_path / "absent.yaml"})


@pytest.fixture
async def staff_client(staff_settings: Settings) -> AsyncIterator[Client]:
    async with AsyncTestClient(
        app=create_app(staff_settings), base_url="http://testserver.local"
    ) as client:
        yield client


async def _tokens(settings: Settings, name: str, role: Role, *labels: str) -> list[str]:
    database = Database.from_settings(settings)
    try:
        async with database.session_scope() as session:
            cipher = FieldCipher.from_config(settings.encryption_keys)
            if not (await session.exec(select(Staff).where(Staff.username == name))).first():
                await add_staff(session, cipher, name, role, SYSTEM)
            return [await create_token(session, name, SYSTEM, label=label) for label in labels]
    finally:
        await database.dispose()


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_a_session_ends_after_its_maximum_lifetime_however_active(
    staff_settings: Settings,
) -> None:
    assert Settings().session_max_hours == 12  # the default
    app = create_app(staff_settings.model_copy(update={"session_max_hours": 2}))
    password, secret = await _staff(staff_settings, "dana", Role.DPO)
    with time_machine.travel(START, tick=False) as traveller:
        async with AsyncTestClient(app=app, base_url="http://testserver.local") as client:
            assert (
                await _sign_in(client, "dana", password, pyotp.TOTP(secret).now())
            ).status_code == 303
            for _ in range(5):  # active every 20 minutes: never idle for 30
                traveller.shift(timedelta(minutes=20))
                assert (await client.get("/dpo", follow_redirects=False)).status_code == 200
            traveller.shift(timedelta(minutes=19))  # 1 h 59 min after sign-in
            assert (await client.get("/dpo", follow_redirects=False)).status_code == 200
            traveller.shift(timedelta(minutes=2))  # 2 h 1 min
            ended = await client.get("/dpo", follow_redirects=False)
            assert (ended.status_code, ended.headers["location"]) == (303, "/login")
            traveller.shift(timedelta(minutes=1))  # a new sign-in gets a new lifetime
            fresh = await _sign_in(client, "dana", password, pyotp.TOTP(secret).now())
            assert fresh.status_code == 303
            assert (await client.get("/dpo", follow_redirects=False)).status_code == 200


async def test_resetting_password_and_totp_revokes_the_persons_api_tokens(
    staff_client: Client, staff_settings: Settings
) -> None:
    (anna,) = await _tokens(staff_settings, "anna", Role.AGENT, "script")
    (other,) = await _tokens(staff_settings, "otto", Role.AGENT, "otto's script")
    (adam,) = await _tokens(staff_settings, "adam", Role.ADMIN, "admin")
    assert (await staff_client.get("/api/v1/requests", headers=_bearer(anna))).status_code == 200
    page = await staff_client.get("/admin/staff", headers=_bearer(adam))
    step = await staff_client.post(
        "/admin/staff/anna/reset",
        headers=_bearer(adam),
        data={"_csrf_token": csrf_of(page.text)},
    )
    assert "Setzt Passwort und TOTP von anna zurück" in step.text  # the second step first
    assert (await staff_client.get("/api/v1/requests", headers=_bearer(anna))).status_code == 200
    reset = await staff_client.post(
        "/admin/staff/anna/reset",
        headers=_bearer(adam),
        data={"_csrf_token": csrf_of(page.text), "confirmed": "1"},
    )
    assert reset.status_code == 200
    assert (await staff_client.get("/api/v1/requests", headers=_bearer(anna))).status_code == 401
    assert (await staff_client.get("/api/v1/requests", headers=_bearer(other))).status_code == 200
    database = Database.from_settings(staff_settings)
    try:
        async with database.session_scope() as session:
            assert await actor_for_token(session, anna) is None  # in every process, not cached
            event = (
                await session.exec(select(Event).where(Event.action == "staff.totp_reset"))
            ).one()
    finally:
        await database.dispose()
    assert event.payload["tokens_revoked"] == 1


async def test_the_admin_page_lists_tokens_and_revokes_one_by_one(
    staff_client: Client, staff_settings: Settings
) -> None:
    first, second = await _tokens(staff_settings, "anna", Role.AGENT, "nightly export", "report")
    (adam,) = await _tokens(staff_settings, "adam", Role.ADMIN, "admin")
    await staff_client.get("/api/v1/requests", headers=_bearer(first))  # "last used" now
    page = await staff_client.get("/admin/staff", headers=_bearer(adam))
    assert "nightly export" in page.text and "report" in page.text
    assert first not in page.text and second not in page.text  # never the token itself
    rows = re.findall(r'action="/admin/tokens/([0-9a-f-]{36})/revoke"', page.text)
    database = Database.from_settings(staff_settings)
    try:
        async with database.session_scope() as session:
            stored = {
                t.label: t
                for t in (await session.exec(select(ApiToken))).all()  # digests only
            }
    finally:
        await database.dispose()
    assert sorted(rows) == sorted(str(t.id) for t in stored.values())
    assert stored["nightly export"].last_used_at is not None
    assert stored["report"].last_used_at is None and "nie" in page.text  # never used

    revoked = await staff_client.post(
        f"/admin/tokens/{stored['nightly export'].id}/revoke",
        headers=_bearer(adam),
        data={"_csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )
    assert (revoked.status_code, revoked.headers["location"]) == (303, "/admin/staff")
    assert (await staff_client.get("/api/v1/requests", headers=_bearer(first))).status_code == 401
    assert (await staff_client.get("/api/v1/requests", headers=_bearer(second))).status_code == 200
    after = await staff_client.get("/admin/staff", headers=_bearer(adam))
    assert "nightly export" not in after.text and "report" in after.text
    unknown = await staff_client.post(
        f"/admin/tokens/{uuid.uuid4()}/revoke",
        headers=_bearer(adam),
        data={"_csrf_token": csrf_of(after.text)},
    )
    assert unknown.status_code == 404


def test_token_list_and_revoke_on_the_command_line(
    staff_settings: Settings, tmp_path: Path
) -> None:
    env = {
        "DSR_DATABASE_URL": staff_settings.database_url,
        "DSR_VAR_DIR": str(tmp_path / "var"),
        "DSR_ENCRYPTION_KEYS": staff_settings.encryption_keys,
        "DSR_HMAC_KEY": staff_settings.hmac_key,
        "DSR_SECRET_KEY": staff_settings.secret_key,
    }
    assert dsr("users", "add", "anna", "--role", "agent", env=env).returncode == 0
    kept = dsr("token", "create", "anna", "--label", "report", env=env).stdout.strip()
    gone = dsr("token", "create", "anna", "--label", "old laptop", env=env).stdout.strip()
    assert kept.startswith("dsr_") and gone.startswith("dsr_")
    bad_label = dsr("token", "create", "anna", "--label", "a\nb", env=env)
    assert bad_label.returncode == 1 and "Traceback" not in bad_label.stderr

    listed = dsr("token", "list", "anna", env=env)
    assert listed.returncode == 0, listed.stderr
    lines = {line.split()[-1]: line.split()[0] for line in listed.stdout.splitlines()[1:]}
    assert set(lines) == {"report", "laptop"}
    assert kept not in listed.stdout and gone not in listed.stdout

    revoked = dsr("token", "revoke", lines["laptop"], env=env)
    assert (revoked.returncode, revoked.stdout.strip()) == (
        0,
        f"token {lines['laptop']} revoked",
    )
    again = dsr("token", "revoke", lines["laptop"], env=env)
    assert again.stdout.strip().endswith("was revoked already")
    assert dsr("token", "revoke", str(uuid.uuid4()), env=env).returncode == 1
    assert "not a token id" in dsr("token", "revoke", "12", env=env).stderr
    assert dsr("token", "list", "nobody", env=env).returncode == 1

    after = dsr("token", "list", "anna", env=env).stdout.splitlines()[1:]
    revoked_line = next(line for line in after if line.endswith("old laptop"))
    assert revoked_line.split()[3] != "-"  # its revoked time
    assert next(line for line in after if line.endswith("report")).split()[3] == "-"

    import asyncio

    async def who(token: str) -> Any:
        database = Database.from_settings(staff_settings)
        try:
            async with database.session_scope() as session:
                return await actor_for_token(session, token)
        finally:
            await database.dispose()

    assert asyncio.run(who(gone)) is None
    assert asyncio.run(who(kept)) is not None


async def test_cookies_are_named_host_under_https(staff_settings: Settings) -> None:
    password, secret = await _staff(staff_settings, "dana", Role.DPO)
    app = create_app(staff_settings.model_copy(update={"base_url": "https://dsr.example.org"}))
    async with AsyncTestClient(app=app, base_url="https://dsr.example.org") as client:
        login = await client.get("/login")
        csrf_cookie = login.headers["set-cookie"]
        assert csrf_cookie.startswith("__Host-dsr_csrf=")
        signed_in = await _sign_in(client, "dana", password, pyotp.TOTP(secret).now())
        assert signed_in.status_code == 303
        session_cookie = next(
            value
            for name, value in signed_in.headers.multi_items()
            if name == "set-cookie" and value.startswith("__Host-dsr_staff=")
        )
        for cookie in (csrf_cookie, session_cookie):
            attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")}
            assert {"secure", "path"} <= attributes and "domain" not in attributes
            assert "Path=/;" in cookie + ";"
        assert (await client.get("/dpo", follow_redirects=False)).status_code == 200
        token = client.cookies.get("__Host-dsr_staff")
        assert token
        client.cookies.clear()
        client.cookies.set("dsr_staff", token, domain="dsr.example.org")  # the plain name
        refused = await client.get("/dpo", follow_redirects=False)
        assert (refused.status_code, refused.headers["location"]) == (303, "/login")

    password, secret = await _staff(staff_settings, "dora", Role.DPO)  # a code counts once
    app = create_app(staff_settings)  # plain http (a laptop): the prefix would be refused
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as client:
        assert (await client.get("/login")).headers["set-cookie"].startswith("dsr_csrf=")
        signed_in = await _sign_in(client, "dora", password, pyotp.TOTP(secret).now())
        assert "dsr_staff=" in signed_in.headers.get("set-cookie", "")
        assert "__Host-" not in signed_in.headers.get("set-cookie", "")
