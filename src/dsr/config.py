"""``dsr.yaml``: controller, policies, processing records and data stores.

Unknown keys and wrong types are errors that name the file and the key. Sections the code
does not use yet (``processing``, ``stores``) are kept as plain data.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from dsr.domain.errors import ConfigError


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Contact(_Strict):
    name: str
    email: str
    address: list[str] = Field(default_factory=list)
    phone: str | None = None
    web: str | None = None


class Controller(_Strict):
    name: str = "Beispiel Kundenservice GmbH"
    address: list[str] = Field(default_factory=lambda: ["Musterstraße 1", "45127 Essen"])
    email: str = "datenschutz@example.org"
    dpo: Contact = Contact(name="Dr. Datenschutz", email="dsb@example.org")
    supervisory_authority: Contact = Contact(
        name="Landesbeauftragte für Datenschutz und Informationsfreiheit Nordrhein-Westfalen",
        address=["Kavalleriestraße 2-4", "40213 Düsseldorf"],
        email="poststelle@ldi.nrw.de",
        phone="0211 38424-0",
        web="https://www.ldi.nrw.de",
    )


class Policies(_Strict):
    verification: dict[str, list[str]] = Field(
        default_factory=lambda: {
            "access": ["email_matched", "kba"],
            "erasure": ["email_matched", "kba"],
            "rectification": ["email_matched", "kba"],
        }
    )
    auto_approve: list[str] = Field(default_factory=lambda: ["access"])
    auto_release: list[str] = Field(default_factory=list)
    reminders_days: list[int] = Field(default_factory=lambda: [7, 3, 1])
    unverified_expiry_days: int = 14
    pause_for_identity: bool = False
    retention_days: int = 1095


class DsrConfig(_Strict):
    controller: Controller = Controller()
    policies: Policies = Policies()
    processing: list[dict[str, Any]] = Field(default_factory=list)
    stores: list[dict[str, Any]] = Field(default_factory=list)


def load_config(path: Path, *, required: bool) -> DsrConfig:
    """Read and validate ``path``; without the file, the built-in demo defaults."""
    if not path.exists():
        if required:
            raise ConfigError(f"{path}: file not found (set DSR_CONFIG)")
        return DsrConfig()
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from exc
    try:
        return DsrConfig.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in error['loc'])}: {error['msg']}"
            for error in exc.errors()
        )
        raise ConfigError(f"{path}: {problems}") from exc
