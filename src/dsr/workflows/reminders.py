"""Reminders to the DPO before a deadline and on the first overdue day, and a daily digest.

Each goes out once: a reminder row with a unique key is claimed in the transaction that
queues the e-mail. The key carries the due date, so an extension arms the reminders again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from jinja2 import Environment
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from dsr.config import DsrConfig
from dsr.db import claim_once
from dsr.domain.deadlines import receipt_date
from dsr.domain.vocabulary import Language, RequestStatus
from dsr.i18n import N_
from dsr.models import Request
from dsr.models.request import effective_due
from dsr.notify.outbox import enqueue
from dsr.rendering import long_date, render_mail
from dsr.security.vault import Vault

DIGEST_AT = time(7, 30)
OVERDUE = "overdue"


@dataclass(slots=True)
class Reminders:
    session: AsyncSession
    config: DsrConfig
    vault: Vault
    mail: Environment
    base_url: str
    sender_address: str
    timezone: str = "Europe/Berlin"

    async def send_due(self, now: datetime) -> int:
        """Queue the reminders that are due; returns how many went out."""
        today = receipt_date(now, self.timezone)
        offsets = sorted({d for d in self.config.policies.reminders_days if d >= 0})
        horizon = today + timedelta(days=max(offsets, default=0))
        due = effective_due()
        open_statuses = [s.value for s in RequestStatus if s.is_open]
        rows = (
            await self.session.exec(
                select(Request)
                .where(col(Request.status).in_(open_statuses), due <= horizon)
                .limit(1000)
            )
        ).all()
        sent = 0
        for request in rows:
            kind = reminder_kind((request.effective_due_on - today).days, offsets)
            if kind is None:
                continue
            key = f"{request.id}:{request.effective_due_on.isoformat()}:{kind}"
            if not await claim_once(self.session, key, request.id):
                continue
            if kind != OVERDUE:  # a late start skips the earlier, larger offsets for good
                for skipped in (d for d in offsets if d > int(kind.removeprefix("due_in_"))):
                    await claim_once(
                        self.session, f"{key.rsplit(':', 1)[0]}:due_in_{skipped}", request.id
                    )
            await self._mail(
                "reminder",
                N_("Reminder: request %(reference)s is due on %(due)s")
                if kind != OVERDUE
                else N_("Overdue: request %(reference)s was due on %(due)s"),
                request_id=request.id,
                reference=request.reference,
                due=long_date(request.effective_due_on, Language.DE),
                overdue=kind == OVERDUE,
                link=f"{self.base_url}/dpo/requests/{request.reference}",
            )
            sent += 1
        return sent

    async def send_digest(self, now: datetime) -> bool:
        """Once a day, from 07:30 local time: what is open, due soon and overdue."""
        local = now.astimezone(ZoneInfo(self.timezone))
        if local.time() < DIGEST_AT:
            return False
        if not await claim_once(self.session, f"digest:{local.date().isoformat()}"):
            return False
        today = local.date()
        due = effective_due()
        open_statuses = [s.value for s in RequestStatus if s.is_open]
        rows = (
            await self.session.exec(
                select(Request)
                .where(col(Request.status).in_(open_statuses))
                .order_by(due, col(Request.reference))
            )
        ).all()
        overdue = [r for r in rows if r.effective_due_on < today]
        soon = [r for r in rows if today <= r.effective_due_on <= today + timedelta(days=7)]
        attention = [r for r in rows if r.needs_attention]
        await self._mail(
            "digest",
            N_("Requests on %(day)s: %(open)s open, %(overdue)s overdue"),
            day=long_date(today, Language.DE),
            open=len(rows),
            overdue=len(overdue),
            overdue_list=[
                (r.reference, long_date(r.effective_due_on, Language.DE)) for r in overdue[:50]
            ],
            soon_list=[
                (r.reference, long_date(r.effective_due_on, Language.DE)) for r in soon[:50]
            ],
            attention_list=[r.reference for r in attention[:50]],
        )
        return True

    async def _mail(
        self, template: str, subject: str, request_id: object = None, **context: object
    ) -> None:
        mail = render_mail(
            self.mail, template, Language.DE, subject, controller=self.config.controller, **context
        )
        await enqueue(
            self.session,
            self.vault.cipher,
            to=self.config.controller.dpo.email,
            mail=mail,
            sender_address=self.sender_address,
            request_id=request_id,  # type: ignore[arg-type]
        )


def reminder_kind(days_left: int, offsets: list[int]) -> str | None:
    """``due_in_<d>`` for the smallest offset ``d >= days_left``, ``overdue`` once late."""
    if days_left < 0:
        return OVERDUE
    fitting = [d for d in offsets if days_left <= d]
    return f"due_in_{min(fitting)}" if fitting else None
