"""Small helpers shared by tests that talk to the app."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from dsr.config import DsrConfig
from dsr.db import Database
from dsr.domain.vocabulary import Role
from dsr.letters.office import LetterOffice
from dsr.rendering import new_environment
from dsr.security.fields import FieldCipher
from dsr.security.vault import Vault
from dsr.services.staff import add_staff, create_token
from dsr.settings import Settings
from dsr.workflows.engine import SYSTEM


async def staff_token(settings: Settings, username: str, role: Role) -> dict[str, str]:
    """Create a staff user with an API token; return the Authorization header."""
    database = Database.from_url(settings.database_url)
    try:
        async with database.session_scope() as session:
            cipher = FieldCipher.from_config(settings.encryption_keys)
            await add_staff(session, cipher, username, role, SYSTEM)
            token = await create_token(session, username, SYSTEM)
    finally:
        await database.dispose()
    return {"Authorization": f"Bearer {token}"}


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
