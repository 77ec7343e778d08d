"""Sealing and opening a subject's identifiers (encryption + blind indexes in one place)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from dsr.domain.identity import Identity
from dsr.models import Subject
from dsr.security.fields import BlindIndex, FieldCipher

SUBJECT_FIELDS = (
    "name",
    "email",
    "phone",
    "customer_number",
    "postal_address",
    "date_of_birth",
    "identifiers",
)
_INDEXED = ("email", "phone", "customer_number")


@dataclass(frozen=True, slots=True)
class Vault:
    cipher: FieldCipher
    index: BlindIndex

    @classmethod
    def from_secrets(cls, encryption_keys: str, hmac_key: str) -> Vault:
        return cls(FieldCipher.from_config(encryption_keys), BlindIndex.from_config(hmac_key))

    def seal_subject(self, identity: Identity) -> Subject:
        return Subject(**self.sealed_columns(identity))

    def sealed_columns(self, identity: Identity) -> dict[str, Any]:
        """The subject's encrypted and blind-indexed columns, by column name."""
        columns = {
            f"{field}_enc": self.cipher.encrypt(f"subject.{field}", getattr(identity, field))
            for field in SUBJECT_FIELDS
        }
        for field in _INDEXED:
            columns[f"{field}_bidx"] = self.index(field, getattr(identity, field))
        return columns

    def open_subject(self, subject: Subject) -> Identity:
        values = {
            field: self.cipher.decrypt(f"subject.{field}", getattr(subject, f"{field}_enc"))
            for field in SUBJECT_FIELDS
        }
        values["name"] = values["name"] or ""
        return Identity(**values)  # type: ignore[arg-type]
