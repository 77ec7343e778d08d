"""Key rotation: re-encrypt every sealed value under the newest key, so an old key can go.

``DSR_ENCRYPTION_KEYS`` lists keys newest first; the first encrypts, all decrypt. After a new
key is put in front, ``dsr keys rotate`` walks every encrypted column (``SEALED``, one record
per column: its table, its column and the label its encryption is bound to) and rewrites
each value that is not under the newest key, in batches that commit one by one, so an
interrupted run simply continues where it stopped when started again. When it reports
nothing left under the old key, that key can be removed from ``DSR_ENCRYPTION_KEYS``.

A value is rewritten only if it is still the one read (``WHERE column = old``), so a row
changed by the running application meanwhile is left to it (its new value is under the
newest key already).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlmodel import SQLModel

from dsr.db import Database
from dsr.security.fields import DecryptionError, FieldCipher
from dsr.security.vault import SUBJECT_FIELDS

Label = str | Callable[[Any], str]  # a row -> its label (artifact chunks bind their number)


@dataclass(frozen=True, slots=True)
class Sealed:
    table: str
    column: str
    label: Label
    binary: bool = False  # FieldCipher.encrypt_bytes: "<key id>\n" + nonce + ciphertext
    inside: str | None = None  # the value sits under this key of a JSON column

    @property
    def name(self) -> str:
        return f"{self.table}.{self.column}" + (f"[{self.inside}]" if self.inside else "")

    def label_of(self, row: Any) -> str:
        return self.label(row) if callable(self.label) else self.label


def _chunk_label(row: Any) -> str:
    return f"artifact:{row.artifact_id}:{row.seq}"


# Every encrypted column, with the label it is bound to. A new encrypted column must be added
# here: tests/unit/test_key_rotation.py fails for any ``*_enc`` column it does not list.
SEALED: tuple[Sealed, ...] = (
    *(Sealed("subject", f"{f}_enc", f"subject.{f}") for f in SUBJECT_FIELDS),
    Sealed("request", "extension_reason_enc", "request.extension_reason"),
    Sealed("request", "details_enc", "request.details"),
    Sealed("request", "changes_enc", "request.changes"),
    Sealed("request", "keys_enc", "request.keys"),
    Sealed("staff", "totp_secret_enc", "staff.totp_secret"),
    Sealed("task", "note_enc", "task.note"),
    Sealed("task", "result_summary", "task.keys", inside="keys_enc"),
    Sealed("outbox", "recipient_enc", "outbox.recipient"),
    Sealed("outbox", "body_enc", "outbox.body"),
    Sealed("outbox", "thread_enc", "outbox.thread"),
    Sealed("letter", "context_enc", "letter.context"),
    Sealed("mail_message", "message_id_enc", "mail.message_id"),
    Sealed("mail_message", "sender_enc", "mail.sender"),
    Sealed("mail_message", "subject_enc", "mail.subject"),
    Sealed("note", "text_enc", "note.text"),
    Sealed("redaction", "note_enc", "redaction.note"),
    Sealed("artifact", "content_enc", "artifact", binary=True),
    Sealed("artifact_chunk", "content_enc", _chunk_label, binary=True),
)


class RotationError(Exception):
    """A value could not be opened with any key given (its key is missing from the list)."""


@dataclass(frozen=True, slots=True)
class Progress:
    column: str
    rewritten: int  # in this column so far


def stale(cipher: FieldCipher, value: Any, binary: bool) -> bool:
    if value is None:
        return False
    if binary:
        return not bytes(value).startswith(cipher.current.encode() + b"\n")
    return cipher.needs_rotation(value)


async def rotate(
    db: Database,
    cipher: FieldCipher,
    *,
    batch: int = 500,
    progress: Callable[[Progress], None] | None = None,
) -> dict[str, int]:
    """Rewrite every value not under ``cipher``'s newest key; the count per column."""
    done: dict[str, int] = {}
    for sealed in SEALED:
        done[sealed.name] = await _rotate_column(db, cipher, sealed, batch, progress)
    return done


async def remaining(db: Database, cipher: FieldCipher) -> dict[str, int]:
    """How many values per column are still under an older key (0 everywhere: done)."""
    left: dict[str, int] = {}
    async with db.engine.connect() as connection:
        for sealed in SEALED:
            table = SQLModel.metadata.tables[sealed.table]
            column = table.c[sealed.column]
            if sealed.inside:
                rows = (await connection.execute(sa.select(column))).scalars()
                count = sum(stale(cipher, (r or {}).get(sealed.inside), False) for r in rows)
            else:
                count = (
                    await connection.execute(
                        sa.select(sa.func.count()).where(_not_current(column, cipher, sealed))
                    )
                ).scalar_one()
            left[sealed.name] = int(count)
    return left


def _not_current(column: Any, cipher: FieldCipher, sealed: Sealed) -> Any:
    prefix: str | bytes = (
        cipher.current.encode() + b"\n" if sealed.binary else f"v1.{cipher.current}."
    )
    head = sa.func.substr(column, 1, len(prefix))
    return sa.and_(column.is_not(None), head != sa.literal(prefix, column.type))


async def _rotate_column(
    db: Database,
    cipher: FieldCipher,
    sealed: Sealed,
    batch: int,
    progress: Callable[[Progress], None] | None,
) -> int:
    table = SQLModel.metadata.tables[sealed.table]
    column = table.c[sealed.column]
    keys = list(table.primary_key.columns)
    rewritten = 0
    after: tuple[Any, ...] | None = None
    while True:
        async with db.engine.begin() as connection:
            query = sa.select(*keys, column).order_by(*keys).limit(batch)
            if sealed.inside is None:
                query = query.where(_not_current(column, cipher, sealed))
            if after is not None:  # keyset: rows a concurrent writer keeps stale are passed
                query = query.where(sa.tuple_(*keys) > sa.tuple_(*after))
            rows = (await connection.execute(query)).all()
            if not rows:
                return rewritten
            for row in rows:
                rewritten += await _rewrite(connection, cipher, sealed, table, keys, row)
            after = tuple(row[i] for i in range(len(keys)))
        if progress is not None:
            progress(Progress(sealed.name, rewritten))


async def _rewrite(
    connection: Any, cipher: FieldCipher, sealed: Sealed, table: Any, keys: list[Any], row: Any
) -> int:
    old = row._mapping[sealed.column]
    value = old.get(sealed.inside) if sealed.inside and old else old
    if not stale(cipher, value, sealed.binary):
        return 0
    label = sealed.label_of(row)
    try:
        if sealed.binary:
            new: Any = cipher.encrypt_bytes(label, cipher.decrypt_bytes(label, bytes(value)))
        else:
            new = cipher.encrypt(label, cipher.decrypt(label, value))
    except DecryptionError as exc:
        raise RotationError(
            f"{sealed.name}: a value opens with none of the keys in DSR_ENCRYPTION_KEYS "
            "(put the key it was written with back into the list, after the newest)"
        ) from exc
    if sealed.inside:
        new = {**old, sealed.inside: new}
    where = [key == row._mapping[key.name] for key in keys]
    if not sealed.inside:  # only if unchanged since read (JSON columns do not compare)
        where.append(table.c[sealed.column] == old)
    result = await connection.execute(sa.update(table).where(*where).values({sealed.column: new}))
    return int(result.rowcount or 0)
