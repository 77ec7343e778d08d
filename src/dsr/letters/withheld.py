"""What the access letter says about withheld data (Art. 15(4)): per table, what was withheld
and why — only what the DPO recorded, nothing assumed."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from dsr.config import DsrConfig
from dsr.domain.redactions import Reason, Withheld
from dsr.domain.vocabulary import Language
from dsr.i18n import N_, gettext
from dsr.models.redaction import Redaction
from dsr.security.fields import FieldCipher
from dsr.workflows.report import names

NOTE = "redaction.note"  # the label the note's encryption is bound to

REASONS: dict[Reason, str] = {
    Reason.THIRD_PARTY: N_("to protect other people whose data they contain (Art. 15(4) GDPR)"),
    Reason.TRADE_SECRET: N_("to protect our trade secrets (Art. 15(4) GDPR)"),
    Reason.OTHER: N_("to protect the rights and freedoms of others (Art. 15(4) GDPR)"),
}
# The DPO's short names for the reasons, on the desk.
REASON_NAMES: dict[Reason, str] = {
    Reason.THIRD_PARTY: N_("Third parties' data"),
    Reason.TRADE_SECRET: N_("Trade secret"),
    Reason.OTHER: N_("Other rights of others (explain in the note)"),
}
ROWS = N_("%(where)s: %(count)s withheld %(why)s.")
COLUMN = N_("%(where)s: the column “%(column)s” withheld %(why)s.")
ONE_RECORD = N_("1 record")
RECORDS = N_("%(count)d records")
BECAUSE = N_("Our reasons: %(note)s")


@dataclass(frozen=True, slots=True)
class Stored:
    id: uuid.UUID
    withheld: Withheld
    created_by: str


async def redactions_of(
    session: AsyncSession, cipher: FieldCipher, request_id: uuid.UUID
) -> list[Stored]:
    """The request's redactions, notes decrypted, in the order they were made."""
    rows = (
        await session.exec(
            select(Redaction)
            .where(Redaction.request_id == request_id)
            .order_by(col(Redaction.created_at), col(Redaction.id))
        )
    ).all()
    return [
        Stored(
            row.id,
            Withheld(
                store=row.store,
                table=row.table_key,
                reason=Reason(row.reason),
                row=row.row,
                column=row.column,
                note=cipher.decrypt(NOTE, row.note_enc) or "",
            ),
            row.created_by,
        )
        for row in rows
    ]


def letter_lines(
    redactions: Sequence[Withheld],
    language: Language,
    where: dict[tuple[str, str], str],
    columns: dict[tuple[str, str, str], str],
) -> list[str]:
    """One sentence per table and reason for rows, one per column; ``where`` names a
    (store, table) as the report does, ``columns`` a (store, table, column)."""

    def _(text: str) -> str:
        return gettext(language, text)

    rows: dict[tuple[str, str, Reason, str], int] = {}
    lines: list[str] = []
    for item in redactions:
        if item.row is not None:
            key = (item.store, item.table, item.reason, item.note)
            rows[key] = rows.get(key, 0) + 1
    for (store, table, reason, note), count in rows.items():
        amount = _(ONE_RECORD) if count == 1 else _(RECORDS) % {"count": count}
        line = _(ROWS) % {
            "where": where.get((store, table), table),
            "count": amount,
            "why": _(REASONS[reason]),
        }
        lines.append(_with_note(line, note, language))
    for item in redactions:
        if item.column is not None:
            line = _(COLUMN) % {
                "where": where.get((item.store, item.table), item.table),
                "column": columns.get((item.store, item.table, item.column), item.column),
                "why": _(REASONS[item.reason]),
            }
            lines.append(_with_note(line, item.note, language))
    return lines


def _with_note(line: str, note: str, language: Language) -> str:
    if not note:
        return line
    return f"{line} {gettext(language, BECAUSE) % {'note': note}}"


async def lines_for(
    session: AsyncSession,
    cipher: FieldCipher,
    config: DsrConfig,
    request_id: uuid.UUID,
    language: Language,
) -> list[str]:
    """The letter's sentences about what was withheld from request ``request_id``, named
    as the report names stores, tables and columns."""
    stored = [s.withheld for s in await redactions_of(session, cipher, request_id)]
    if not stored:
        return []
    where, columns = names(config, stored, language)
    return letter_lines(stored, language, where, columns)
