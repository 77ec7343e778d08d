"""DPO actions, the processor callback and the download page, over HTTP."""

from __future__ import annotations

import hashlib
import io
import json
import re
import subprocess
import time
import uuid
import zipfile
from pathlib import Path
from typing import Any

import docx
import pytest
import yaml
from litestar.testing import AsyncTestClient
from sqlmodel import select

from dsr import demo
from dsr.app import create_app
from dsr.config import DsrConfig
from dsr.connectors.http import sign
from dsr.connectors.registry import build_connectors
from dsr.db import Database
from dsr.domain.identity import Identity
from dsr.domain.vocabulary import Role
from dsr.letters.render import soffice
from dsr.models import Artifact, Outbox, Task
from dsr.models.base import utcnow
from dsr.security.vault import Vault
from dsr.settings import Settings
from dsr.workflows import engine
from dsr.workflows.engine import SUBJECT
from dsr.workflows.runner import Runner
from tests.e2e.web import csrf_of
from tests.helpers import staff_token
from tests.stores import TODAY, Processor

SECRET = "processor-secret-0123456789"


@pytest.fixture
async def world(settings: Settings, tmp_path: Path, processor: Processor) -> Any:
    shop = f"sqlite:///{tmp_path / 'shop.db'}"
    await demo.load_shop(shop, 2, TODAY, progress=False)
    raw = demo.demo_config(shop, tmp_path, None, "http://testserver.local")
    raw["stores"] = [s for s in raw["stores"] if s["type"] != "manual"]
    (tmp_path / "demo" / "newsletter.secret").write_text(SECRET)
    next(s for s in raw["stores"] if s["name"] == "newsletter")["url"] = processor.url
    (tmp_path / "dsr.yaml").write_text(yaml.safe_dump(raw))
    app_settings = settings.model_copy(update={"config": tmp_path / "dsr.yaml"})
    config = DsrConfig.model_validate(raw)
    async with AsyncTestClient(
        app=create_app(app_settings), base_url="http://testserver.local"
    ) as client:
        connectors = build_connectors(config, b"k", "http://testserver.local")
        vault = Vault.from_secrets(settings.encryption_keys, settings.hmac_key)
        runner = Runner(Database.from_settings(settings), config, connectors, vault)
        yield client, runner, settings
        for connector in connectors.values():
            await connector.close()
        await runner.db.dispose()


async def _verified(settings: Settings, kind: str, email: str) -> str:
    database = Database.from_settings(settings)
    vault = Vault.from_secrets(settings.encryption_keys, settings.hmac_key)
    try:
        async with database.session_scope() as session:
            subject = vault.seal_subject(Identity(name="Sören", email=email))
            session.add(subject)
            await session.flush()
            reference = f"DSR-2026-{uuid.uuid4().int % 900000 + 100000}"
            request = await engine.open_request(
                session,
                engine.NewRequest(reference, kind, "web", "de", utcnow(), TODAY, subject.id),
                SUBJECT,
            )
            await engine.apply(session, request, "verify", SUBJECT, level="email")
            return reference
    finally:
        await database.dispose()


async def _task(settings: Settings, store: str) -> Task:
    database = Database.from_settings(settings)
    try:
        async with database.session_scope() as session:
            return (
                await session.exec(select(Task).where(Task.store == store, Task.action != "find"))
            ).one()
    finally:
        await database.dispose()


def _signed(body: bytes, secret: str = SECRET, age: int = 0) -> dict[str, str]:
    timestamp = str(int(time.time()) - age)
    return {
        "x-dsr-timestamp": timestamp,
        "x-dsr-signature": sign(secret.encode(), timestamp, body),
        "content-type": "application/json",
    }


async def test_a_processor_that_answers_later_completes_through_the_signed_callback(
    world: Any, processor: Processor
) -> None:
    client, runner, settings = world
    processor.behave = lambda call: (202, {"status": "accepted"})
    reference = await _verified(settings, "access", "soeren.noacktaesche.1@example.org")
    await runner.drain()
    task = await _task(settings, "newsletter")
    assert task.status == "waiting"
    callback = f"/api/v1/callbacks/{task.id}"
    assert processor.calls[-1]["callback_url"] == f"http://testserver.local{callback}"

    body = json.dumps(
        {"status": "done", "result": {"tables": {"subscribers": [{"email": "soeren"}]}}}
    ).encode()
    forged = await client.post(callback, content=body, headers=_signed(body, secret="wrong"))
    assert forged.status_code == 403
    stale = await client.post(callback, content=body, headers=_signed(body, age=600))
    assert stale.status_code == 403
    unknown = await client.post(
        f"/api/v1/callbacks/{uuid.uuid4()}", content=body, headers=_signed(body)
    )
    assert unknown.status_code == 404
    assert (await _task(settings, "newsletter")).status == "waiting"

    accepted = await client.post(callback, content=body, headers=_signed(body))
    assert accepted.status_code == 204
    assert (await _task(settings, "newsletter")).status == "done"
    again = await client.post(callback, content=body, headers=_signed(body))
    assert again.status_code == 204
    dpo = await staff_token(settings, "dana", Role.DPO)
    detail = (await client.get(f"/api/v1/requests/{reference}", headers=dpo)).json()
    assert detail["status"] == "awaiting_review"
    assert [e["action"] for e in detail["timeline"]].count("task.done") == 3  # find, 2 exports


@pytest.mark.parametrize("chunk", [None, 4096], ids=["whole", "in-pieces"])
@pytest.mark.pdf
async def test_dpo_actions_are_guarded_and_release_sends_a_one_time_download(
    world: Any, chunk: int | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With ``in-pieces`` every artifact over 4 KiB (exports, package, letter) is stored and
    streamed in pieces, and the DPO and the person still get exactly the same bytes."""
    from dsr import artifacts

    if chunk:
        monkeypatch.setattr(artifacts, "CHUNK", chunk)
    client, runner, settings = world
    reference = await _verified(settings, "access", "soeren.noacktaesche.1@example.org")
    await runner.drain()
    agent = await staff_token(settings, "anna", Role.AGENT)
    dpo = await staff_token(settings, "dana", Role.DPO)
    admin = await staff_token(settings, "adam", Role.ADMIN)
    release = f"/api/v1/requests/{reference}/actions/release"
    assert (await client.post(release, json={})).status_code == 401
    assert (await client.post(release, json={}, headers=agent)).status_code == 403
    assert (await client.post(release, json={}, headers=admin)).status_code == 403
    assert (
        await client.get(f"/api/v1/requests/{reference}/package", headers=agent)
    ).status_code == 403
    assert (
        await client.post(f"/api/v1/requests/{reference}/actions/explode", json={}, headers=dpo)
    ).status_code == 404

    package = await client.get(f"/api/v1/requests/{reference}/package", headers=dpo)
    assert package.status_code == 200 and package.content[:2] == b"PK"
    released = await client.post(release, json={}, headers=dpo)
    assert released.status_code == 200 and released.json()["status"] == "completed"
    assert (await client.post(release, json={}, headers=dpo)).status_code == 409

    token, code = _download_link_and_code(await _last_mail_text(settings))
    page = await client.get(token)
    assert "Bitte geben Sie den Code aus unserer E-Mail ein." in page.text
    wrong = await client.post(
        token,
        data={"_csrf_token": csrf_of(page.text), "code": "000000" if code != "000000" else "1"},
    )
    assert wrong.status_code == 400 and "Dieser Code stimmt nicht." in wrong.text
    page = await client.get(token)
    got = await client.post(token, data={"_csrf_token": csrf_of(page.text), "code": code})
    assert got.status_code == 200 and got.headers["content-type"] == "application/zip"
    # Every file the DPO reviewed arrives byte for byte; the access response letter is added.
    reviewed, delivered = _zip(package.content), _zip(got.content)
    pdf = soffice() is not None  # the person gets PDF/A where LibreOffice is installed
    letter_name = f"{reference}-Auskunft.{'pdf' if pdf else 'docx'}"
    assert set(delivered) == set(reviewed) | {letter_name}
    assert all(delivered[name] == content for name, content in reviewed.items())
    if pdf:
        letter = subprocess.run(  # noqa: ASYNC221 - a test reading its own result
            ["pdftotext", "-", "-"], input=delivered[letter_name], capture_output=True, check=True
        ).stdout.decode()
        letter = " ".join(letter.split())
    else:
        document = docx.Document(io.BytesIO(delivered[letter_name]))
        letter = "\n".join(p.text for p in document.paragraphs)
    assert "Auskunft nach Art. 15 DSGVO" in letter and reference in letter
    assert "Paketdienst GmbH" in letter, letter  # recipients by name (Art. 15(1)(c))
    gone = await client.get(token)
    assert "Dieser Download-Link gilt nicht mehr" in gone.text
    database = Database.from_settings(settings)
    try:
        async with database.session_scope() as session:
            stored = (await session.exec(select(Artifact).where(Artifact.kind == "package"))).one()
    finally:
        await database.dispose()
    assert stored.sha256 == hashlib.sha256(got.content).hexdigest()
    assert (stored.content_enc is None) == bool(chunk)  # really in pieces, or really whole


async def test_reject_needs_a_ground_and_closes_the_request(world: Any) -> None:
    client, _, settings = world
    reference = await _verified(settings, "erasure", "concetta.maelzer.2@example.org")
    dpo = await staff_token(settings, "dana", Role.DPO)
    act = f"/api/v1/requests/{reference}/actions/reject"
    bad = await client.post(act, json={"ground": "because", "reason": "x"}, headers=dpo)
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "ground"
    done = await client.post(
        act, json={"ground": "excessive", "reason": "Dritter Antrag diese Woche"}, headers=dpo
    )
    assert done.status_code == 200
    body = done.json()
    assert (body["status"], body["outcome"], body["refusal_ground"]) == (
        "rejected",
        "refused",
        "excessive",
    )
    assert "Dritter Antrag" not in json.dumps(
        done.json()["timeline"]
    )  # the reason is not in the audit trail


async def test_erasure_refused_under_art_17_3_e_with_its_wording_and_no_fee(world: Any) -> None:
    """A ground must fit the kind (an objection ground cannot refuse an erasure), needs the
    DPO's reasons, and the fee alternative exists only for Art. 12(5)."""
    client, _, settings = world
    reference = await _verified(settings, "erasure", "concetta.maelzer.3@example.org")
    dpo = await staff_token(settings, "dana", Role.DPO)
    act = f"/api/v1/requests/{reference}/actions/reject"
    for wrong in (
        {"ground": "objection_compelling_grounds", "reason": "x"},  # not for an erasure
        {"ground": "erasure_legal_claims"},  # no reasons
        {"ground": "erasure_legal_claims", "reason": "Klage", "fee": "25 EUR"},  # no fee here
    ):
        bad = await client.post(act, json=wrong, headers=dpo)
        assert bad.status_code == 400, wrong
    before = (await client.get(f"/api/v1/requests/{reference}", headers=dpo)).json()
    assert before["status"] == "verified" and before["outcome"] is None  # nothing changed
    done = await client.post(
        act,
        json={"ground": "erasure_legal_claims", "reason": "Klage vor dem LG Essen anhängig."},
        headers=dpo,
    )
    assert done.status_code == 200
    body = done.json()
    assert (body["outcome"], body["refusal_ground"]) == ("refused", "erasure_legal_claims")
    text = await _last_mail_text(settings)
    assert "Rechtsansprüchen (Art. 17 Abs. 3 lit. e DSGVO)" in text
    assert "Klage vor dem LG Essen anhängig." in text


def _zip(content: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


async def _last_mail_text(settings: Settings) -> str:
    database = Database.from_settings(settings)
    vault = Vault.from_secrets(settings.encryption_keys, settings.hmac_key)
    try:
        async with database.session_scope() as session:
            rows = (await session.exec(select(Outbox))).all()
            mail = max(rows, key=lambda r: r.created_at)
            return str(vault.cipher.decrypt_json("outbox.body", mail.body_enc)["text"])
    finally:
        await database.dispose()


def _download_link_and_code(text: str) -> tuple[str, str]:
    link = re.search(r"(/download/[A-Za-z0-9_-]+)", text)
    code = re.search(r"Code:\s*(\d{6})", text)
    assert link and code, text
    return link.group(1), code.group(1)
