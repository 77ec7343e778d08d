"""The durable runner and the request's journey through the stores, on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import io
import json
import re
import uuid
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import docx
import pytest
from sqlalchemy import update
from sqlmodel import col, select

from dsr import demo
from dsr.config import DsrConfig
from dsr.connectors.base import Connector, Identifiers
from dsr.connectors.http import HttpConnector
from dsr.connectors.memory import MemoryConnector
from dsr.connectors.sql import SqlConnector
from dsr.db import Database
from dsr.domain.vocabulary import Language, Role
from dsr.letters.render import DOCX, soffice
from dsr.models import Artifact, Download, Letter, Outbox, Request, Subject, Task
from dsr.models.base import utcnow
from dsr.notify.outbox import attached_files
from dsr.rendering import long_date
from dsr.schemas import RequestIn
from dsr.security.vault import Vault
from dsr.services.actions import RequestActions
from dsr.services.requests import RequestService
from dsr.settings import Settings
from dsr.workflows import engine
from dsr.workflows.engine import SUBJECT, Actor
from dsr.workflows.runner import Runner
from tests.helpers import letter_office
from tests.stores import TODAY, Processor

DPO = Actor("staff", uuid.uuid4(), Role.DPO.value)


@dataclass
class Clock:
    """Real time, moved forward by the test."""

    offset: timedelta = field(default_factory=timedelta)

    def __call__(self) -> datetime:
        return utcnow() + self.offset

    @property
    def now(self) -> datetime:
        return self()

    def advance(self, **delta: float) -> None:
        self.offset += timedelta(**delta)


@dataclass
class Desk:
    db: Database
    settings: Settings
    config: DsrConfig
    connectors: dict[str, Connector]
    clock: Clock

    @property
    def vault(self) -> Vault:
        return Vault.from_secrets(self.settings.encryption_keys, self.settings.hmac_key)

    def runner(self, **options: Any) -> Runner:
        return Runner(
            self.db, self.config, self.connectors, self.vault, clock=self.clock, **options
        )

    async def verified(self, kind: str, email: str, name: str = "Erika Mustermann") -> uuid.UUID:
        async with self.db.session_scope() as session:
            service = RequestService(session, self.vault, "DE-NW", "Europe/Berlin")
            data = RequestIn.model_validate(
                {"kind": kind, "subject": {"name": name, "email": email}}
            )
            request, _ = await service.open(data, SUBJECT)
            await engine.apply(session, request, "ask_verification", SUBJECT)
            await engine.apply(session, request, "verify", SUBJECT, level="email")
            return request.id

    async def request(self, request_id: uuid.UUID) -> Request:
        async with self.db.session_scope() as session:
            return await session.get_one(Request, request_id)

    async def tasks(self, request_id: uuid.UUID) -> dict[str, Task]:
        async with self.db.session_scope() as session:
            rows = (await session.exec(select(Task).where(Task.request_id == request_id))).all()
        return {f"{t.store}:{t.action}": t for t in rows}

    async def letters(self, request_id: uuid.UUID) -> dict[str, tuple[Letter, str]]:
        """Each archived letter of the request by kind, with its text as a reader sees it."""
        async with self.db.session_scope() as session:
            rows = (await session.exec(select(Letter).where(Letter.request_id == request_id))).all()
            found = {}
            for letter in rows:
                artifact = await session.get_one(Artifact, letter.artifact_id)
                content = self.vault.cipher.decrypt_bytes("artifact", artifact.content_enc)
                assert hashlib.sha256(content).hexdigest() == letter.sha256
                found[letter.kind] = (letter, text_of(content))
        return found

    async def mails(self, request_id: uuid.UUID) -> list[Outbox]:
        async with self.db.session_scope() as session:
            rows = await session.exec(
                select(Outbox)
                .where(Outbox.request_id == request_id)
                .order_by(col(Outbox.created_at))
            )
            return list(rows.all())

    async def act(self, request_id: uuid.UUID, action: str, **body: str) -> Request:
        async with self.db.session_scope() as session:
            request = await session.get_one(Request, request_id)
            actions = RequestActions(
                session,
                self.config,
                self.vault,
                letter_office(session, self.config, self.settings),
            )
            return await actions.run(request, action, DPO, body)


@pytest.fixture
async def desk(settings: Settings, db: Database, tmp_path: Any, processor: Processor) -> Desk:
    shop = f"sqlite:///{tmp_path / 'shop.db'}"
    shown = await demo.load_shop(shop, 4, TODAY, progress=False)
    assert shown
    raw = demo.demo_config(shop, tmp_path, None, "http://dsr.test")
    raw["stores"].insert(
        1,
        {
            "name": "sessions",
            "type": "redis",
            "url": "redis://unused",
            "keys": ["s:{customer_number}:*"],
        },
    )
    newsletter = next(s for s in raw["stores"] if s["name"] == "newsletter")
    newsletter["url"] = processor.url
    processor.behave = lambda call: (
        200,
        {
            "status": "done",
            "result": {
                "counts": {"subscribers": 0},
                "tables": {"subscribers": []},
                "erased": {"subscribers": 0},
            },
        },
    )
    config = DsrConfig.model_validate(raw)
    assert config.system_of_record is not None
    connectors: dict[str, Connector] = {
        "shop": SqlConnector(config.system_of_record, b"hash-key"),
        "sessions": MemoryConnector(
            "sessions", rows=[{"customer_number": "K100001", "email": None, "ip": "203.0.113.1"}]
        ),
        "newsletter": HttpConnector(config.store("newsletter"), b"secret", "http://dsr.test"),  # type: ignore[arg-type]
    }
    yield Desk(db, settings, config, connectors, Clock())  # type: ignore[misc]
    for connector in connectors.values():
        await connector.close()


def text_of(content: bytes) -> str:
    return "\n".join(p.text for p in docx.Document(io.BytesIO(content)).paragraphs)


def _ref(text: str) -> str:
    match = re.search(r"DSR-\d{4}-\d{6}", text)
    assert match
    return match.group(0)


async def _resolve_archive(desk: Desk, request_id: uuid.UUID) -> None:
    archive = next(t for k, t in (await desk.tasks(request_id)).items() if k.startswith("archive:"))
    assert archive.status == "waiting"
    await desk.act(
        request_id, "resolve_task", task=str(archive.id), note="Keine Papierakte vorhanden."
    )


async def test_access_runs_through_every_store_to_a_reviewed_package(desk: Desk) -> None:
    request_id = await desk.verified("access", "soeren.noacktaesche.1@example.org")
    await desk.runner().drain()
    request = await desk.request(request_id)
    assert (request.status, request.verification_level) == ("processing", "email_matched")
    tasks = await desk.tasks(request_id)
    assert {k: t.status for k, t in tasks.items()} == {
        "shop:find": "done",
        "shop:export": "done",
        "sessions:export": "done",
        "newsletter:export": "done",
        "archive:export": "waiting",
    }
    assert "keys_enc" in (tasks["shop:find"].result_summary or {})
    assert "K100001" not in json.dumps(tasks["shop:find"].result_summary)  # no identifiers in clear

    await _resolve_archive(desk, request_id)
    request = await desk.request(request_id)
    assert request.status == "awaiting_review"
    async with desk.db.session_scope() as session:
        package = (
            await session.exec(
                select(Artifact).where(
                    Artifact.request_id == request_id, Artifact.kind == "package"
                )
            )
        ).one()
    content = desk.vault.cipher.decrypt_bytes("artifact", package.content_enc)
    archive = zipfile.ZipFile(io.BytesIO(content))
    assert {
        "data.json",
        "index.html",
        "shop/customers.csv",
        "shop/orders.csv",
        "sessions/rows.csv",
    } <= set(archive.namelist())
    data = json.loads(archive.read("data.json"))
    assert data["stores"]["shop"]["tables"]["customers"][0]["customer_no"] == "K100001"
    assert len(data["stores"]["shop"]["tables"]["orders"]) == 10
    # The session store was seeded with the customer number found in the system of record.
    assert data["stores"]["sessions"]["tables"]["rows"][0]["ip"] == "203.0.113.1"

    await desk.act(request_id, "release")
    request = await desk.request(request_id)
    assert (request.status, request.outcome) == ("completed", "provided")
    async with desk.db.session_scope() as session:
        download = (
            await session.exec(select(Download).where(Download.request_id == request_id))
        ).one()
        mails = (await session.exec(select(Outbox).where(Outbox.request_id == request_id))).all()
    assert download.used_at is None and download.expires_at > utcnow() + timedelta(days=13)
    assert [m.subject for m in mails] == ["Ihre Daten zum Antrag " + request.reference]


async def test_a_person_unknown_everywhere_gets_the_negative_answer(
    desk: Desk, processor: Processor
) -> None:
    request_id = await desk.verified("access", "nobody@example.net")
    await desk.runner().drain()
    request = await desk.request(request_id)
    assert (request.status, request.verification_level) == ("awaiting_review", "email")
    tasks = await desk.tasks(request_id)
    assert set(tasks) == {"shop:find", "sessions:find", "newsletter:find"}  # searched, not touched
    assert [c["identifiers"]["emails"] for c in processor.calls] == [["nobody@example.net"]]
    async with desk.db.session_scope() as session:
        assert not (
            await session.exec(
                select(Artifact).where(
                    Artifact.request_id == request_id, Artifact.kind == "package"
                )
            )
        ).all()


@pytest.mark.pdf
async def test_the_negative_answer_goes_out_as_a_letter_attached_to_an_e_mail(
    desk: Desk,
) -> None:
    request_id = await desk.verified("access", "nobody@example.net")
    await desk.runner().drain()
    await desk.act(request_id, "release")
    letters = await desk.letters(request_id)
    assert set(letters) == {"negative"}
    letter, text = letters["negative"]
    assert (letter.channel, letter.language, letter.version) == ("email", "de", 1)
    assert "keine Daten zu Ihrer Person" in text
    assert "E-Mail-Adresse nobody@example.net" in text
    assert "Kundendatenbank" in text and "Landesbeauftragte für Datenschutz" in text
    (mail,) = await desk.mails(request_id)
    # The person gets PDF/A where LibreOffice is installed (converted when the mail is sent),
    # else the DOCX; the archive keeps the DOCX.
    pdf = soffice() is not None
    suffix = "pdf" if pdf else "docx"
    assert mail.attachments == [
        {
            "artifact": str(letter.artifact_id),
            "filename": f"{_ref(text)}-Negativauskunft.{suffix}",
            "pdf": "1" if pdf else "",
        }
    ]
    async with desk.db.session_scope() as session:
        ((name, media_type, content),) = await attached_files(session, desk.vault.cipher, mail)
    assert name.endswith(suffix) and content.startswith(b"%PDF" if pdf else b"PK")
    assert media_type == ("application/pdf" if pdf else DOCX)
    if pdf:
        assert b"pdfaid:part" in content  # PDF/A


async def test_found_only_at_a_processor_by_the_confirmed_address(
    desk: Desk, processor: Processor
) -> None:
    processor.behave = lambda call: (
        200,
        {
            "status": "done",
            "result": {
                "counts": {"subscribers": 1},
                "tables": {"subscribers": [{"email": "only@example.net"}]},
            },
        },
    )
    request_id = await desk.verified("access", "only@example.net")
    await desk.runner().drain()
    request = await desk.request(request_id)
    assert (request.status, request.verification_level) == ("awaiting_review", "email_matched")
    tasks = await desk.tasks(request_id)
    assert tasks["newsletter:export"].status == "done"
    assert "shop:export" not in tasks


@pytest.mark.pdf
async def test_erasure_waits_for_the_dpo_then_erases_with_holds(desk: Desk) -> None:
    request_id = await desk.verified("erasure", "concetta.maelzer.2@example.org")
    await desk.runner().drain()
    assert (await desk.request(request_id)).status == "verified"  # erasure is not auto-approved
    await desk.act(request_id, "approve")
    await desk.runner().drain()
    await _resolve_archive(desk, request_id)
    request = await desk.request(request_id)
    assert (request.status, request.needs_attention) == ("awaiting_review", False)
    shop = (await desk.tasks(request_id))["shop:erase"].result_summary or {}
    assert shop["erased"]["orders"] == 10
    assert shop["held"] and shop["held"][0]["law"].startswith("§ 147")
    found = await desk.connectors["shop"].find(
        Identifiers.of(customer_numbers=frozenset({"K100002"}))
    )
    assert found.counts["orders"] == 0
    assert found.counts["invoices"] == sum(h["count"] for h in shop["held"])

    await desk.act(request_id, "release")
    letter, text = (await desk.letters(request_id))["partial_erasure"]
    for held in shop["held"]:  # each kept invoice with the end of its own period
        until = long_date(date.fromisoformat(held["until"]), Language.DE)
        count = "1 Datensatz" if held["count"] == 1 else f"{held['count']} Datensätze"
        assert f"({count}): aufzubewahren nach {held['law']} bis zum {until}" in text
    assert "gesperrt (Art. 18 DSGVO)" in text and "Papierarchiv" in text
    assert "Newsletter Versand GmbH" in text  # the processor told (Art. 19)
    # It says what we held: not an attachment, a one-time link to this letter (its PDF/A
    # where LibreOffice is installed, archived beside the DOCX; else the DOCX itself).
    assert letter.channel == "download"
    async with desk.db.session_scope() as session:
        (download,) = (await session.exec(select(Download))).all()
        offered = await session.get_one(Artifact, download.artifact_id)
    if soffice() is None:
        assert download.artifact_id == letter.artifact_id
    else:
        assert (offered.kind, offered.media_type, offered.request_id) == (
            "letter",
            "application/pdf",
            request_id,
        )
        assert offered.filename == f"{_ref(text)}-Teilloeschung.pdf"
    (mail,) = await desk.mails(request_id)
    assert mail.attachments == [] and mail.subject == f"Ihr Antrag {_ref(text)}: unsere Antwort"


async def test_a_store_that_stays_down_needs_attention_and_the_dpo_retries(desk: Desk) -> None:
    sessions = desk.connectors["sessions"]
    assert isinstance(sessions, MemoryConnector)
    sessions.failures = 100
    request_id = await desk.verified("access", "soeren.noacktaesche.1@example.org")
    runner = desk.runner(max_attempts=3)
    for _ in range(6):
        await runner.drain()
        desk.clock.advance(hours=1)
    task = (await desk.tasks(request_id))["sessions:export"]
    assert (task.status, task.attempts, task.error) == ("failed", 3, "unavailable")
    assert (await desk.request(request_id)).needs_attention

    sessions.failures = 0
    await desk.act(request_id, "retry")
    await runner.drain()
    assert (await desk.tasks(request_id))["sessions:export"].status == "done"
    assert not (await desk.request(request_id)).needs_attention


async def test_an_unexpected_error_is_retried_then_needs_attention(desk: Desk) -> None:
    """Not a store outage but something nobody planned for: here the person's data can no
    longer be decrypted (a key taken out of DSR_ENCRYPTION_KEYS too early). The task is
    retried with backoff like an outage, then fails and the DPO sees it; the runner goes on
    with other work, and the log names the error's type only."""
    request_id = await desk.verified("access", "soeren.noacktaesche.1@example.org")
    runner = desk.runner(max_attempts=3)
    await runner.plan_verified()
    async with desk.db.session_scope() as session:
        request = await session.get_one(Request, request_id)
        await session.exec(
            update(Subject)
            .where(col(Subject.id) == request.subject_id)
            .values(email_enc="v1.00000000.bm90IGEgY2lwaGVydGV4dA==")
        )
    other = await desk.verified("access", "concetta.maelzer.2@example.org", name="C. Mälzer")
    for _ in range(6):
        await runner.drain()
        desk.clock.advance(hours=1)
    tasks = await desk.tasks(request_id)
    assert {(t.status, t.attempts, t.error) for t in tasks.values()} == {
        ("failed", 3, "DecryptionError")
    }
    assert (await desk.request(request_id)).needs_attention
    assert {name: task.status for name, task in (await desk.tasks(other)).items()} == {
        "shop:find": "done",
        "shop:export": "done",
        "sessions:export": "done",
        "newsletter:export": "done",
        "archive:export": "waiting",  # the manual store: a person looks
    }


async def test_a_hanging_store_times_out_and_is_retried_later(desk: Desk) -> None:
    sessions = desk.connectors["sessions"]
    assert isinstance(sessions, MemoryConnector)
    desk.config.store("sessions").__dict__["timeout"] = 0.2  # frozen model; a test may bend it
    sessions.delay = 2.0
    request_id = await desk.verified("access", "soeren.noacktaesche.1@example.org")
    await desk.runner().drain()
    task = (await desk.tasks(request_id))["sessions:export"]
    assert (task.status, task.error) == ("pending", "TimeoutError")
    assert task.next_attempt_at is not None and task.next_attempt_at > desk.clock.now
    sessions.delay = 0
    desk.clock.advance(minutes=5)
    await desk.runner().drain()
    assert (await desk.tasks(request_id))["sessions:export"].status == "done"


async def test_an_expired_lease_is_taken_over_and_the_late_result_is_dropped(desk: Desk) -> None:
    request_id = await desk.verified("access", "soeren.noacktaesche.1@example.org")
    first, second = desk.runner(worker="a"), desk.runner(worker="b")
    await first.plan_verified()
    (claimed,) = await first.claim()
    desk.clock.advance(minutes=10)  # worker a went silent; its lease ran out
    assert await second.claim() == [claimed]
    await first.execute(claimed)  # a wakes up: its result must not count
    task = next(iter((await desk.tasks(request_id)).values()))
    assert (task.status, task.lease_owner, task.attempts) == ("running", "b", 2)
    await second.execute(claimed)
    assert next(iter((await desk.tasks(request_id)).values())).status == "done"
    async with desk.db.session_scope() as session:
        from dsr.models import Event

        done = (
            await session.exec(
                select(Event).where(Event.request_id == request_id, Event.action == "task.done")
            )
        ).all()
    assert len([e for e in done if e.payload["action"] == "find"]) == 1


async def test_rectification_changes_the_record_and_tells_the_processor(
    desk: Desk, processor: Processor
) -> None:
    async with desk.db.session_scope() as session:
        service = RequestService(session, desk.vault, "DE-NW", "Europe/Berlin")
        data = RequestIn.model_validate(
            {
                "kind": "rectification",
                "subject": {"name": "Concetta Mälzer", "email": "concetta.maelzer.2@example.org"},
                "changes": [
                    {"field": "name", "value": "Concetta Neumann", "current": "Concetta Mälzer"}
                ],
            }
        )
        request, _ = await service.open(data, SUBJECT)
        await engine.apply(session, request, "verify", SUBJECT, level="email")
        request_id = request.id
    await desk.runner().drain()
    await desk.act(request_id, "approve")
    await desk.runner().drain()
    await _resolve_archive(desk, request_id)
    assert (await desk.request(request_id)).status == "awaiting_review"
    tasks = await desk.tasks(request_id)
    assert (tasks["shop:rectify"].result_summary or {})["changed"] == {"customers": 1}
    assert "sessions:rectify" not in tasks  # a cache is rebuilt, not corrected
    rectify_call = next(c for c in processor.calls if c["action"] == "rectify")
    assert rectify_call["changes"] == [{"field": "name", "value": "Concetta Neumann"}]
    exported = await desk.connectors["shop"].export(
        Identifiers.of(customer_numbers=frozenset({"K100002"}))
    )
    assert exported.tables["customers"][0]["name"] == "Concetta Neumann"

    await desk.act(request_id, "release")
    _, text = (await desk.letters(request_id))["rectification"]
    assert "Name: jetzt „Concetta Neumann“" in text and "Newsletter Versand GmbH" in text
    assert "Concetta Mälzer" in text  # the greeting uses the name the request was made in


async def test_an_expired_download_takes_its_package_with_it(desk: Desk) -> None:
    from dsr.services.downloads import purge_expired

    request_id = await desk.verified("access", "soeren.noacktaesche.1@example.org")
    await desk.runner().drain()
    await _resolve_archive(desk, request_id)
    await desk.act(request_id, "release")
    async with desk.db.session_scope() as session:
        assert await purge_expired(session, utcnow() + timedelta(days=13)) == 0
        assert await purge_expired(session, utcnow() + timedelta(days=15)) == 1
    async with desk.db.session_scope() as session:
        assert not (await session.exec(select(Artifact).where(Artifact.kind == "package"))).all()
        assert not (await session.exec(select(Download))).all()
        # the stores' exports it was built from hold the same data: gone with it
        assert not (await session.exec(select(Artifact).where(Artifact.kind == "export"))).all()
        assert (await session.exec(select(Artifact).where(Artifact.kind == "letter"))).all()


async def test_a_task_whose_worker_keeps_dying_fails_at_its_attempt_limit(desk: Desk) -> None:
    """Each worker that claims the task dies before finishing (its lease runs out). After
    the attempt limit the task is not claimed again but failed for the DPO to see."""
    request_id = await desk.verified("access", "soeren.noacktaesche.1@example.org")
    await desk.runner().plan_verified()
    for n in range(3):
        assert len(await desk.runner(worker=f"dies-{n}", max_attempts=3).claim()) == 1
        desk.clock.advance(minutes=10)
    assert await desk.runner(worker="next", max_attempts=3).claim() == []
    (task,) = (await desk.tasks(request_id)).values()
    assert (task.status, task.attempts, task.error) == ("failed", 3, "worker_lost")
    assert (await desk.request(request_id)).needs_attention


async def test_a_store_that_refuses_the_work_fails_at_once_with_its_cause(
    desk: Desk, tmp_path: Any
) -> None:
    """A permanent error (here the declared column was dropped from the shop) is not an
    outage: the task fails on its first attempt, and the DPO reads which column is wrong —
    never a value from the database's message."""
    import sqlalchemy as sa

    engine_ = sa.create_engine(f"sqlite:///{tmp_path / 'shop.db'}")
    with engine_.begin() as connection:
        connection.execute(sa.text("ALTER TABLE tickets DROP COLUMN call_notes"))
    engine_.dispose()
    request_id = await desk.verified("access", "soeren.noacktaesche.1@example.org")
    await desk.runner().drain()
    task = (await desk.tasks(request_id))["shop:find"]
    assert (task.status, task.attempts) == ("done", 1)  # counting does not read the column
    export = (await desk.tasks(request_id))["shop:export"]
    assert (export.status, export.attempts) == ("failed", 1)
    assert export.error is not None and "tickets" in export.error
    assert "a column does not exist" in export.error and "@" not in export.error
    assert (await desk.request(request_id)).needs_attention


async def test_a_large_export_is_stored_and_read_in_chunks(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A customer with thousands of orders: the export and the package are written and read
    one chunk at a time (chunks made small here so a small test crosses many of them), the
    package is complete, the letter joins it at release, and tampering with a chunk shows."""
    import sqlalchemy as sa

    from dsr import artifacts
    from dsr.models import ArtifactChunk
    from dsr.security.fields import DecryptionError

    monkeypatch.setattr(artifacts, "CHUNK", 16 * 1024)
    assert desk.config.system_of_record is not None
    shop = sa.create_engine(desk.config.system_of_record.url)
    with shop.begin() as connection:
        customer = connection.execute(
            sa.text("SELECT id FROM customers WHERE customer_no = 'K100001'")
        ).scalar_one()
        connection.execute(
            sa.text(
                "INSERT INTO orders (id, customer_id, ordered_on, delivery_address, total)"
                " VALUES (:id, :customer, '2025-01-02', :address, 9.90)"
            ),
            [
                {"id": 900000 + i, "customer": customer, "address": f"Lieferweg {i}, 45127 Essen"}
                for i in range(3000)
            ],
        )
    shop.dispose()

    request_id = await desk.verified("access", "soeren.noacktaesche.1@example.org")
    await desk.runner().drain()
    await _resolve_archive(desk, request_id)
    cipher = desk.vault.cipher
    async with desk.db.session_scope() as session:
        export = await session.get_one(
            Artifact,
            uuid.UUID((await desk.tasks(request_id))["shop:export"].result_summary["artifact"]),  # type: ignore[index]
        )
        package = (
            await session.exec(
                select(Artifact).where(
                    Artifact.request_id == request_id, Artifact.kind == "package"
                )
            )
        ).one()
        for artifact in (export, package):
            chunks = (
                await session.exec(
                    select(ArtifactChunk.seq).where(ArtifactChunk.artifact_id == artifact.id)
                )
            ).all()
            assert artifact.content_enc is None
            assert sorted(chunks) == list(range(-(-artifact.size // (16 * 1024))))
            assert len(chunks) > 1
        reviewed = await artifacts.read_all(session, cipher, package)
    assert hashlib.sha256(reviewed).hexdigest() == package.sha256
    archive = zipfile.ZipFile(io.BytesIO(reviewed))
    data = json.loads(archive.read("data.json"))
    orders = data["stores"]["shop"]["tables"]["orders"]
    assert len(orders) == 3010
    assert orders[-1]["delivery_address"] == "Lieferweg 2999, 45127 Essen"
    assert len(archive.read("shop/orders.csv").decode().splitlines()) == 3011
    index = archive.read("index.html").decode()
    assert "Einträge: 3010" in index and "Lieferweg 2999, 45127 Essen" in index

    package_id = package.id
    await desk.act(request_id, "release")
    async with desk.db.session_scope() as session:
        package = await session.get_one(Artifact, package_id)
        released = await artifacts.read_all(session, cipher, package)
        assert hashlib.sha256(released).hexdigest() == package.sha256
        delivered = zipfile.ZipFile(io.BytesIO(released))
        for name in archive.namelist():
            assert delivered.read(name) == archive.read(name)
        suffix = "-Auskunft.pdf" if soffice() is not None else "-Auskunft.docx"
        assert any(n.endswith(suffix) for n in delivered.namelist())

        # Swapping two pieces, or losing the last one, cannot go unnoticed.
        first, second = (
            await session.exec(
                select(ArtifactChunk)
                .where(ArtifactChunk.artifact_id == package.id)
                .order_by(col(ArtifactChunk.seq))
                .limit(2)
            )
        ).all()
        first.content_enc, second.content_enc = second.content_enc, first.content_enc
        await session.flush()
        with pytest.raises(DecryptionError):
            await artifacts.read_all(session, cipher, package)
        await session.rollback()
    async with desk.db.session_scope() as session:
        package = await session.get_one(Artifact, package_id)
        last = -(-package.size // (16 * 1024)) - 1
        await session.exec(
            sa.delete(ArtifactChunk).where(  # type: ignore[arg-type]
                col(ArtifactChunk.artifact_id) == package.id, col(ArtifactChunk.seq) == last
            )
        )
        with pytest.raises(DecryptionError, match="missing"):
            await artifacts.read_all(session, cipher, package)
        await session.rollback()
