"""Issuing letters: render the kind's template with the request's facts, archive the document
(encrypted, with its sha256 and the facts, so it can be re-rendered after a template change),
note it on the request's timeline, and send it the way its content allows.
"""

from __future__ import annotations

import hashlib
import io
import secrets
import uuid
import zipfile
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from jinja2 import Environment
from sqlalchemy import func, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from dsr import artifacts
from dsr.config import DsrConfig
from dsr.domain.deadlines import receipt_date
from dsr.domain.errors import ConfigError, NotFound
from dsr.domain.refusals import Ground
from dsr.domain.vocabulary import Language, Outcome
from dsr.i18n import N_, gettext
from dsr.letters.catalog import (
    DELIVERY,
    FILE_STEMS,
    TITLES,
    Delivery,
    LetterKind,
    letters_dir,
)
from dsr.letters.facts import Writer
from dsr.letters.render import (
    DOCX,
    PDF,
    PdfUnavailable,
    Properties,
    render_docx,
    soffice,
    to_pdf,
)
from dsr.letters.withheld import lines_for
from dsr.models import Artifact, Download, Letter, Request, Subject, Task
from dsr.models.base import utcnow
from dsr.models.request import EXTENSION_REASON
from dsr.notify.outbox import Attachment
from dsr.notify.requester import RequesterMail
from dsr.rendering import long_date
from dsr.security.audit import append_event
from dsr.security.passwords import token_digest
from dsr.security.vault import Vault
from dsr.services.downloads import code_hash
from dsr.settings import Settings
from dsr.workflows import plan
from dsr.workflows.engine import Actor, flag_attention

DOWNLOAD_DAYS = 14
LANGUAGE_TAGS = {Language.DE: "de-DE", Language.EN: "en-GB"}
LETTER = "letter"
PACKAGE = "package"


@dataclass(slots=True)
class LetterOffice:
    session: AsyncSession
    config: DsrConfig
    vault: Vault
    mail: Environment
    base_url: str
    sender_address: str
    secret_key: str
    letters_dir: Path
    timezone: str = "Europe/Berlin"

    @classmethod
    def for_settings(
        cls,
        session: AsyncSession,
        settings: Settings,
        config: DsrConfig,
        vault: Vault,
        mail: Environment,
    ) -> LetterOffice:
        """The office as the web app and the workers build it from ``DSR_*`` settings."""
        return cls(
            session=session,
            config=config,
            vault=vault,
            mail=mail,
            base_url=settings.base_url.rstrip("/"),
            sender_address=settings.mail_from,
            secret_key=settings.secret_key,
            letters_dir=letters_dir(settings.letters_dir),
            timezone=settings.timezone,
        )

    def writer(self, request: Request) -> Writer:
        return Writer(self.config, Language(request.language).letters)

    def today(self) -> date:
        return receipt_date(utcnow(), self.timezone)

    # -- the moments a letter is due ------------------------------------------------------

    async def acknowledge(self, request: Request, *, marketing: bool = False) -> Letter:
        """After verification: receipt, the right, the answer date, what happens next
        (``marketing``: an objection to direct marketing, stopped at once)."""
        facts = self.writer(request).acknowledgement(request, marketing=marketing)
        letter = await self.issue(request, LetterKind.ACKNOWLEDGEMENT, facts)
        await self.deliver(request, letter)
        return letter

    async def ask_identity(
        self, request: Request, doubt: str, *, code: str = "", on_file: bool = False
    ) -> Letter:
        """Art. 12(6): archived for the post to the address on file, never e-mailed to an
        address a caller gave us."""
        facts = self.writer(request).identity_request(
            doubt, request.reference, code, on_file=on_file
        )
        return await self.issue(request, LetterKind.IDENTITY_REQUEST, facts)

    async def extension(self, request: Request) -> Letter:
        """Art. 12(3): the new date and the reasons, attached to the e-mail that says so."""
        language = Language(request.language)
        reason = self.vault.cipher.decrypt(EXTENSION_REASON, request.extension_reason_enc) or ""
        letter = await self.issue(
            request, LetterKind.EXTENSION, self.writer(request).extension(request, reason)
        )
        await self.send_attached(
            request,
            letter,
            "extended",
            N_("Your request %(reference)s: we need more time"),
            due_on=long_date(request.due_on, language),
            extended_due_on=long_date(request.effective_due_on, language),
            reason=reason,
        )
        return letter

    async def refusal(self, request: Request, ground: Ground, reason: str, fee: str = "") -> Letter:
        """Art. 12(4)/(5), 17(3), 21(1) s. 2, 15(4), §§ 29, 34, 35 BDSG or Art. 11(2): the
        ground's wording, the DPO's reasons, complaint and court."""
        writer = self.writer(request)
        language = Language(request.language).letters.value  # the grounds' wording: de, en
        kind = LetterKind.UNVERIFIABLE if ground.identity else LetterKind.REFUSAL
        facts = (
            writer.unverifiable(reason) if ground.identity else writer.refusal(ground, reason, fee)
        )
        letter = await self.issue(request, kind, facts)
        await self.send_attached(
            request,
            letter,
            "refused",
            N_("Your request %(reference)s: our decision"),
            ground_text=ground.text[language],
            reason=reason,
        )
        return letter

    async def package_of(self, request: Request) -> Artifact | None:
        """The newest access package built for ``request``, if any."""
        return (
            await self.session.exec(
                select(Artifact)
                .where(Artifact.request_id == request.id, Artifact.kind == PACKAGE)
                .order_by(col(Artifact.created_at).desc())
            )
        ).first()

    async def answer(self, request: Request) -> Letter | None:
        """The result, when it goes out (released by the DPO, or automatically): the letter
        that the request's recorded ``outcome`` calls for."""
        tasks = list(
            (await self.session.exec(select(Task).where(Task.request_id == request.id))).all()
        )
        writer = self.writer(request)
        outcome = Outcome(request.outcome) if request.outcome else Outcome.NO_DATA
        package = await self.package_of(request)
        today = self.today()
        if outcome is Outcome.NO_DATA or (outcome is Outcome.PROVIDED and package is None):
            subject = await self.session.get_one(Subject, request.subject_id)
            searched = sorted({t.store for t in tasks})
            facts = writer.negative(searched, self.vault.open_subject(subject))
            letter = await self.issue(request, LetterKind.NEGATIVE, facts)
            await self._for_the_post(request, await self.deliver(request, letter))
            return letter
        if outcome is Outcome.PROVIDED and package is not None:
            expires = utcnow() + timedelta(days=DOWNLOAD_DAYS)
            facts = writer.access(tasks, expires.date())
            facts["redactions"] = await lines_for(
                self.session, self.vault.cipher, self.config, request.id, writer.language
            )
            letter = await self.issue(request, LetterKind.ACCESS, facts)
            await self.add_to_package(package, letter)
            await self.session.refresh(package)
            sent = await self.offer_download(request, package, keep=False)
            if sent:
                await self._mark_sent(letter, "package")
            await self._for_the_post(request, sent)
            return letter
        if outcome in (Outcome.ERASED, Outcome.PARTIALLY_ERASED):
            facts = writer.erasure(tasks, today)
            partial = facts["held"] or facts["kept"]
            chosen = LetterKind.PARTIAL_ERASURE if partial else LetterKind.ERASURE
            letter = await self.issue(request, chosen, facts)
        elif outcome is Outcome.RECTIFIED:
            changes = (
                self.vault.cipher.decrypt_json("request.changes", request.changes_enc)
                if request.changes_enc
                else []
            )
            facts = writer.rectification(changes, tasks, today)
            letter = await self.issue(request, LetterKind.RECTIFICATION, facts)
        elif outcome is Outcome.RESTRICTED:
            facts = writer.restriction(tasks, today, self._resolution_note(tasks))
            letter = await self.issue(request, LetterKind.RESTRICTION, facts)
        elif outcome is Outcome.OBJECTION_UPHELD:
            facts = writer.objection(today, self._resolution_note(tasks))
            letter = await self.issue(request, LetterKind.OBJECTION, facts)
        else:
            return None
        await self._for_the_post(request, await self.deliver(request, letter))
        return letter

    async def _for_the_post(self, request: Request, sent: bool) -> None:
        """An answer that could not go by e-mail (a request by post) waits for the DPO to
        send it by post (the letter's page records that): the request needs attention."""
        if not sent:
            await flag_attention(self.session, request, Actor("system"), "answer_by_post")

    def _resolution_note(self, tasks: list[Task]) -> str:
        """What the DPO noted when resolving the desk task (restriction, objection): the
        scope of what was restricted or stopped, in their words."""
        notes = [
            self.vault.cipher.decrypt("task.note", task.note_enc) or ""
            for task in tasks
            if task.action == plan.MANUAL and task.note_enc
        ]
        return "; ".join(note for note in notes if note)

    async def announce_lift(
        self, request: Request, scope: str, lift_on: date, reason: str
    ) -> Letter:
        """Art. 18(3): tell the person before a restriction is lifted."""
        facts = self.writer(request).restriction_lift(scope, lift_on, reason)
        letter = await self.issue(request, LetterKind.RESTRICTION_LIFT, facts)
        await self.deliver(request, letter)
        return letter

    # -- the DPO's view -------------------------------------------------------------------

    async def find(self, letter_id: uuid.UUID) -> Letter:
        letter = await self.session.get(Letter, letter_id)
        if letter is None:
            raise NotFound("no such letter")
        return letter

    async def document(self, letter: Letter, pdf: bool = False) -> tuple[bytes, str, str]:
        """The letter's bytes, media type and file name: the archived DOCX, or a PDF of it."""
        artifact = await self.session.get_one(Artifact, letter.artifact_id)
        content = await artifacts.read_all(self.session, self.vault.cipher, artifact)
        filename = artifact.filename or "letter.docx"
        if not pdf:
            return content, artifact.media_type, filename
        if soffice() is None:
            raise PdfUnavailable("LibreOffice missing or failed")
        converted = await to_pdf(content)
        if converted is None:
            raise PdfUnavailable("LibreOffice missing or failed")
        return converted, PDF, filename.removesuffix(".docx") + ".pdf"

    async def mark_posted(self, letter: Letter) -> None:
        """The DPO's office printed the letter and put it in the post."""
        await self._mark_sent(letter, "post")

    # -- rendering, archiving, sending ----------------------------------------------------

    async def issue(self, request: Request, kind: LetterKind, facts: dict[str, Any]) -> Letter:
        """Render and archive letter ``kind`` for ``request`` (not yet sent)."""
        subject = await self.session.get_one(Subject, request.subject_id)
        identity = self.vault.open_subject(subject)
        common = self.writer(request).common(
            request, identity, receipt_date(request.received_at, self.timezone), self.today()
        )
        return await self._archive(request, kind, {**common, **facts})

    async def rerender(self, letter: Letter) -> Letter:
        """A new version of ``letter`` from today's template, same facts, today's date."""
        request = await self.session.get_one(Request, letter.request_id)
        if letter.context_enc is None:
            raise ConfigError("this letter was archived without its facts")
        context = self.vault.cipher.decrypt_json("letter.context", letter.context_enc)
        context["letter_date"] = long_date(self.today(), Language(letter.language))
        return await self._archive(request, LetterKind(letter.kind), context)

    async def deliver(self, request: Request, letter: Letter) -> bool:
        """Send ``letter`` the way its kind allows: attached to a short e-mail, or behind a
        one-time link; False when it went neither way (no e-mail address: it waits for the
        post)."""
        delivery = DELIVERY[LetterKind(letter.kind)]
        if delivery is Delivery.ATTACHMENT:
            return await self.send_attached(
                request,
                letter,
                "letter",
                N_("Your request %(reference)s: our letter"),
                title=gettext(Language(request.language), TITLES[LetterKind(letter.kind)]),
            )
        elif delivery is Delivery.DOWNLOAD:
            artifact = await self._customer_copy(request, letter)
            if await self.offer_download(request, artifact, keep=True):
                await self._mark_sent(letter, "download")
                return True
        return False

    async def _customer_copy(self, request: Request, letter: Letter) -> Artifact:
        """What the person downloads: a PDF/A of the letter where LibreOffice is installed
        (archived beside the DOCX, which stays the DPO's record), else the DOCX itself. These
        letters go out on release, by the DPO or the worker, never in a public request."""
        document = await self.session.get_one(Artifact, letter.artifact_id)
        if soffice() is None:
            return document
        converted = await to_pdf(
            await artifacts.read_all(self.session, self.vault.cipher, document)
        )
        if converted is None:
            return document
        return await artifacts.save_file(
            self.session,
            self.vault.cipher,
            io.BytesIO(converted),
            request_id=request.id,
            kind=LETTER,
            media_type=PDF,
            filename=(document.filename or "letter.docx").removesuffix(".docx") + ".pdf",
        )

    async def send_attached(
        self, request: Request, letter: Letter, template: str, subject: str, **context: Any
    ) -> bool:
        """Queue ``mail/<template>`` with ``letter`` attached; False without an address."""
        artifact = await self.session.get_one(Artifact, letter.artifact_id)
        filename = artifact.filename or "letter.docx"
        # Customers get PDF/A where LibreOffice is installed (converted when the mail is sent);
        # the archived DOCX stays for the DPO. Without LibreOffice they get the DOCX.
        as_pdf = soffice() is not None
        if as_pdf:
            filename = filename.removesuffix(".docx") + ".pdf"
        sent = await self._mailer().send(
            self.session,
            request,
            template,
            subject,
            attachments=[Attachment(artifact.id, filename, as_pdf=as_pdf)],
            **context,
        )
        if sent:
            await self._mark_sent(letter, "email")
        return sent

    async def add_to_package(self, package: Artifact, letter: Letter) -> None:
        """Put the access response into the package the DPO reviewed: its files stay
        byte-for-byte as they were, the letter is one more file in the zip."""
        cipher = self.vault.cipher
        request = await self.session.get_one(Request, package.request_id)
        document = await self._customer_copy(request, letter)
        content = await artifacts.read_all(self.session, cipher, document)
        with await artifacts.spooled(self.session, cipher, package) as combined:
            with zipfile.ZipFile(combined, "a", compression=zipfile.ZIP_DEFLATED) as archive:
                archive.writestr(document.filename or "letter.docx", content)
            await artifacts.replace_content(self.session, cipher, package, combined)

    async def offer_download(self, request: Request, artifact: Artifact, keep: bool) -> bool:
        """A one-time link and code for ``artifact`` by e-mail (the package, or a letter that
        says what we hold). ``keep``: the artifact outlives the link (letters are archived)."""
        token, code = secrets.token_urlsafe(32), f"{secrets.randbelow(1_000_000):06d}"
        expires = utcnow() + timedelta(days=DOWNLOAD_DAYS)
        download = Download(
            id=uuid.uuid4(),
            request_id=request.id,
            artifact_id=artifact.id,
            link_digest=token_digest(token),
            code_hash="",
            expires_at=expires,
        )
        download.code_hash = code_hash(self.secret_key, download.id, code)
        if not keep:
            await self.session.exec(
                update(Artifact).where(col(Artifact.id) == artifact.id).values(expires_at=expires)
            )
        self.session.add(download)
        is_letter = artifact.kind == LETTER
        sent = await self._mailer().send(
            self.session,
            request,
            "letter_download" if is_letter else "download",
            N_("Your request %(reference)s: our answer")
            if is_letter
            else N_("Your data for request %(reference)s"),
            download_url=f"{self.base_url}/download/{token}",
            code=code,
            expires_on=long_date(expires.date(), Language(request.language)),
        )
        if not sent:  # no e-mail address to send the link to: nothing was offered
            return False
        await append_event(
            self.session,
            actor="system",
            action="download.offered",
            request_id=request.id,
            payload={"artifact": str(artifact.id), "expires_at": expires.isoformat()},
        )
        return sent

    async def _archive(self, request: Request, kind: LetterKind, context: dict[str, Any]) -> Letter:
        language = Language(request.language).letters
        template = self.template(kind, language)
        properties = Properties(
            title=f"{gettext(language, TITLES[kind])} – {request.reference}",
            author=self.config.controller.name,
            language=LANGUAGE_TAGS[language],
            created=utcnow(),
            keywords=request.reference,
        )
        content = render_docx(template, context, properties)
        version = (
            await self.session.exec(
                select(func.coalesce(func.max(Letter.version), 0)).where(
                    Letter.request_id == request.id, Letter.kind == kind.value
                )
            )
        ).one() + 1
        stem = FILE_STEMS[kind][language.value]
        suffix = f"-v{version}" if version > 1 else ""
        artifact = await artifacts.save_file(
            self.session,
            self.vault.cipher,
            io.BytesIO(content),
            request_id=request.id,
            kind=LETTER,
            media_type=DOCX,
            filename=f"{request.reference}-{stem}{suffix}.docx",
        )
        letter = Letter(
            request_id=request.id,
            kind=kind.value,
            language=language.value,
            version=version,
            sha256=artifact.sha256,
            artifact_id=artifact.id,
            context_enc=self.vault.cipher.encrypt_json("letter.context", context),
            template_sha256=hashlib.sha256(template.read_bytes()).hexdigest(),
        )
        self.session.add(letter)
        await self.session.flush()
        await append_event(
            self.session,
            actor="system",
            action="letter.created",
            request_id=request.id,
            payload={
                "letter": str(letter.id),
                "kind": kind.value,
                "language": language.value,
                "version": version,
                "sha256": artifact.sha256,
            },
        )
        return letter

    def template(self, kind: LetterKind, language: Language) -> Path:
        path = self.letters_dir / language.value / f"{kind.value}.docx"
        if not path.is_file():
            raise ConfigError(f"letter template missing: {path} (see DSR_LETTERS_DIR)")
        return path

    async def _mark_sent(self, letter: Letter, channel: str) -> None:
        await self.session.exec(
            update(Letter)
            .where(col(Letter.id) == letter.id)
            .values(sent_at=utcnow(), channel=channel)
        )
        await append_event(
            self.session,
            actor="system",
            action="letter.sent",
            request_id=letter.request_id,
            payload={"letter": str(letter.id), "kind": letter.kind, "channel": channel},
        )

    def _mailer(self) -> RequesterMail:
        return RequesterMail(self.mail, self.vault, self.config.controller, self.sender_address)
