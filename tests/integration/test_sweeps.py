"""Extension (Art. 12(3)), expiry of unconfirmed requests, and the retention purge."""

from __future__ import annotations

import io
import uuid
from datetime import date, timedelta
from unittest.mock import ANY

import docx
import pytest
from sqlalchemy import update
from sqlmodel import select

from dsr.config import DsrConfig
from dsr.db import Database
from dsr.domain.deadlines import receipt_date, response_deadline
from dsr.domain.errors import InvalidInput, InvalidTransition
from dsr.domain.identity import Identity
from dsr.domain.vocabulary import Language, Role
from dsr.models import Artifact, Event, Letter, Outbox, Request, Subject
from dsr.models.base import utcnow
from dsr.rendering import long_date, new_environment
from dsr.security.audit import chain_pending, verify_chain
from dsr.security.vault import Vault
from dsr.services.actions import RequestActions
from dsr.settings import Settings
from dsr.workflows import engine
from dsr.workflows.engine import SUBJECT, Actor
from dsr.workflows.sweeps import Sweeps
from tests.helpers import letter_office

DPO = Actor("staff", uuid.uuid4(), Role.DPO.value)
CONFIG = DsrConfig()


def _vault(settings: Settings) -> Vault:
    return Vault.from_secrets(settings.encryption_keys, settings.hmac_key)


async def _request(
    db: Database, settings: Settings, days_ago: int = 0, status: str = "received"
) -> uuid.UUID:
    vault = _vault(settings)
    received = utcnow() - timedelta(days=days_ago)
    async with db.session_scope() as session:
        subject = vault.seal_subject(
            Identity(name="Erika Mustermann", email="erika@example.org", phone="+492011234567")
        )
        session.add(subject)
        await session.flush()
        request = await engine.open_request(
            session,
            engine.NewRequest(
                f"DSR-2026-{uuid.uuid4().int % 900000 + 100000}",
                "access",
                "web",
                "de",
                received,
                response_deadline(received),
                subject.id,
                details_enc=vault.cipher.encrypt("request.details", "Meine Kundennummer ist K4711"),
            ),
            SUBJECT,
        )
        if status != "received":
            await engine.apply(session, request, "ask_verification", SUBJECT)
        return request.id


def _actions(session: object, settings: Settings) -> RequestActions:
    return RequestActions(
        session,  # type: ignore[arg-type]
        CONFIG,
        _vault(settings),
        letter_office(session, CONFIG, settings),
    )


async def test_extension_is_three_months_from_receipt_with_reasons_told_to_the_person(
    db: Database, settings: Settings
) -> None:
    request_id = await _request(db, settings, days_ago=10)
    async with db.session_scope() as session:
        request = await session.get_one(Request, request_id)
        with pytest.raises(InvalidInput):
            await _actions(session, settings).run(request, "extend", DPO, {})
    async with db.session_scope() as session:
        request = await session.get_one(Request, request_id)
        extended = await _actions(session, settings).run(
            request, "extend", DPO, {"reason": "Daten in 14 Systemen, davon 3 Papierarchive."}
        )
    assert extended.extended_due_on == response_deadline(extended.received_at, extended=True)
    assert extended.effective_due_on == extended.extended_due_on
    async with db.session_scope() as session:
        mail = (await session.exec(select(Outbox))).one()
        text = _vault(settings).cipher.decrypt_json("outbox.body", mail.body_enc)["text"]
        event = (await session.exec(select(Event).where(Event.action == "request.extended"))).one()
    assert mail.subject.endswith("Wir benötigen mehr Zeit")
    assert "Daten in 14 Systemen, davon 3 Papierarchive." in text and "Landesbeauftragte" in text
    assert "Papierarchive" not in str(event.payload)  # the reason is not in the audit trail
    letter, letter_text = await _letter(db, settings, "extension")
    assert mail.attachments == [{"artifact": str(letter.artifact_id), "filename": ANY, "pdf": ANY}]
    due = long_date(extended.extended_due_on, Language.DE)  # type: ignore[arg-type]
    assert (
        f"verlängern wir die Frist deshalb bis zum {due} (drei Monate nach Eingang" in letter_text
    )
    assert "zwei Monate" not in letter_text  # the dates say it: receipt + 3 months
    assert "Der Grund: Daten in 14 Systemen, davon 3 Papierarchive." in letter_text
    async with db.session_scope() as session:
        request = await session.get_one(Request, request_id)
        with pytest.raises(InvalidTransition):
            await _actions(session, settings).run(request, "extend", DPO, {"reason": "again"})


async def test_no_extension_after_the_first_deadline(db: Database, settings: Settings) -> None:
    request_id = await _request(db, settings, days_ago=40)
    async with db.session_scope() as session:
        await session.exec(
            update(Request)
            .where(Request.id == request_id)
            .values(due_on=receipt_date(utcnow()) - timedelta(days=1))
        )  # type: ignore[arg-type]
    async with db.session_scope() as session:
        request = await session.get_one(Request, request_id)
        with pytest.raises(InvalidTransition, match="until the first deadline"):
            await _actions(session, settings).run(request, "extend", DPO, {"reason": "too late"})


def _sweeps(session: object, settings: Settings) -> Sweeps:
    return Sweeps(
        session, CONFIG, _vault(settings), new_environment(), "http://dsr.test", "dsr@example.org"
    )  # type: ignore[arg-type]


async def test_unconfirmed_requests_expire_after_fourteen_days_with_a_notice(
    db: Database, settings: Settings
) -> None:
    old = await _request(db, settings, days_ago=15, status="awaiting_verification")
    fresh = await _request(db, settings, days_ago=13, status="awaiting_verification")
    backlog = await _request(db, settings, days_ago=40)  # a letter nobody worked on: ours
    async with db.session_scope() as session:
        assert await _sweeps(session, settings).expire_unverified(utcnow()) == 1
        assert (await session.get_one(Request, backlog)).status == "received"
    async with db.session_scope() as session:
        assert await _sweeps(session, settings).expire_unverified(utcnow()) == 0
        expired = await session.get_one(Request, old)
        waiting = await session.get_one(Request, fresh)
        mails = (await session.exec(select(Outbox))).all()
    assert (expired.status, expired.outcome) == ("rejected", "unverifiable")
    assert waiting.status == "awaiting_verification"
    assert [m.subject for m in mails] == [f"Ihr Antrag {expired.reference} wurde nicht bestätigt"]


async def test_retention_purge_removes_personal_data_and_keeps_the_record(
    db: Database, settings: Settings
) -> None:
    old = await _request(db, settings, days_ago=1200)
    recent = await _request(db, settings, days_ago=30)
    async with db.session_scope() as session:
        for request_id in (old, recent):
            request = await session.get_one(Request, request_id)
            await engine.apply(session, request, "withdraw", SUBJECT)
        await session.exec(
            update(Request)
            .where(Request.id == old)
            .values(closed_at=utcnow() - timedelta(days=1096))
        )  # type: ignore[arg-type]
    async with db.session_scope() as session:
        assert await _sweeps(session, settings).purge_closed(utcnow()) == 1
    async with db.session_scope() as session:
        assert await _sweeps(session, settings).purge_closed(utcnow()) == 0
        purged = await session.get_one(Request, old)
        kept = await session.get_one(Request, recent)
        purged_subject = await session.get_one(Subject, purged.subject_id)
        kept_subject = await session.get_one(Subject, kept.subject_id)
        assert await chain_pending(session) > 0
    async with db.session_scope() as session:
        report = await verify_chain(session)
        assert report.ok and report.checked > 0 and report.pending == 0
    assert (
        purged.reference.startswith("DSR-")
        and purged.kind == "access"
        and purged.outcome == "withdrawn"
    )
    assert purged.received_at and purged.closed_at and purged.due_on
    assert purged.details_enc is None and purged_subject.purged_at is not None
    assert all(
        getattr(purged_subject, c) is None
        for c in ("name_enc", "email_enc", "phone_enc", "email_bidx")
    )
    assert kept_subject.email_enc is not None and kept.details_enc is not None
    assert isinstance(purged.due_on, date)


async def test_a_refusal_tells_the_reasons_and_the_right_to_complain_and_to_go_to_court(
    db: Database, settings: Settings
) -> None:
    request_id = await _request(db, settings, days_ago=2)
    async with db.session_scope() as session:
        request = await session.get_one(Request, request_id)
        with pytest.raises(InvalidInput):
            await _actions(session, settings).run(request, "reject", DPO, {"ground": "excessive"})
    async with db.session_scope() as session:
        request = await session.get_one(Request, request_id)
        await _actions(session, settings).run(
            request,
            "reject",
            DPO,
            {
                "ground": "excessive",
                "reason": "Vierter gleichlautender Antrag seit dem 1. November.",
            },
        )
    async with db.session_scope() as session:
        mail = (await session.exec(select(Outbox))).one()
        text = _vault(settings).cipher.decrypt_json("outbox.body", mail.body_enc)["text"]
    assert "Vierter gleichlautender Antrag" in text
    assert "Art. 12 Abs. 5" in text and "Aufsichtsbehörde" in text and "Art. 79 DSGVO" in text
    assert "Kavalleriestraße 2-4" in text
    letter, letter_text = await _letter(db, settings, "refusal")
    assert mail.attachments == [{"artifact": str(letter.artifact_id), "filename": ANY, "pdf": ANY}]
    assert (
        "Unsere Gründe im Einzelnen: Vierter gleichlautender Antrag seit dem 1. November."
        in letter_text
    )
    assert "Art. 77 DSGVO" in letter_text and "Art. 79 DSGVO" in letter_text


async def test_refusing_as_unverifiable_sends_the_art_11_letter(
    db: Database, settings: Settings
) -> None:
    request_id = await _request(db, settings, days_ago=2)
    async with db.session_scope() as session:
        request = await session.get_one(Request, request_id)
        reason = {"ground": "unverifiable", "reason": "Die Kundennummer gibt es nicht."}
        await _actions(session, settings).run(request, "reject", DPO, reason)
    _, text = await _letter(db, settings, "unverifiable")
    assert "Art. 11 Abs. 2" in text and "Was wir geprüft haben: Die Kundennummer" in text
    assert "Ihre Kundennummer, zum Beispiel von einer Rechnung" in text


async def _letter(db: Database, settings: Settings, kind: str) -> tuple[Letter, str]:
    async with db.session_scope() as session:
        letter = (await session.exec(select(Letter).where(Letter.kind == kind))).one()
        artifact = await session.get_one(Artifact, letter.artifact_id)
        content = _vault(settings).cipher.decrypt_bytes("artifact", artifact.content_enc)
    text = "\n".join(p.text for p in docx.Document(io.BytesIO(content)).paragraphs)
    return letter, text
