"""The DPO's triage list: mail the poller could not file by itself, and the two answers to
it: "this is an ... request" (filed as if recognised, received when the mail arrived) or
"not a request" (kept as read, never answered)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import update
from sqlmodel import col, select

from dsr import artifacts
from dsr.domain.errors import InvalidInput, InvalidTransition, NotFound
from dsr.domain.mail_requests import recognise
from dsr.domain.vocabulary import RequestKind
from dsr.models import Artifact, MailMessage
from dsr.notify.inbound import read
from dsr.security.audit import append_event
from dsr.services.mail_intake import SENDER, SUBJECT, MailIntake
from dsr.workflows.engine import Actor

LIMIT = 200


@dataclass(frozen=True, slots=True)
class TriageItem:
    id: uuid.UUID
    sender: str | None
    subject: str
    received_at: datetime
    reason: str | None
    kinds: list[str]  # what the classifier saw, as a hint
    attachments: int
    can_file: bool  # there is a valid sender to answer


@dataclass(slots=True)
class Triage:
    intake: MailIntake

    async def waiting(self, outcome: str = "triage") -> list[TriageItem]:
        """Mail waiting for the DPO (or, with ``outcome="ignored"``, mail never filed)."""
        session, cipher = self.intake.session, self.intake.vault.cipher
        rows = (
            await session.exec(
                select(MailMessage)
                .where(MailMessage.outcome == outcome)
                .order_by(col(MailMessage.received_at))
                .limit(LIMIT)
            )
        ).all()
        items = []
        for row in rows:
            sender = cipher.decrypt(SENDER, row.sender_enc)
            items.append(
                TriageItem(
                    id=row.id,
                    sender=sender,
                    subject=cipher.decrypt(SUBJECT, row.subject_enc) or "",
                    received_at=row.received_at,
                    reason=row.reason,
                    kinds=row.kinds,
                    attachments=row.attachments,
                    can_file=bool(sender) and row.artifact_id is not None,
                )
            )
        return items

    async def file(self, mail_id: uuid.UUID, kind: RequestKind, actor: Actor) -> list[str]:
        """The DPO says what the mail asks for: one request of ``kind``, as if recognised;
        returns its reference."""
        row = await self._waiting(mail_id)
        session, cipher = self.intake.session, self.intake.vault.cipher
        sender = cipher.decrypt(SENDER, row.sender_enc)
        if not sender or row.artifact_id is None:
            raise InvalidInput({"mail": "no_sender"})
        raw = await artifacts.read_all(
            session, cipher, await session.get_one(Artifact, row.artifact_id)
        )
        mail = read(raw)
        recognition = recognise(mail.subject, mail.text)
        await self._decided(row, "filed", actor)  # first: a second click finds it decided
        filed = await self.intake.file(
            row, sender, mail.display_name, mail.text, recognition, kinds=[kind]
        )
        if not filed:
            raise InvalidInput({"mail": "invalid_claims"})  # rolls the decision back too
        await self.intake.record_links(row, filed)
        references = [request.reference for request, _ in filed]
        await append_event(
            session,
            actor=actor.label,
            action="mail.triage_filed",
            request_id=filed[0][0].id,
            payload={"mail": str(row.id), "kind": kind.value, "requests": references},
        )
        return references

    async def dismiss(self, mail_id: uuid.UUID, actor: Actor) -> None:
        row = await self._waiting(mail_id)
        await self._decided(row, "dismissed", actor)
        await append_event(
            self.intake.session,
            actor=actor.label,
            action="mail.triage_dismissed",
            payload={"mail": str(row.id)},
        )

    async def _waiting(self, mail_id: uuid.UUID) -> MailMessage:
        row = await self.intake.session.get(MailMessage, mail_id)
        if row is None:
            raise NotFound("no such mail")
        if row.outcome != "triage":
            raise InvalidTransition("this mail was decided already")
        return row

    async def _decided(self, row: MailMessage, outcome: str, actor: Actor) -> None:
        session = self.intake.session
        result = await session.exec(
            update(MailMessage)
            .where(col(MailMessage.id) == row.id, col(MailMessage.outcome) == "triage")
            .values(outcome=outcome)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:
            raise InvalidTransition("this mail was decided already")  # a second click
