"""Staff passwords (argon2id) and bearer secrets: API tokens and the links in e-mails
(random, 256 bits, so only their SHA-256 digest is stored)."""

from __future__ import annotations

import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()
TOKEN_PREFIX = "dsr_"  # noqa: S105 - a prefix, not a secret


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def new_one_time_password() -> str:
    return secrets.token_urlsafe(12)


def new_api_token() -> str:
    """A bearer token; 256 bits of randomness, so a fast hash is enough to store it."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
