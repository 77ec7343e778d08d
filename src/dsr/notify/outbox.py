"""The mail outbox: e-mails are rows written in the transaction that causes them, and a
sender delivers them afterwards, retrying with backoff while the SMTP server is away.

Each message has a ``Message-ID`` that never changes: it is the idempotency key. A row is
claimed with a lease before sending, so several workers never send one row at once; a worker
that dies after the server accepted a message but before recording it leaves the lease to
expire, and the retry carries the same Message-ID (receivers can recognise the repeat).
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime

import aiosmtplib
import structlog
from sqlalchemy import update
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from dsr import artifacts
from dsr.db import Database
from dsr.domain import retry
from dsr.domain.identity import transport_address
from dsr.letters.render import PDF, to_pdf
from dsr.models import Artifact, Outbox
from dsr.models.base import utcnow
from dsr.notify.smtp import SmtpConfig, send_message
from dsr.rendering import RenderedMail
from dsr.security.fields import FieldCipher
from dsr.workflows import queue, wakeup

log = structlog.get_logger("dsr.outbox")

LEASE = timedelta(minutes=2)
MAX_ATTEMPTS = 25
BASE_BACKOFF = timedelta(seconds=15)
MAX_BACKOFF = timedelta(hours=1)

Sender = Callable[[SmtpConfig, EmailMessage], Awaitable[None]]


def backoff(attempts: int) -> timedelta:
    """15 s, 30 s, 1 min, ... capped at one hour."""
    return retry.backoff(attempts, BASE_BACKOFF, MAX_BACKOFF)


async def enqueue(
    session: AsyncSession,
    cipher: FieldCipher,
    *,
    to: str,
    mail: RenderedMail,
    sender_address: str,
    request_id: uuid.UUID | None = None,
    attachments: Sequence[Attachment] = (),
    thread: Sequence[str] = (),
) -> Outbox:
    """Queue ``mail`` for ``to`` (an already validated address) in the caller's transaction;
    ``attachments`` name archived artifacts, read when the message is built; ``thread``
    (Message-IDs, oldest first) makes it an answer in the person's mail thread."""
    domain = sender_address.rpartition("@")[2] or "dsr.invalid"
    row = Outbox(
        request_id=request_id,
        recipient_enc=cipher.encrypt("outbox.recipient", to) or "",
        subject=mail.subject[:255],
        body_enc=cipher.encrypt_json("outbox.body", {"text": mail.text, "html": mail.html}) or "",
        message_id=f"<{uuid.uuid4()}@{domain}>",
        next_attempt_at=utcnow(),
        attachments=[
            {"artifact": str(a.artifact_id), "filename": a.filename, "pdf": "1" if a.as_pdf else ""}
            for a in attachments
        ],
        thread_enc=cipher.encrypt_json("outbox.thread", list(thread)) if thread else None,
    )
    session.add(row)
    await session.flush()
    wakeup.soon(session, wakeup.MAIL)
    return row


@dataclass(frozen=True, slots=True)
class Attachment:
    artifact_id: uuid.UUID
    filename: str  # ASCII, chosen by dsr (never typed by a requester)
    as_pdf: bool = False  # a letter's DOCX, converted to PDF/A when the mail is sent


def build_message(
    row: Outbox,
    cipher: FieldCipher,
    sender_address: str,
    files: Sequence[tuple[str, str, bytes]] = (),
) -> EmailMessage:
    """The MIME message of ``row`` with ``files`` (filename, media type, bytes) attached.
    Headers are set through ``EmailMessage``, which refuses CR/LF in header values, and the
    recipient is a bare address (never a display name)."""
    recipient = cipher.decrypt("outbox.recipient", row.recipient_enc) or ""
    body = cipher.decrypt_json("outbox.body", row.body_enc)
    message = EmailMessage()
    message["From"] = Address(addr_spec=sender_address)
    local, _, domain = transport_address(recipient).rpartition("@")
    message["To"] = Address(username=local, domain=domain)  # a non-ASCII local part parses
    message["Subject"] = row.subject.replace("\r", " ").replace("\n", " ")
    message["Message-ID"] = row.message_id
    message["Date"] = format_datetime(row.created_at)
    message["Auto-Submitted"] = "auto-generated"
    thread = cipher.decrypt_json("outbox.thread", row.thread_enc) if row.thread_enc else None
    if thread:  # Message-IDs as read from a mail: EmailMessage refuses CR/LF in them
        message["In-Reply-To"] = thread[-1]
        message["References"] = " ".join(thread)
    message.set_content(body["text"])
    message.add_alternative(body["html"], subtype="html")
    for filename, media_type, content in files:
        maintype, _, subtype = media_type.partition("/")
        message.add_attachment(content, maintype=maintype, subtype=subtype, filename=filename)
    return message


async def attached_files(
    session: AsyncSession, cipher: FieldCipher, row: Outbox
) -> list[tuple[str, str, bytes]]:
    """The files of ``row``. A letter marked ``pdf`` is converted here, by the sender and
    not in the web request that queued it (LibreOffice takes seconds); should the conversion
    fail, the person gets the archived DOCX rather than no letter."""
    files = []
    for item in row.attachments:
        artifact = await session.get(Artifact, uuid.UUID(item["artifact"]))
        if artifact is None:
            continue
        content = await artifacts.read_all(session, cipher, artifact)
        if item.get("pdf"):
            pdf = await to_pdf(content)
            if pdf is not None:
                files.append((item["filename"], PDF, pdf))
                continue
            log.warning("letter sent as DOCX: PDF conversion failed", outbox=str(row.id))
            filename = item["filename"].removesuffix(".pdf") + ".docx"
            files.append((filename, artifact.media_type, content))
            continue
        files.append((item["filename"], artifact.media_type, content))
    return files


@dataclass(frozen=True, slots=True)
class DeliveryReport:
    sent: int
    failed: int


async def deliver_due(
    database: Database,
    cipher: FieldCipher,
    smtp: SmtpConfig,
    sender_address: str,
    *,
    now: datetime | None = None,
    batch: int = 50,
    send: Sender = send_message,
    lease: timedelta = LEASE,
) -> DeliveryReport:
    """Send every message that is due; each claimed by a lease, recorded after sending."""
    now = now or utcnow()
    claimed = await _claim(database, now, batch, lease)
    sent = failed = 0
    for row_id in claimed:
        try:
            async with database.session_scope() as session:
                row = await session.get_one(Outbox, row_id)
                files = await attached_files(session, cipher, row)
                message = build_message(row, cipher, sender_address, files)
        except ValueError as exc:  # an address or header the e-mail format cannot carry
            failed += 1
            await _record_failure(database, row_id, type(exc).__name__, now, give_up=True)
            continue
        try:
            await send(smtp, message)
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            failed += 1
            # a server without SMTPUTF8 will not take a non-ASCII local part later either
            hopeless = (
                isinstance(exc, aiosmtplib.SMTPNotSupported) and not str(message["To"]).isascii()
            )
            await _record_failure(database, row_id, type(exc).__name__, now, give_up=hopeless)
            continue
        sent += 1
        async with database.session_scope() as session:
            await session.exec(
                update(Outbox)
                .where(col(Outbox.id) == row_id)
                .values(status="sent", sent_at=utcnow(), lease_until=None, last_error=None)
            )
    if sent or failed:
        log.info("outbox delivery", sent=sent, failed=failed)
    return DeliveryReport(sent=sent, failed=failed)


async def _claim(
    database: Database, now: datetime, batch: int, lease: timedelta
) -> list[uuid.UUID]:
    """Lease due rows: pending and due, or sending with an expired lease (a crashed sender).
    A message whose sender died on every attempt is failed, not sent again."""
    async with database.session_scope() as session:
        taken = await queue.claim(
            session,
            Outbox,
            ready="pending",
            busy="sending",
            now=now,
            lease=lease,
            batch=batch,
            max_attempts=MAX_ATTEMPTS,
        )
    for row_id in taken.lost:
        await _record_failure(database, row_id, "sender_lost", now, give_up=True)
    return taken.claimed


async def _record_failure(
    database: Database, row_id: uuid.UUID, error: str, now: datetime, give_up: bool = False
) -> None:
    """Retry later with backoff, or stop: after MAX_ATTEMPTS, or when retrying cannot help
    (the message cannot be built); failed rows count in dsr_mails{status="failed"} on /metrics."""
    async with database.session_scope() as session:
        row = await session.get_one(Outbox, row_id)
        give_up = give_up or row.attempts >= MAX_ATTEMPTS
        await session.exec(
            update(Outbox)
            .where(col(Outbox.id) == row_id)
            .values(
                status="failed" if give_up else "pending",
                next_attempt_at=None if give_up else now + backoff(row.attempts),
                lease_until=None,
                last_error=error,
            )
        )
    log.warning("outbox delivery failed", error_type=error, gave_up=give_up)
