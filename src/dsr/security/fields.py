"""Encryption of personal data at rest, and blind indexes to find it again.

Ciphertexts are ``v1.<key id>.<base64(nonce || AES-256-GCM ciphertext)>``; the field name is
bound in as associated data, so a value copied into another column does not decrypt. Keys are
given newest first: the first one encrypts, all of them decrypt (rotation).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from dsr.domain.errors import ConfigError

_VERSION = "v1"


class DecryptionError(Exception):
    """A ciphertext could not be opened: unknown key, wrong field, or tampered."""


@dataclass(frozen=True, slots=True)
class FieldCipher:
    keys: dict[str, bytes]
    current: str

    @classmethod
    def from_config(cls, spec: str) -> FieldCipher:
        """Parse ``id:base64key,id:base64key`` (newest first)."""
        keys: dict[str, bytes] = {}
        order: list[str] = []
        for entry in (part.strip() for part in spec.split(",")):
            if not entry:
                continue
            key_id, sep, encoded = entry.partition(":")
            if not sep or not key_id.isalnum():
                raise ConfigError("DSR_ENCRYPTION_KEYS: each entry must be 'id:base64key'")
            try:
                key = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
            except (binascii.Error, ValueError) as exc:
                raise ConfigError(f"DSR_ENCRYPTION_KEYS: key {key_id!r} is not base64") from exc
            if len(key) != 32:
                raise ConfigError(f"DSR_ENCRYPTION_KEYS: key {key_id!r} must be 32 bytes")
            if key_id in keys:
                raise ConfigError(f"DSR_ENCRYPTION_KEYS: key id {key_id!r} given twice")
            keys[key_id] = key
            order.append(key_id)
        if not order:
            raise ConfigError("DSR_ENCRYPTION_KEYS is empty")
        return cls(keys=keys, current=order[0])

    def encrypt(self, field: str, plaintext: str | None) -> str | None:
        if plaintext is None:
            return None
        nonce = secrets.token_bytes(12)
        sealed = AESGCM(self.keys[self.current]).encrypt(
            nonce, plaintext.encode("utf-8"), field.encode()
        )
        body = base64.urlsafe_b64encode(nonce + sealed).decode()
        return f"{_VERSION}.{self.current}.{body}"

    def decrypt(self, field: str, ciphertext: str | None) -> str | None:
        if ciphertext is None:
            return None
        try:
            version, key_id, body = ciphertext.split(".", 2)
            raw = base64.urlsafe_b64decode(body)
            key = self.keys[key_id]
        except (ValueError, KeyError, binascii.Error) as exc:
            raise DecryptionError(f"cannot open {field}: unknown format or key") from exc
        if version != _VERSION:
            raise DecryptionError(f"cannot open {field}: unknown version")
        try:
            return AESGCM(key).decrypt(raw[:12], raw[12:], field.encode()).decode("utf-8")
        except InvalidTag as exc:
            raise DecryptionError(f"cannot open {field}: authentication failed") from exc

    def encrypt_bytes(self, field: str, plaintext: bytes) -> bytes:
        """Binary form for blobs: ``<key id>\n`` + nonce + ciphertext."""
        nonce = secrets.token_bytes(12)
        sealed = AESGCM(self.keys[self.current]).encrypt(nonce, plaintext, field.encode())
        return self.current.encode() + b"\n" + nonce + sealed

    def decrypt_bytes(self, field: str, blob: bytes) -> bytes:
        key_id, sep, rest = blob.partition(b"\n")
        key = self.keys.get(key_id.decode(errors="replace"))
        if not sep or key is None:
            raise DecryptionError(f"cannot open {field}: unknown format or key")
        try:
            return AESGCM(key).decrypt(rest[:12], rest[12:], field.encode())
        except InvalidTag as exc:
            raise DecryptionError(f"cannot open {field}: authentication failed") from exc

    def encrypt_json(self, field: str, value: Any) -> str | None:
        return None if value is None else self.encrypt(field, json.dumps(value))

    def decrypt_json(self, field: str, ciphertext: str | None) -> Any:
        text = self.decrypt(field, ciphertext)
        return None if text is None else json.loads(text)

    def needs_rotation(self, ciphertext: str | None) -> bool:
        return ciphertext is not None and not ciphertext.startswith(f"{_VERSION}.{self.current}.")


@dataclass(frozen=True, slots=True)
class BlindIndex:
    """Keyed HMAC of a normalised identifier: equal inputs match, nothing can be read back."""

    key: bytes

    @classmethod
    def from_config(cls, secret: str) -> BlindIndex:
        if len(secret) < 16:
            raise ConfigError("DSR_HMAC_KEY must be at least 16 characters")
        return cls(key=secret.encode())

    def __call__(self, kind: str, normalized: str | None) -> str | None:
        if normalized is None:
            return None
        return hmac.new(self.key, f"{kind}:{normalized}".encode(), hashlib.sha256).hexdigest()
