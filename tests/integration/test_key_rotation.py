"""`dsr keys rotate`: after it, every sealed value opens with the newest key alone, so the old
key can be dropped; an interrupted run continues; every encrypted column is known to it."""

from __future__ import annotations

import io
import os
import subprocess
import sys

import pytest
from sqlalchemy import update
from sqlmodel import SQLModel, select

from dsr import artifacts
from dsr.artifacts import CHUNK
from dsr.db import Database
from dsr.domain.vocabulary import Role
from dsr.models import Artifact, ArtifactChunk, Outbox, Request, Staff, Subject
from dsr.notify.outbox import enqueue
from dsr.rendering import RenderedMail
from dsr.security.fields import FieldCipher
from dsr.security.rotation import SEALED, Progress, remaining, rotate
from dsr.security.vault import Vault
from dsr.services.staff import add_staff
from dsr.settings import Settings, new_encryption_key
from dsr.workflows.engine import SYSTEM
from tests.helpers import verified_request

BIG = os.urandom(CHUNK * 2 + 17)  # three chunks


def _newer(settings: Settings) -> str:
    """A new key in front of the old one, as an operator rotates: ``k2:…,<old keys>``."""
    fresh = new_encryption_key().split(":", 1)[1]
    return f"k2:{fresh},{settings.encryption_keys}"


def _only_newest(keys: str) -> FieldCipher:
    return FieldCipher.from_config(keys.split(",", 1)[0])


async def _fill(db: Database, settings: Settings) -> dict[str, object]:
    vault = Vault.from_secrets(settings.encryption_keys, settings.hmac_key)
    cipher = vault.cipher
    async with db.session_scope() as session:
        request = await verified_request(
            session, vault, 1, "Rosa Riegel", "rosa.riegel@example.org", kind="rectification"
        )
        await session.exec(
            update(Request)
            .where(Request.id == request.id)  # type: ignore[arg-type]
            .values(
                details_enc=cipher.encrypt("request.details", "Bitte auch die Aufzeichnungen"),
                changes_enc=cipher.encrypt_json(
                    "request.changes", [{"field": "name", "value": "Rosa Riegel-Neu"}]
                ),
            )
        )
        await enqueue(
            session,
            cipher,
            to="rosa.riegel@example.org",
            mail=RenderedMail("Ihr Antrag", "Guten Tag Frau Riegel", "<p>Guten Tag</p>"),
            sender_address="dsr@example.org",
            request_id=request.id,
        )
        small = await artifacts.save_file(
            session, cipher, io.BytesIO(b"Brief an Rosa"), request_id=request.id,
            kind="letter", media_type="text/plain",
        )  # fmt: skip
        big = await artifacts.save_file(
            session, cipher, io.BytesIO(BIG), request_id=request.id,
            kind="package", media_type="application/zip",
        )  # fmt: skip
        await add_staff(session, cipher, "anna", Role.DPO, SYSTEM)
    return {"request": request.id, "subject": request.subject_id, "small": small.id, "big": big.id}


async def _opens_with(db: Database, cipher: FieldCipher, ids: dict[str, object]) -> None:
    vault = Vault(cipher, Vault.from_secrets(new_encryption_key(), "x" * 16).index)
    async with db.session_scope() as session:
        subject = await session.get_one(Subject, ids["subject"])
        assert vault.open_subject(subject).email == "rosa.riegel@example.org"
        request = await session.get_one(Request, ids["request"])
        assert cipher.decrypt("request.details", request.details_enc).startswith("Bitte")
        assert cipher.decrypt_json("request.changes", request.changes_enc)[0]["field"] == "name"
        mail = (await session.exec(select(Outbox))).one()
        assert cipher.decrypt("outbox.recipient", mail.recipient_enc) == "rosa.riegel@example.org"
        assert cipher.decrypt_json("outbox.body", mail.body_enc)["text"].startswith("Guten Tag")
        small = await session.get_one(Artifact, ids["small"])
        assert await artifacts.read_all(session, cipher, small) == b"Brief an Rosa"
        big = await session.get_one(Artifact, ids["big"])
        assert await artifacts.read_all(session, cipher, big) == BIG
        staff = (await session.exec(select(Staff))).one()
        assert cipher.decrypt("staff.totp_secret", staff.totp_secret_enc)


async def test_after_rotation_the_old_key_can_be_dropped(settings: Settings, db: Database) -> None:
    ids = await _fill(db, settings)
    keys = _newer(settings)
    newest = _only_newest(keys)
    with pytest.raises(Exception):  # noqa: B017 - before: the new key alone opens nothing
        await _opens_with(db, newest, ids)

    both = FieldCipher.from_config(keys)
    before = await remaining(db, both)
    assert before["subject.email_enc"] == 1 and before["artifact_chunk.content_enc"] == 3
    done = await rotate(db, both)
    assert done["artifact_chunk.content_enc"] == 3 and done["outbox.body_enc"] == 1
    assert set((await remaining(db, both)).values()) == {0}
    await _opens_with(db, newest, ids)  # the old key is gone: everything still opens
    assert set((await rotate(db, both)).values()) == {0}  # a second run has nothing to do


async def test_an_interrupted_rotation_continues_where_it_stopped(
    settings: Settings, db: Database
) -> None:
    ids = await _fill(db, settings)
    keys = _newer(settings)
    both = FieldCipher.from_config(keys)

    def stop_after_the_first_chunk(step: Progress) -> None:
        if step.column == "artifact_chunk.content_enc":
            raise KeyboardInterrupt  # the operator pressed Ctrl-C

    with pytest.raises(KeyboardInterrupt):
        await rotate(db, both, batch=1, progress=stop_after_the_first_chunk)
    assert (await remaining(db, both))["artifact_chunk.content_enc"] == 2
    await rotate(db, both, batch=1)
    assert set((await remaining(db, both)).values()) == {0}
    await _opens_with(db, _only_newest(keys), ids)


def test_the_cli_rotates_and_says_the_old_key_can_go(settings: Settings, tmp_path: object) -> None:
    import asyncio

    database = Database.from_settings(settings)

    async def fill() -> None:
        try:
            await _fill(database, settings)
        finally:
            await database.dispose()

    asyncio.run(fill())
    keys = _newer(settings)
    env = {
        **os.environ,
        "DSR_DATABASE_URL": settings.database_url,
        "DSR_ENCRYPTION_KEYS": keys,
        "DSR_HMAC_KEY": settings.hmac_key,
        "DSR_AUDIT_KEY": settings.audit_key,
        "DSR_SECRET_KEY": settings.secret_key,
    }
    done = subprocess.run(
        [sys.executable, "-m", "dsr.cli", "keys", "rotate"],
        env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    old = settings.encryption_keys.split(":", 1)[0]
    assert f"nothing is left under '{old}': they can be removed" in done.stdout
    assert "rosa" not in (done.stdout + done.stderr).lower()  # counts, never values


def test_every_encrypted_column_is_rotated() -> None:
    sealed = {(s.table, s.column) for s in SEALED}
    encrypted = {
        (table.name, column.name)
        for table in SQLModel.metadata.sorted_tables
        for column in table.columns
        if column.name.endswith("_enc")
    }
    assert encrypted <= sealed, f"add to dsr.security.rotation.SEALED: {encrypted - sealed}"
    assert ArtifactChunk.__tablename__ in {t for t, _ in sealed}
