"""Encrypted artifacts of any size, written and read one chunk at a time.

An artifact of up to ``CHUNK`` bytes lives in ``artifact.content_enc`` (letters, most
packages). A larger one (a customer with 100,000 orders) is cut into ``CHUNK``-sized pieces in
``artifact_chunk``, each encrypted on its own with the artifact's id and the piece's number
bound into the authentication, so pieces cannot be swapped, reordered or moved to another
artifact; a missing piece is noticed because ``size`` says how many there must be. Nothing
here holds more than one piece in memory.
"""

from __future__ import annotations

import hashlib
import tempfile
import uuid
from collections.abc import AsyncIterator
from typing import IO, Any

from sqlalchemy import delete, insert, update
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from dsr.db import Database
from dsr.models import Artifact, ArtifactChunk
from dsr.security.fields import DecryptionError, FieldCipher

CHUNK = 1 << 20
INLINE = "artifact"  # the authenticated label of an artifact kept in one column


def _label(artifact_id: uuid.UUID, seq: int) -> str:
    return f"artifact:{artifact_id}:{seq}"


def spool() -> IO[bytes]:
    """A scratch file for building an artifact: in memory up to one chunk, then an unnamed
    file that the operating system removes when it is closed (or the process dies)."""
    return tempfile.SpooledTemporaryFile(max_size=CHUNK)


async def save_file(
    session: AsyncSession,
    cipher: FieldCipher,
    source: IO[bytes],
    *,
    request_id: uuid.UUID | None,
    kind: str,
    media_type: str,
    filename: str | None = None,
) -> Artifact:
    """Store what ``source`` holds (read from its start) as a new artifact."""
    artifact = Artifact(
        request_id=request_id,
        kind=kind,
        media_type=media_type,
        sha256="",
        size=0,
        filename=filename,
    )
    session.add(artifact)
    for key, value in (await _encrypt(session, cipher, artifact, source)).items():
        setattr(artifact, key, value)
    await session.flush()
    return artifact


async def replace_content(
    session: AsyncSession, cipher: FieldCipher, artifact: Artifact, source: IO[bytes]
) -> None:
    """Give a stored artifact new content from ``source``, one chunk at a time."""
    await session.exec(delete(ArtifactChunk).where(col(ArtifactChunk.artifact_id) == artifact.id))
    values = await _encrypt(session, cipher, artifact, source)
    await session.exec(update(Artifact).where(col(Artifact.id) == artifact.id).values(**values))
    for key, value in values.items():
        set_committed_value(artifact, key, value)


async def _encrypt(
    session: AsyncSession, cipher: FieldCipher, artifact: Artifact, source: IO[bytes]
) -> dict[str, Any]:
    """``source`` encrypted for ``artifact``: one piece kept in its row, or chunk rows
    written now; returns the row's ``content_enc``, ``sha256`` and ``size``."""
    source.seek(0)
    piece, following = source.read(CHUNK), source.read(CHUNK)
    if not following:
        return {
            "content_enc": cipher.encrypt_bytes(INLINE, piece),
            "sha256": hashlib.sha256(piece).hexdigest(),
            "size": len(piece),
        }
    await session.flush()  # the artifact's row first: the chunks refer to it
    digest, size, seq = hashlib.sha256(), 0, 0
    while piece:
        digest.update(piece)
        size += len(piece)
        await session.exec(
            insert(ArtifactChunk).values(
                artifact_id=artifact.id,
                seq=seq,
                content_enc=cipher.encrypt_bytes(_label(artifact.id, seq), piece),
            )
        )
        seq, piece, following = seq + 1, following, source.read(CHUNK)
    return {"content_enc": None, "sha256": digest.hexdigest(), "size": size}


async def remove(session: AsyncSession, *where: Any) -> None:
    """Delete the artifacts matching ``where``, their chunks first."""
    chosen = select(Artifact.id).where(*where)
    await session.exec(delete(ArtifactChunk).where(col(ArtifactChunk.artifact_id).in_(chosen)))
    await session.exec(delete(Artifact).where(*where))


async def pieces(
    session: AsyncSession, cipher: FieldCipher, artifact: Artifact
) -> AsyncIterator[bytes]:
    """The plain content, one chunk at a time."""
    if artifact.content_enc is not None:
        yield cipher.decrypt_bytes(INLINE, artifact.content_enc)
        return
    for seq in range(-(-artifact.size // CHUNK)):
        blob = (
            await session.exec(
                select(ArtifactChunk.content_enc).where(
                    ArtifactChunk.artifact_id == artifact.id, ArtifactChunk.seq == seq
                )
            )
        ).first()
        if blob is None:
            raise DecryptionError(f"artifact {artifact.id}: piece {seq} is missing")
        yield cipher.decrypt_bytes(_label(artifact.id, seq), blob)


async def read_all(session: AsyncSession, cipher: FieldCipher, artifact: Artifact) -> bytes:
    """The whole content, for artifacts known to be small (letters)."""
    return b"".join([piece async for piece in pieces(session, cipher, artifact)])


async def spooled(session: AsyncSession, cipher: FieldCipher, artifact: Artifact) -> IO[bytes]:
    """The plain content in a scratch file (``spool``), read from its start; the caller
    closes it."""
    target = spool()
    try:
        async for piece in pieces(session, cipher, artifact):
            target.write(piece)
    except BaseException:
        target.close()
        raise
    target.seek(0)
    return target


async def stream(
    database: Database, cipher: FieldCipher, artifact_id: uuid.UUID
) -> AsyncIterator[bytes]:
    """For an HTTP response: its own session, so the answer can outlive the handler's."""
    async with database.session_scope() as session:
        artifact = await session.get_one(Artifact, artifact_id)
        async for piece in pieces(session, cipher, artifact):
            yield piece
