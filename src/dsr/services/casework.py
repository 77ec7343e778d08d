"""Working a request at the desk: who works it, internal notes (encrypted, staff only) and
attachments (a scan, an ``.eml``; encrypted artifacts). Every change and every view of a
note's text or an attachment's content is an audit event, without the content."""

from __future__ import annotations

import io
import re
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from dsr import artifacts
from dsr.domain.errors import InvalidInput, NotFound
from dsr.domain.identity import clean_text
from dsr.domain.vocabulary import Role
from dsr.models import Artifact, Note, Request, Staff, Task
from dsr.models.desk import NOTE_TEXT
from dsr.security.audit import append_event
from dsr.security.vault import Vault
from dsr.workflows.engine import Actor

ATTACHMENT = "attachment"  # the artifact kind
ATTACHMENT_MAX = 10 * 1024 * 1024
NOTE_MAX = 4000
EML = "message/rfc822"
SIGNATURES = {
    "application/pdf": (b"%PDF-",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/tiff": (b"II*\x00", b"MM\x00*"),
}
EXTENSIONS = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png",
              "image/tiff": "tif", EML: "eml"}  # fmt: skip
_HEADER = re.compile(rb"^[A-Za-z][A-Za-z0-9-]{0,76}:[ \t]")


@dataclass(frozen=True, slots=True)
class Upload:
    """A file as the browser or the API sent it; its name is never stored (it may name
    the person), its type is judged from its first bytes."""

    content: bytes
    declared_type: str = ""
    filename: str = ""


@dataclass(frozen=True, slots=True)
class AttachmentRow:
    id: uuid.UUID
    media_type: str
    size: int
    created_at: datetime
    name: str  # "DSR-2026-000042-1.pdf"


@dataclass(frozen=True, slots=True)
class NoteRow:
    id: uuid.UUID
    author: str
    created_at: datetime
    text: str


def media_type_of(upload: Upload) -> str:
    """A scan (PDF, JPEG, PNG, TIFF) by its signature, or an e-mail file (.eml) by its
    header lines; anything else is refused."""
    head = upload.content[:16]
    for media_type, signatures in SIGNATURES.items():
        if head.startswith(signatures):
            return media_type
    is_eml = upload.declared_type == EML or upload.filename.lower().endswith(".eml")
    if (
        is_eml
        and _HEADER.match(upload.content[:80])
        and b"\n\n" in upload.content.replace(b"\r\n", b"\n")
    ):
        return EML
    raise InvalidInput({"attachment": "unsupported_media_type"})


@dataclass(slots=True)
class Casework:
    session: AsyncSession
    vault: Vault

    def check_upload(self, upload: Upload) -> str:
        if not upload.content:
            raise InvalidInput({"attachment": "required"})
        if len(upload.content) > ATTACHMENT_MAX:
            raise InvalidInput({"attachment": "too_large"})
        return media_type_of(upload)

    async def attach(
        self, request: Request, actor: Actor, upload: Upload, *, source: str = "desk"
    ) -> Artifact:
        media_type = self.check_upload(upload)
        artifact = await artifacts.save_file(
            self.session,
            self.vault.cipher,
            io.BytesIO(upload.content),
            request_id=request.id,
            kind=ATTACHMENT,
            media_type=media_type,
        )
        await append_event(
            self.session,
            actor=actor.label,
            action="attachment.added",
            request_id=request.id,
            payload={
                "artifact": str(artifact.id),
                "media_type": media_type,
                "size": artifact.size,
                "source": source,
            },
        )
        return artifact

    async def attachments(self, request: Request) -> list[AttachmentRow]:
        rows = (
            await self.session.exec(
                select(Artifact)
                .where(Artifact.request_id == request.id, Artifact.kind == ATTACHMENT)
                .order_by(col(Artifact.created_at))
            )
        ).all()
        return [
            AttachmentRow(
                a.id,
                a.media_type,
                a.size,
                a.created_at,
                f"{request.reference}-{number}.{EXTENSIONS.get(a.media_type, 'bin')}",
            )
            for number, a in enumerate(rows, start=1)
        ]

    async def open_attachment(
        self, artifact_id: uuid.UUID, actor: Actor
    ) -> tuple[Artifact, Request, str]:
        """An attachment for download, audited; its request and file name."""
        artifact = await self.session.get(Artifact, artifact_id)
        if artifact is None or artifact.kind != ATTACHMENT or artifact.request_id is None:
            raise NotFound("no such attachment")
        request = await self.session.get_one(Request, artifact.request_id)
        name = next(a.name for a in await self.attachments(request) if a.id == artifact.id)
        await append_event(
            self.session,
            actor=actor.label,
            action="attachment.viewed",
            request_id=request.id,
            payload={"artifact": str(artifact.id)},
        )
        return artifact, request, name

    async def assign(self, request: Request, actor: Actor, username: str | None) -> None:
        """Give the request to a member of the desk (or to nobody); audited."""
        staff_id = None
        if username:
            found = (
                await self.session.exec(select(Staff).where(Staff.username == username[:64]))
            ).first()
            if found is None or not found.active or found.role == Role.ADMIN.value:
                raise InvalidInput({"assignee": "invalid_username"})
            staff_id = found.id
        if request.assigned_to == staff_id:
            return
        await self.session.exec(
            update(Request).where(col(Request.id) == request.id).values(assigned_to=staff_id)
        )
        set_committed_value(request, "assigned_to", staff_id)
        await append_event(
            self.session,
            actor=actor.label,
            action="request.assigned",
            request_id=request.id,
            payload={"to": f"staff:{staff_id}" if staff_id else None},
        )

    async def add_note(self, request: Request, actor: Actor, text: str) -> Note:
        try:
            cleaned = clean_text(text, multiline=True)
        except ValueError as exc:
            raise InvalidInput({"note": "invalid_text"}) from exc
        if not cleaned:
            raise InvalidInput({"note": "required"})
        if len(cleaned) > NOTE_MAX:
            raise InvalidInput({"note": "too_long"})
        assert actor.staff_id is not None
        note = Note(
            request_id=request.id,
            author=actor.staff_id,
            text_enc=self.vault.cipher.encrypt(NOTE_TEXT, cleaned) or "",
        )
        self.session.add(note)
        await self.session.flush()
        await append_event(
            self.session,
            actor=actor.label,
            action="note.added",
            request_id=request.id,
            payload={"note": str(note.id)},
        )
        return note

    async def notes(self, request: Request, actor: Actor) -> list[NoteRow]:
        """The request's notes in clear, for the DPO's page; the view is audited."""
        rows = (
            await self.session.exec(
                select(Note, Staff.username)
                .join(Staff, col(Staff.id) == col(Note.author))
                .where(Note.request_id == request.id)
                .order_by(col(Note.created_at))
            )
        ).all()
        if not rows:
            return []
        await append_event(
            self.session,
            actor=actor.label,
            action="notes.viewed",
            request_id=request.id,
            payload={"count": len(rows)},
        )
        return [
            NoteRow(
                note.id,
                username,
                note.created_at,
                self.vault.cipher.decrypt(NOTE_TEXT, note.text_enc) or "",
            )
            for note, username in rows
        ]

    async def task_notes(self, request: Request, actor: Actor) -> dict[str, NoteRow]:
        """The notes people closed the request's tasks with (a paper archive: what was
        searched), by task id, in clear for the DPO's page; the view is audited."""
        rows = (
            await self.session.exec(
                select(Task).where(Task.request_id == request.id, col(Task.note_enc).is_not(None))
            )
        ).all()
        if not rows:
            return {}
        await append_event(
            self.session,
            actor=actor.label,
            action="notes.viewed",
            request_id=request.id,
            payload={"count": len(rows), "of": "tasks"},
        )
        return {
            str(task.id): NoteRow(
                task.id,
                "",
                task.finished_at or task.created_at,
                self.vault.cipher.decrypt("task.note", task.note_enc) or "",
            )
            for task in rows
        }


async def staff_names(session: AsyncSession) -> dict[str, str]:
    """Actor labels (``staff:<id>``) to usernames, for a timeline that names who acted."""
    rows = (await session.exec(select(Staff.id, Staff.username))).all()
    return {f"staff:{staff_id}": username for staff_id, username in rows}


async def desk_members(session: AsyncSession) -> list[str]:
    """Who a request can be given to: active agents and DPOs."""
    rows = await session.exec(
        select(Staff.username)
        .where(col(Staff.active).is_(True), col(Staff.role).in_([Role.AGENT, Role.DPO]))
        .order_by(col(Staff.username))
    )
    return list(rows.all())
