"""Small helpers shared by tests that talk to the app."""

from __future__ import annotations

import os
import socket
import subprocess
import time
import urllib.request
from datetime import date
from pathlib import Path
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from dsr.config import DsrConfig
from dsr.db import Database
from dsr.domain.identity import Identity
from dsr.domain.vocabulary import Role
from dsr.letters.office import LetterOffice
from dsr.models import Request
from dsr.models.base import utcnow
from dsr.notify.smtp import SmtpConfig
from dsr.rendering import new_environment
from dsr.scheduler import Jobs
from dsr.security.fields import FieldCipher
from dsr.security.vault import Vault
from dsr.services.staff import add_staff, create_token
from dsr.settings import Settings
from dsr.workflows import engine
from dsr.workflows.engine import SUBJECT, SYSTEM
from dsr.workflows.runner import Runner


async def staff_token(settings: Settings, username: str, role: Role) -> dict[str, str]:
    """Create a staff user with an API token; return the Authorization header."""
    database = Database.from_settings(settings)
    try:
        async with database.session_scope() as session:
            cipher = FieldCipher.from_config(settings.encryption_keys)
            await add_staff(session, cipher, username, role, SYSTEM)
            token = await create_token(session, username, SYSTEM)
    finally:
        await database.dispose()
    return {"Authorization": f"Bearer {token}"}


async def verified_request(
    session: AsyncSession,
    vault: Vault,
    number: int,
    name: str,
    email: str,
    kind: str = "erasure",
    level: str = "email",
) -> Request:
    """Request ``DSR-2026-<number>`` of a sealed subject, received now, verified at ``level``."""
    subject = vault.seal_subject(Identity(name=name, email=email))
    session.add(subject)
    await session.flush()
    request = await engine.open_request(
        session,
        engine.NewRequest(
            f"DSR-2026-{number:06d}", kind, "web", "de", utcnow(), date(2026, 12, 28), subject.id
        ),
        SUBJECT,
    )
    await engine.apply(session, request, "verify", SUBJECT, level=level)
    return request


def worker_env(settings: Settings, config: Path, var_dir: Path, **extra: str) -> dict[str, str]:
    """The environment of a `dsr worker` process on the test's database and ``dsr.yaml``,
    ticking every 0.2 s; ``extra`` as ``DSR_*`` variables (``smtp_url="..."``)."""
    return {
        **os.environ,
        "DSR_DATABASE_URL": settings.database_url,
        "DSR_CONFIG": str(config),
        "DSR_VAR_DIR": str(var_dir),
        "DSR_ENCRYPTION_KEYS": settings.encryption_keys,
        "DSR_HMAC_KEY": settings.hmac_key,
        "DSR_AUDIT_KEY": settings.audit_key,
        "DSR_SECRET_KEY": settings.secret_key,
        "DSR_TICK_SECONDS": "0.2",
        "DSR_SWEEP_SECONDS": "0.2",
        **{f"DSR_{name.upper()}": value for name, value in extra.items()},
    }


def web_request(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "kind": "access",
        "channel": "web",
        "subject": {"name": "Erika Mustermann", "email": "erika.mustermann@example.org"},
    }
    body.update(overrides)
    return body


LETTERS_DIR = Path(__file__).resolve().parents[1] / "templates" / "letters"


def letter_office(session: Any, config: DsrConfig, settings: Settings) -> LetterOffice:
    """The letter office the web app builds, on the repository's templates."""
    return LetterOffice(
        session=session,
        config=config,
        vault=Vault.from_secrets(settings.encryption_keys, settings.hmac_key),
        mail=new_environment(),
        base_url="http://dsr.test",
        sender_address="dsr@example.org",
        secret_key=settings.secret_key,
        letters_dir=LETTERS_DIR,
    )


def scheduler_jobs(database: Database, settings: Settings, anchor_path: Path | None = None) -> Jobs:
    """The scheduler's jobs on the test's database, with no data stores."""
    vault = Vault.from_secrets(settings.encryption_keys, settings.hmac_key)
    runner = Runner(database, DsrConfig(), {}, vault)
    smtp = SmtpConfig.from_url(settings.smtp_url)
    return Jobs(database, vault, smtp, "dpo@example.org", runner, anchor_path=anchor_path)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_serving(
    base_url: str, process: subprocess.Popen[Any], log: Path | None = None, seconds: float = 30
) -> None:
    """Until `GET /health` answers 200; AssertionError (with the server's log, if given)
    when the server exits first or takes longer than ``seconds``."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(f"{base_url}/health", timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(log.read_text() if log else base_url) from None
            time.sleep(0.2)
