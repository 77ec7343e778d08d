"""The audit trail's two keys, derived from ``DSR_AUDIT_KEY`` (never in the database): the
writer's, whose MAC over an event proves dsr wrote it, and the chain's, which links each
event to its predecessor. Pure functions of the key and an event's fields."""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from dsr.domain.errors import ConfigError

MIN_KEY_LENGTH = 32


def _canonical(fields: Mapping[str, Any]) -> bytes:
    return json.dumps(
        fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    ).encode()


def _content(
    at: datetime, actor: str, request_id: uuid.UUID | None, action: str, payload: Any
) -> dict[str, Any]:
    return {
        "at": at.astimezone(UTC).isoformat(timespec="microseconds"),
        "actor": actor,
        "request": str(request_id) if request_id else None,
        "action": action,
        "payload": payload,
    }


class EventFields(Protocol):
    """What the writer's MAC covers: an ``Event`` or a row of its table."""

    nonce: str
    mac: str
    at: datetime
    actor: str
    request_id: uuid.UUID | None
    action: str
    payload: Any


@dataclass(frozen=True, slots=True)
class AuditKey:
    """The writer's and the chain's keys, derived from ``DSR_AUDIT_KEY``."""

    writer: bytes = field(repr=False)
    chain: bytes = field(repr=False)

    @classmethod
    def from_secret(cls, secret: str) -> AuditKey:
        if len(secret) < MIN_KEY_LENGTH:
            raise ConfigError(f"DSR_AUDIT_KEY must be at least {MIN_KEY_LENGTH} characters")
        root = secret.encode()
        return cls(
            writer=hmac.new(root, b"dsr audit writer v1", hashlib.sha256).digest(),
            chain=hmac.new(root, b"dsr audit chain v1", hashlib.sha256).digest(),
        )

    def event_mac(
        self,
        nonce: str,
        at: datetime,
        actor: str,
        request_id: uuid.UUID | None,
        action: str,
        payload: Any,
    ) -> str:
        body = _canonical({"nonce": nonce, **_content(at, actor, request_id, action, payload)})
        return hmac.new(self.writer, body, hashlib.sha256).hexdigest()

    def chain_hash(self, prev_hash: str, seq: int, event: EventFields) -> str:
        """The hash of ``event`` at place ``seq`` after ``prev_hash`` (it covers the MAC)."""
        content = _content(event.at, event.actor, event.request_id, event.action, event.payload)
        body = _canonical({"seq": seq, "mac": event.mac, **content})
        return hmac.new(self.chain, prev_hash.encode() + body, hashlib.sha256).hexdigest()

    def mac_holds(self, event: EventFields) -> bool:
        """Whether dsr's writer made ``event`` as it stands."""
        expected = self.event_mac(
            event.nonce, event.at, event.actor, event.request_id, event.action, event.payload
        )
        return hmac.compare_digest(expected, event.mac or "")
