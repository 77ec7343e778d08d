"""Tasks and outgoing mail share one claim rule: a lease per claim, and a row whose worker
dies on every attempt is given up at its attempt limit instead of claimed forever."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from dsr.db import Database
from dsr.models import Outbox
from dsr.models.base import utcnow
from dsr.notify import outbox
from dsr.rendering import RenderedMail
from dsr.security.fields import FieldCipher
from dsr.settings import Settings


async def test_a_message_whose_sender_keeps_dying_is_failed_not_sent_forever(
    db: Database, settings: Settings
) -> None:
    cipher = FieldCipher.from_config(settings.encryption_keys)
    async with db.session_scope() as session:
        await outbox.enqueue(
            session,
            cipher,
            to="erika@example.org",
            mail=RenderedMail(subject="Ihr Antrag", text="Text", html="<p>Text</p>"),
            sender_address="datenschutz@example.org",
        )
    now = utcnow()
    for attempt in range(outbox.MAX_ATTEMPTS):
        claimed = await outbox._claim(db, now, 10, timedelta(minutes=2))
        assert len(claimed) == 1, attempt  # the sender takes it ... and dies
        now += timedelta(minutes=3)  # its lease runs out
    assert await outbox._claim(db, now, 10, timedelta(minutes=2)) == []
    async with db.session_scope() as session:
        (row,) = (await session.exec(select(Outbox))).all()
    assert (row.status, row.attempts, row.last_error) == (
        "failed",
        outbox.MAX_ATTEMPTS,
        "sender_lost",
    )
