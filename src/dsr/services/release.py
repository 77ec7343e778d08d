"""Before an access package goes out: the DPO previews it as the person will get it (the
report and the letter's draft), withholds rows or columns with an Art. 15(4) reason, and on
release the package is built again without them.

Every preview is an audit event (a view of the person's data); so is every redaction, with
store, table, row number or column and the reason code — never the data or the note.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import delete
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from dsr import artifacts
from dsr.config import DsrConfig
from dsr.connectors.base import ExportFile
from dsr.domain.errors import InvalidInput, InvalidTransition, NotFound
from dsr.domain.identity import clean_text
from dsr.domain.redactions import MAX_NOTE, NOTE_REQUIRED, Cuts, Reason, Withheld
from dsr.domain.vocabulary import Language, RequestKind, RequestStatus
from dsr.letters.draft import access_draft
from dsr.letters.office import LetterOffice
from dsr.letters.withheld import NOTE, Stored, letter_lines, redactions_of
from dsr.models import Request, Task
from dsr.models.base import utcnow
from dsr.models.redaction import Redaction
from dsr.security.audit import append_event
from dsr.security.vault import Vault
from dsr.workflows import plan
from dsr.workflows.engine import Actor
from dsr.workflows.fanout import open_exports, package_info
from dsr.workflows.package import build_package
from dsr.workflows.report import Report, build_report, names

PREVIEW_ROWS = 500  # per table on the DPO's page; later rows are withheld by their number
PACKAGED = (RequestKind.ACCESS.value, RequestKind.PORTABILITY.value)


@dataclass(frozen=True, slots=True)
class Preview:
    report: Report  # each table's ``sample`` holds its first rows, withheld ones marked
    letter: list[str]  # the access letter's paragraphs, as it would be written now
    redactions: list[Stored]
    lines: list[str]  # what the letter says about them


@dataclass(slots=True)
class ReleaseDesk:
    session: AsyncSession
    config: DsrConfig
    vault: Vault
    letters: LetterOffice

    async def preview(self, request: Request, actor: Actor) -> Preview:
        """The package and the letter as they would go out now; audited as a view."""
        await self._package_of(request)
        stored = await redactions_of(self.session, self.vault.cipher, request.id)
        cuts = Cuts.of(s.withheld for s in stored)
        language = Language(request.language).letters
        exports = await self._exports(await self._tasks(request))
        try:
            report = build_report(exports, self.config, language, cuts)
            for store in report.stores:
                for table in store.tables:
                    table.sample = list(table.rows(withheld=True, limit=PREVIEW_ROWS))
        finally:
            for export in exports.values():
                export.close()
        lines = self._lines(stored, language)
        letter = await access_draft(self.letters, request, lines)
        await append_event(
            self.session,
            actor=actor.label,
            action="package.previewed",
            request_id=request.id,
            payload={"redactions": len(stored)},
        )
        return Preview(report, letter, stored, lines)

    async def withhold(self, request: Request, actor: Actor, form: Mapping[str, str]) -> None:
        """Record one redaction from the DPO's form: ``store``, ``table``, ``row`` (from 1)
        or ``column``, ``reason``, ``note``."""
        await self._package_of(request)
        reason = _reason(form.get("reason", ""))
        note = _note(form.get("note", ""))
        if reason in NOTE_REQUIRED and not note:
            raise InvalidInput({"note": "required"})
        store, table = form.get("store", ""), form.get("table", "")
        row, column = _row(form.get("row", "")), form.get("column", "").strip() or None
        if (row is None) == (column is None):
            raise InvalidInput({"row": "required"})
        exports = await self._exports(await self._tasks(request))
        try:
            export = exports.get(store)
            if export is None or table not in export.counts:
                raise InvalidInput({"table": "invalid_value"})
            if row is not None and not 1 <= row <= export.counts[table]:
                raise InvalidInput({"row": "invalid_value"})
            if column is not None and column not in _columns(export, table):
                raise InvalidInput({"column": "invalid_value"})
        finally:
            for opened in exports.values():
                opened.close()
        existing = await redactions_of(self.session, self.vault.cipher, request.id)
        if any(
            s.withheld.store == store
            and s.withheld.table == table
            and s.withheld.row == row
            and s.withheld.column == column
            for s in existing
        ):
            return  # withheld already: the first reason stays
        self.session.add(
            Redaction(
                request_id=request.id,
                store=store,
                table_key=table,
                row=row,
                column=column,
                reason=reason.value,
                note_enc=self.vault.cipher.encrypt(NOTE, note) if note else None,
                created_by=actor.label,
                created_at=utcnow(),
            )
        )
        await append_event(
            self.session,
            actor=actor.label,
            action="redaction.added",
            request_id=request.id,
            payload={
                "store": store,
                "table": table,
                "row": row,
                "column": column,
                "reason": reason.value,
                "note_given": bool(note),
            },
        )

    async def restore(self, request: Request, actor: Actor, redaction_id: str) -> None:
        """Take a redaction back before release."""
        await self._package_of(request)
        try:
            chosen = uuid.UUID(redaction_id)
        except ValueError as exc:
            raise InvalidInput({"redaction": "invalid_value"}) from exc
        found = await self.session.get(Redaction, chosen)
        if found is None or found.request_id != request.id:
            raise NotFound("no such redaction")
        await self.session.exec(delete(Redaction).where(col(Redaction.id) == chosen))
        await append_event(
            self.session,
            actor=actor.label,
            action="redaction.removed",
            request_id=request.id,
            payload={
                "store": found.store,
                "table": found.table_key,
                "row": found.row,
                "column": found.column,
                "reason": found.reason,
            },
        )

    async def apply(self, request: Request, actor: Actor) -> list[str]:
        """At release: the package built again without what was withheld (the reviewed
        package is replaced, so no copy with those data stays); returns the letter's
        sentences about it. Nothing withheld: the package stays as it was, and []."""
        if request.kind not in PACKAGED:
            return []
        stored = await redactions_of(self.session, self.vault.cipher, request.id)
        package = await self.letters.package_of(request)
        if not stored or package is None:
            return []
        cuts = Cuts.of(s.withheld for s in stored)
        tasks = await self._tasks(request)
        exports = await self._exports(tasks)
        try:
            with artifacts.spool() as rebuilt:
                info = package_info(request, self.config, utcnow(), tasks)
                build_package(info, exports, rebuilt, cuts)
                await artifacts.replace_content(self.session, self.vault.cipher, package, rebuilt)
        finally:
            for export in exports.values():
                export.close()
        await append_event(
            self.session,
            actor=actor.label,
            action="package.redacted",
            request_id=request.id,
            payload={
                "artifact": str(package.id),
                "rows": sum(1 for s in stored if s.withheld.row is not None),
                "columns": sum(1 for s in stored if s.withheld.column is not None),
                "size": package.size,
            },
        )
        return self._lines(stored, Language(request.language).letters)

    def _lines(self, stored: list[Stored], language: Language) -> list[str]:
        withheld = [s.withheld for s in stored]
        where, columns = names(self.config, withheld, language)
        return letter_lines(withheld, language, where, columns)

    async def _package_of(self, request: Request) -> None:
        """Redactions are made while the package waits for review, and only then."""
        if request.status != RequestStatus.AWAITING_REVIEW.value or request.kind not in PACKAGED:
            raise InvalidTransition("only a package that waits for review can be redacted")
        if await self.letters.package_of(request) is None:
            raise InvalidTransition("no package was built for this request")

    async def _tasks(self, request: Request) -> list[Task]:
        return list(
            (await self.session.exec(select(Task).where(Task.request_id == request.id))).all()
        )

    async def _exports(self, tasks: list[Task]) -> dict[str, ExportFile]:
        exporting = [t for t in tasks if t.action == plan.EXPORT]
        return await open_exports(self.session, self.vault, exporting)


def _reason(value: str) -> Reason:
    try:
        return Reason(value)
    except ValueError as exc:
        raise InvalidInput({"reason": "invalid_value"}) from exc


def _note(value: str) -> str:
    if len(value) > MAX_NOTE:
        raise InvalidInput({"note": "too_long"})
    try:
        return clean_text(value, multiline=False)
    except ValueError as exc:
        raise InvalidInput({"note": "invalid_text"}) from exc


def _row(value: str) -> int | None:
    value = value.strip()
    if not value:
        return None
    if not (value.isascii() and value.isdecimal()) or len(value) > 8:  # "²".isdigit()
        raise InvalidInput({"row": "invalid_value"})
    return int(value)


def _columns(export: ExportFile, table: str) -> set[str]:
    declared = set(export.categories.get(table, {}))
    return declared | {column for row in export.rows(table) for column in row}


__all__ = ["PREVIEW_ROWS", "Preview", "ReleaseDesk", "Withheld"]
