"""Staff accounts and a console app for tests (the ``console`` fixture is a plugin)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from litestar.testing import AsyncTestClient
from sqlalchemy import update

from dsr import demo
from dsr.app import create_app
from dsr.db import Database
from dsr.domain.vocabulary import Role
from dsr.models import Staff
from dsr.security.fields import FieldCipher
from dsr.security.passwords import hash_password
from dsr.services.staff import add_staff
from dsr.settings import Settings
from dsr.workflows.engine import SYSTEM
from tests.e2e.web import csrf_of
from tests.stores import TODAY

PASSWORD = "a-long-staff-password"
Client = AsyncTestClient  # type: ignore[type-arg]


@pytest.fixture
async def console(settings: Settings, tmp_path: Path) -> Any:
    shop = f"sqlite:///{tmp_path / 'shop.db'}"
    await demo.load_shop(shop, 3, TODAY, progress=False)
    raw = demo.demo_config(shop, tmp_path, None, "http://testserver.local")
    raw["stores"] = [s for s in raw["stores"] if s["type"] == "sql"]
    (tmp_path / "dsr.yaml").write_text(yaml.safe_dump(raw))
    app_settings = settings.model_copy(update={"config": tmp_path / "dsr.yaml"})
    async with AsyncTestClient(
        app=create_app(app_settings), base_url="http://testserver.local"
    ) as client:
        yield client, settings


async def _staff(
    settings: Settings, name: str, role: Role, enrolled: bool = True
) -> tuple[str, str]:
    """A staff account; returns (password, TOTP secret)."""
    database = Database.from_settings(settings)
    cipher = FieldCipher.from_config(settings.encryption_keys)
    try:
        async with database.session_scope() as session:
            created = await add_staff(session, cipher, name, role, SYSTEM)
            secret = created.totp_uri.split("secret=")[1].split("&")[0]
            if not enrolled:
                return created.one_time_password, secret
            await session.exec(
                update(Staff)
                .where(Staff.username == name)  # type: ignore[arg-type]
                .values(password_hash=hash_password(PASSWORD), must_change_password=False)
            )
            return PASSWORD, secret
    finally:
        await database.dispose()


async def _sign_in(client: Client, name: str, password: str, code: str) -> Any:
    page = await client.get("/login")
    return await client.post(
        "/login",
        data={
            "_csrf_token": csrf_of(page.text),
            "username": name,
            "password": password,
            "code": code,
        },
        follow_redirects=False,
    )


async def _db(settings: Settings) -> Database:
    return Database.from_settings(settings)
