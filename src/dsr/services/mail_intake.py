"""Filing one message from the watched mailbox, in the caller's transaction.

The message is recorded under its (folder, UIDVALIDITY, UID) and archived encrypted as the
original ``.eml``; then it is ignored (auto-reply, bounce, spam: never answered), linked to
the request it follows (a reply to our mail, a reminder: the DPO is told; a reply with the
confirmation code confirms), filed as one request per right it asks for (received on the
day it reached the mailbox; a code goes back to the sender, in the thread), or put on the
DPO's triage list with a reason code. Taking a message that is recorded already does
nothing, so a poller that dies before moving it files nothing twice.
"""

from __future__ import annotations

import io
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from jinja2 import Environment
from pydantic import ValidationError
from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from dsr import artifacts
from dsr.config import DsrConfig
from dsr.domain.errors import InvalidInput
from dsr.domain.mail_requests import Recognition, recognise
from dsr.domain.vocabulary import Channel, Language, RequestKind, RequestStatus
from dsr.letters.office import LetterOffice
from dsr.models import Artifact, MailLink, MailMessage, Outbox, Request, Subject
from dsr.notify.inbound import InboundMail, message_id_digest, read
from dsr.schemas import ChangeIn, RequestIn, SubjectIn
from dsr.security.audit import append_event
from dsr.security.passwords import token_digest
from dsr.security.vault import Vault
from dsr.services.requests import RequestService
from dsr.services.verification import CodeCheck, EmailVerification
from dsr.settings import Settings
from dsr.workflows import engine
from dsr.workflows.engine import SYSTEM

SENDER = "mail.sender"
SUBJECT = "mail.subject"
MESSAGE_ID = "mail.message_id"
OPEN = [status.value for status in RequestStatus if status.is_open]


@dataclass(frozen=True, slots=True)
class Arrival:
    """A message as the mailbox gives it: where it is, when it arrived, its bytes."""

    folder: str
    uidvalidity: int
    uid: int
    received_at: datetime
    raw: bytes | None  # None: larger than the limit, not fetched
    size: int


@dataclass(slots=True)
class MailIntake:
    session: AsyncSession
    vault: Vault
    requests: RequestService
    verification: EmailVerification

    @classmethod
    def for_settings(
        cls,
        session: AsyncSession,
        settings: Settings,
        config: DsrConfig,
        vault: Vault,
        mail: Environment,
    ) -> MailIntake:
        """The intake as the workers and the DPO's triage page build it."""
        base_url = settings.base_url.rstrip("/")
        requests = RequestService(
            session,
            vault,
            settings.region,
            settings.timezone,
            base_url=base_url,
            identifier_types=config.identifiers,
        )
        verification = EmailVerification(
            session=session,
            vault=vault,
            secret_key=settings.secret_key,
            mail=mail,
            controller=config.controller,
            base_url=base_url,
            sender_address=settings.mail_from,
            letters=LetterOffice.for_settings(session, settings, config, vault, mail),
            pause_for_identity=config.policies.pause_for_identity,
            region=settings.region,
            timezone=settings.timezone,
        )
        return cls(session, vault, requests, verification)

    async def recorded(self, arrival: Arrival) -> MailMessage | None:
        return (
            await self.session.exec(
                select(MailMessage).where(
                    MailMessage.folder == arrival.folder,
                    MailMessage.uidvalidity == arrival.uidvalidity,
                    MailMessage.uid == arrival.uid,
                )
            )
        ).first()

    async def take(self, arrival: Arrival) -> MailMessage:
        """Record, archive and decide ``arrival``; the existing row when it was taken before."""
        existing = await self.recorded(arrival)
        if existing is not None:
            return existing
        row = MailMessage(
            folder=arrival.folder,
            uidvalidity=arrival.uidvalidity,
            uid=arrival.uid,
            received_at=arrival.received_at,
            outcome="triage",
        )
        if arrival.raw is None:
            row.reason = "too_large"
            return await self._record(row, [])
        mail = read(arrival.raw)
        if mail.message_id and (same := await self._seen(mail.message_id, arrival)):
            return same  # the folder's UIDs were renumbered (a new UIDVALIDITY): no refiling
        row.artifact_id = (
            await artifacts.save_file(
                self.session,
                self.vault.cipher,
                io.BytesIO(arrival.raw),
                request_id=None,
                kind="mail",
                media_type="message/rfc822",
                filename=f"mail-{arrival.uidvalidity}-{arrival.uid}.eml",
            )
        ).id
        cipher = self.vault.cipher
        row.sender_enc = cipher.encrypt(SENDER, mail.sender)
        row.subject_enc = cipher.encrypt(SUBJECT, mail.subject)
        row.attachments = mail.attachments
        if mail.message_id:
            row.message_id_digest = message_id_digest(mail.message_id)
            row.message_id_enc = cipher.encrypt(MESSAGE_ID, mail.message_id)
        if mail.sender and mail.sender == self.verification.sender_address.casefold():
            mail = replace(mail, ignore="own_mail")  # our own message came back: no loop
        if mail.ignore:
            row.outcome, row.reason = "ignored", mail.ignore
            return await self._record(row, [])
        recognition = recognise(mail.subject, mail.text)
        row.language = recognition.language
        row.kinds = [kind.value for kind in recognition.kinds]
        if mail.sender is None:
            row.reason = mail.doubt or "sender_invalid"
            return await self._record(row, [])
        earlier = await self._earlier(mail, recognition)
        if earlier:
            return await self._link(row, mail, recognition, *earlier)
        if mail.doubt or not recognition.confident:
            row.reason = mail.doubt or recognition.doubt
            return await self._record(row, [])
        filed = await self.file(row, mail.sender, mail.display_name, mail.text, recognition)
        if not filed:
            row.reason = "invalid_claims"
        return await self._record(row, filed)

    async def _seen(self, message_id: str, arrival: Arrival) -> MailMessage | None:
        """A message of the same folder with this Message-ID and arrival time, taken before."""
        return (
            await self.session.exec(
                select(MailMessage).where(
                    MailMessage.folder == arrival.folder,
                    MailMessage.message_id_digest == message_id_digest(message_id),
                    MailMessage.received_at == arrival.received_at,
                )
            )
        ).first()

    async def file(
        self,
        row: MailMessage,
        sender: str,
        display_name: str | None,
        text: str,
        recognition: Recognition,
        kinds: Sequence[RequestKind] | None = None,
    ) -> list[tuple[Request, str]]:
        """One request per kind, each received when the mail arrived, each with a code to
        the sender; [] when what the person claims cannot be stored even without claims."""
        claims = recognition.claims
        language = Language.DE if recognition.language == "de" else Language.EN
        filed: list[tuple[Request, str]] = []
        self.session.add(row)
        await self.session.flush()
        for kind in kinds or recognition.kinds:
            subjects: tuple[dict[str, str | None], ...] = (
                {
                    "name": claims.name or display_name or sender,
                    "email": sender,
                    "phone": claims.phone,
                    "customer_number": claims.customer_number,
                    "postal_address": claims.postal_address,
                },
                {"name": display_name or sender, "email": sender},  # the claims did not hold
            )
            for subject in subjects:
                request = await self._open(row, kind, language, subject, text)
                if request is not None:
                    filed.append((request, "filed"))
                    break
            else:
                return []
        row.outcome, row.reason = "filed", None
        return filed

    async def _open(
        self,
        row: MailMessage,
        kind: RequestKind,
        language: Language,
        subject: dict[str, str | None],
        text: str,
    ) -> Request | None:
        try:
            data = RequestIn(
                kind=kind,
                channel=Channel.EMAIL,
                language=language,
                subject=SubjectIn.model_validate(subject),
                details=text[:5000] or None,
                changes=[ChangeIn(field="other", value=text[:500] or "-")]
                if kind is RequestKind.RECTIFICATION
                else [],
                received_at=row.received_at,
            )
            request, _ = await self.requests.open(data, SYSTEM)
        except (ValidationError, InvalidInput):
            return None
        token = secrets.token_urlsafe(32)
        await self.session.exec(
            update(Request)
            .where(col(Request.id) == request.id)
            .values(status_token_digest=token_digest(token))
        )
        await self.session.refresh(request)
        self.session.add(MailLink(mail_id=row.id, request_id=request.id, role="filed"))
        await self.session.flush()  # the code's mail finds its thread through this link
        await self.verification.start(request, token)
        return request

    async def _earlier(
        self, mail: InboundMail, recognition: Recognition
    ) -> tuple[list[Request], str] | None:
        """The open requests this mail follows, and how: ``reply`` (in the thread of our
        mail or of the mail that made them), ``reminder`` (names their reference, or the
        same sender writes again about the same right or reads as a reminder)."""
        if mail.thread:
            ours = select(Outbox.request_id).where(col(Outbox.message_id).in_(mail.thread))
            theirs = select(MailLink.request_id).where(
                col(MailLink.mail_id).in_(
                    select(MailMessage.id).where(
                        col(MailMessage.message_id_digest).in_(
                            [message_id_digest(m) for m in mail.thread]
                        )
                    )
                )
            )
            found = await self._open_requests(
                col(Request.id).in_(ours) | col(Request.id).in_(theirs)
            )
            if found:
                return found, "reply"
        if recognition.references:
            found = await self._open_requests(col(Request.reference).in_(recognition.references))
            if found:
                return found, "reminder"
        assert mail.sender is not None
        same_sender = await self._open_requests(
            col(Request.subject_id).in_(
                select(Subject.id).where(
                    Subject.email_bidx == self.vault.index("email", mail.sender)
                )
            )
        )
        asked = {kind.value for kind in recognition.kinds}
        if same_sender and (
            recognition.reminder or (asked and asked <= {r.kind for r in same_sender})
        ):
            return same_sender, "reminder"
        return None

    async def _open_requests(self, where: object) -> list[Request]:
        rows = await self.session.exec(
            select(Request)
            .where(where, col(Request.status).in_(OPEN))  # type: ignore[arg-type]
            .order_by(col(Request.received_at))
            .limit(20)
        )
        return list(rows.all())

    async def _link(
        self,
        row: MailMessage,
        mail: InboundMail,
        recognition: Recognition,
        requests: list[Request],
        role: str,
    ) -> MailMessage:
        """Attach the mail to ``requests``; a code in a reply from the request's own address
        confirms it, anything else puts the request in front of the DPO."""
        row.outcome = "linked"
        confirmed: set[uuid.UUID] = set()
        if role == "reply" and recognition.codes:
            for request in requests:
                if await self._confirms(request, mail, recognition.codes[0]):
                    confirmed.add(request.id)
        for request in requests:
            if request.id not in confirmed:
                await engine.flag_attention(
                    self.session,
                    request,
                    SYSTEM,
                    "mail_reminder" if role == "reminder" else "mail_reply",
                )
        return await self._record(row, [(request, role) for request in requests])

    async def _confirms(self, request: Request, mail: InboundMail, code: str) -> bool:
        if request.status != RequestStatus.AWAITING_VERIFICATION.value or mail.sender is None:
            return False
        subject = await self.session.get_one(Subject, request.subject_id)
        if subject.email_bidx != self.vault.index("email", mail.sender):
            return False  # a code counts only from the address it was sent to
        return await self.verification.check_code(request, code) is CodeCheck.OK

    async def _record(self, row: MailMessage, links: Sequence[tuple[Request, str]]) -> MailMessage:
        self.session.add(row)
        await self.session.flush()
        await self.record_links(row, links)
        await append_event(
            self.session,
            actor=SYSTEM.label,
            action=f"mail.{row.outcome}",
            request_id=links[0][0].id if links else None,
            payload={
                "mail": str(row.id),
                "reason": row.reason,
                "kinds": row.kinds,
                "requests": [request.reference for request, _ in links],
            },
        )
        await self.session.flush()
        return row

    async def record_links(self, row: MailMessage, links: Sequence[tuple[Request, str]]) -> None:
        """Links of ``row`` to the requests it was attached to (filed ones are linked as
        they are made); the archived original belongs to the first request from now on."""
        for request, role in links:
            if role != "filed":
                self.session.add(MailLink(mail_id=row.id, request_id=request.id, role=role))
        if row.artifact_id is not None and links:
            await self.session.exec(
                update(Artifact)
                .where(col(Artifact.id) == row.artifact_id)
                .values(request_id=links[0][0].id)
            )
