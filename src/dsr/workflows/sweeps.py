"""Sweeps of the scheduler tick: unconfirmed requests expire, and the personal data of long
closed requests is purged while the accountability record stays (DESIGN.md "Deadlines").

Each sweep works in small batches, skips rows another instance holds, and is idempotent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from jinja2 import Environment
from sqlalchemy import delete, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from dsr import artifacts
from dsr.config import DsrConfig
from dsr.domain.vocabulary import RejectionGround, RequestStatus
from dsr.i18n import N_
from dsr.models import Artifact, Download, Note, Outbox, Redaction, Request, Subject, Verification
from dsr.notify.requester import RequesterMail
from dsr.security.audit import append_event
from dsr.security.vault import Vault
from dsr.services.mail_file import forget_mails
from dsr.workflows import engine
from dsr.workflows.engine import SYSTEM

BATCH = 100
_PII_COLUMNS = (
    "name_enc",
    "email_enc",
    "phone_enc",
    "customer_number_enc",
    "postal_address_enc",
    "date_of_birth_enc",
    "identifiers_enc",
    "email_bidx",
    "phone_bidx",
    "customer_number_bidx",
)


@dataclass(slots=True)
class Sweeps:
    session: AsyncSession
    config: DsrConfig
    vault: Vault
    mail: Environment
    base_url: str
    sender_address: str

    async def expire_unverified(self, now: datetime) -> int:
        """Requests nobody confirmed within ``unverified_expiry_days`` close as unverifiable,
        with a notice to the address given (Art. 11(2): they may come back with more)."""
        cutoff = now - timedelta(days=self.config.policies.unverified_expiry_days)
        # Only requests waiting for the *person*: one still "received" waits for us (a letter
        # nobody has worked on yet) and must stay on the DPO's desk, overdue or not.
        waiting = RequestStatus.AWAITING_VERIFICATION.value
        rows = (
            await self.session.exec(
                select(Request)
                .where(col(Request.status) == waiting, col(Request.received_at) < cutoff)
                .limit(BATCH)
                .with_for_update(skip_locked=True)
            )
        ).all()
        mailer = RequesterMail(self.mail, self.vault, self.config.controller, self.sender_address)
        for request in rows:
            await engine.apply(
                self.session,
                request,
                "reject",
                SYSTEM,
                ground=RejectionGround.UNVERIFIABLE.value,
                outcome="expired",
                payload={"reason": "not confirmed in time"},
            )
            await mailer.send(
                self.session,
                request,
                "expired",
                N_("Your request %(reference)s was not confirmed"),
                start_url=f"{self.base_url}/",
            )
        return len(rows)

    async def purge_closed(self, now: datetime) -> int:
        """Personal data of requests closed longer than ``retention_days`` ago is deleted;
        reference, kind, channel, dates and outcome stay (Art. 5(2) accountability)."""
        cutoff = now - timedelta(days=self.config.policies.retention_days)
        rows = (
            await self.session.exec(
                select(Request, Subject)
                .join(Subject, col(Subject.id) == col(Request.subject_id))
                .where(col(Request.closed_at) < cutoff, col(Subject.purged_at).is_(None))
                .limit(BATCH)
                .with_for_update(skip_locked=True)
            )
        ).all()
        for request, subject in rows:
            await self.session.exec(
                update(Subject)
                .where(col(Subject.id) == subject.id)
                .values({name: None for name in _PII_COLUMNS} | {"purged_at": now})
            )
            await self.session.exec(
                update(Request)
                .where(col(Request.id) == request.id)
                .values(
                    details_enc=None,
                    changes_enc=None,
                    keys_enc=None,
                    extension_reason_enc=None,
                    status_token_digest=None,
                )
            )
            for table in (Download, Outbox, Verification, Note, Redaction):
                await self.session.exec(delete(table).where(col(table.request_id) == request.id))
            await forget_mails(self.session, request.id)
            await artifacts.remove(
                self.session, col(Artifact.request_id) == request.id, col(Artifact.kind) != "letter"
            )
            await append_event(
                self.session,
                actor=SYSTEM.label,
                action="request.purged",
                request_id=request.id,
                payload={"closed_at": request.closed_at.isoformat() if request.closed_at else None},
            )
        return len(rows)
