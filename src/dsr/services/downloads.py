"""One-time downloads: a link plus a code; the link works once and expires."""

from __future__ import annotations

import hashlib
import hmac
import uuid
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import delete, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from dsr import artifacts
from dsr.models import Artifact, Download
from dsr.models.base import utcnow
from dsr.security import attempts
from dsr.security.audit import append_event
from dsr.security.passwords import token_digest
from dsr.security.vault import Vault

MAX_ATTEMPTS = 5
CODE_ATTEMPTS = attempts.Counter(Download.attempts, MAX_ATTEMPTS)
PACKAGE_NAME = "meine-daten.zip"


class DownloadCheck(StrEnum):
    OK = "ok"
    WRONG = "wrong"
    GONE = "gone"  # used, expired, unknown or locked after too many wrong codes


async def purge_expired(session: AsyncSession, now: datetime) -> int:
    """Delete packages whose download link has expired, with their links (DESIGN: links
    expire and the package is deleted then). Returns how many packages went."""
    expired = (
        await session.exec(
            select(Artifact).where(
                Artifact.kind == "package",
                col(Artifact.expires_at).is_not(None),
                col(Artifact.expires_at) <= now,
            )
        )
    ).all()
    for artifact in expired:
        await session.exec(delete(Download).where(col(Download.artifact_id) == artifact.id))
        await artifacts.remove(session, col(Artifact.id) == artifact.id)
        # The stores' exports it was built from hold the same data: they go with it.
        await artifacts.remove(
            session,
            col(Artifact.request_id) == artifact.request_id,
            col(Artifact.kind) == "export",
        )
        await append_event(
            session,
            actor="system",
            action="package.deleted",
            request_id=artifact.request_id,
            payload={"artifact": str(artifact.id), "reason": "download expired"},
        )
    return len(expired)


def code_hash(secret_key: str, download_id: uuid.UUID, code: str) -> str:
    return hmac.new(
        secret_key.encode(), f"{download_id}:{code}".encode(), hashlib.sha256
    ).hexdigest()


@dataclass(frozen=True, slots=True)
class Redeemed:
    check: DownloadCheck
    artifact: uuid.UUID | None = None  # streamed by the caller (``artifacts.stream``)
    media_type: str = ""
    filename: str = ""


@dataclass(slots=True)
class Downloads:
    session: AsyncSession
    vault: Vault
    secret_key: str

    async def find(self, token: str) -> Download | None:
        if not 20 <= len(token) <= 100:
            return None
        download = (
            await self.session.exec(
                select(Download).where(Download.link_digest == token_digest(token))
            )
        ).first()
        if (
            download is None
            or download.used_at is not None
            or download.expires_at <= utcnow()
            or download.attempts >= MAX_ATTEMPTS
        ):
            return None
        return download

    async def redeem(self, token: str, code: str) -> Redeemed:
        """The file for the right code, once; every attempt is counted and committed first,
        and no more than ``MAX_ATTEMPTS`` are judged."""
        download = await self.find(token)
        if download is None:
            return Redeemed(DownloadCheck.GONE)
        counted = await attempts.count(
            self.session,
            CODE_ATTEMPTS,
            col(Download.id) == download.id,
            col(Download.used_at).is_(None),
            returning=(Download.code_hash,),
        )
        if counted is None:
            return Redeemed(DownloadCheck.GONE)
        number, expected = counted
        if not hmac.compare_digest(expected, code_hash(self.secret_key, download.id, code.strip())):
            await attempts.settle(
                self.session,
                actor="subject",
                action="download.failed",
                request_id=download.request_id,
                payload={"attempts": number},
            )
            return Redeemed(DownloadCheck.GONE if number >= MAX_ATTEMPTS else DownloadCheck.WRONG)
        await attempts.settle(self.session)
        claimed = await self.session.exec(
            update(Download)
            .where(col(Download.id) == download.id, col(Download.used_at).is_(None))
            .values(used_at=utcnow())
        )
        if claimed.rowcount != 1:
            return Redeemed(DownloadCheck.GONE)
        artifact = await self.session.get_one(Artifact, download.artifact_id)
        await append_event(
            self.session,
            actor="subject",
            action="download.used",
            request_id=download.request_id,
            payload={"artifact": str(artifact.id)},
        )
        return Redeemed(
            DownloadCheck.OK, artifact.id, artifact.media_type, artifact.filename or PACKAGE_NAME
        )
