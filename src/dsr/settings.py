"""Runtime settings, read from ``DSR_*`` environment variables.

In ``demo`` mode, missing secrets are generated once into ``var/secrets.json`` so that a
newcomer's ``make run`` just works; in ``production`` mode every secret must be given.
"""

from __future__ import annotations

import json
import os
import secrets
from enum import StrEnum
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from dsr.domain.errors import ConfigError

SECRET_FIELDS = ("secret_key", "encryption_keys", "hmac_key", "audit_key")


class Mode(StrEnum):
    DEMO = "demo"
    PRODUCTION = "production"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DSR_", extra="ignore", frozen=True)

    env: Mode = Mode.DEMO
    database_url: str = "sqlite+aiosqlite:///var/dsr.db"
    config: Path = Path("dsr.yaml")
    var_dir: Path = Path("var")
    smtp_url: str = "smtp://127.0.0.1:1025"
    mail_from: str = "datenschutz@example.org"
    secret_key: str = ""
    encryption_keys: str = Field(
        default="", description="comma-separated 'id:base64key' entries, newest first"
    )
    hmac_key: str = ""
    audit_key: str = Field(
        default="", description="keys the audit chain (HMAC); at least 32 characters"
    )
    audit_anchor_path: Path | None = Field(
        default=None, description="the scheduler appends the audit chain's head here daily"
    )
    region: str = "DE-NW"
    timezone: str = "Europe/Berlin"
    base_url: str = "http://127.0.0.1:8000"
    letters_dir: Path = Path("templates/letters")
    log_level: str = "INFO"
    worker: bool = Field(default=True, description="run the scheduler (outbox, sweeps) in-process")
    tick_seconds: float = Field(
        default=30.0,
        gt=0,
        le=3600,
        description="the safety net: how often tasks and mail are looked for although no "
        "notification came (retries after their backoff, a lost notification)",
    )
    sweep_seconds: float = Field(
        default=60.0,
        gt=0,
        le=3600,
        description="how often expiry, retention purge, reminders and the digest are checked",
    )
    lease_seconds: float = Field(
        default=300, ge=1, le=86400, description="how long a crashed worker's task or mail waits"
    )
    dev_mail_catcher: bool = Field(
        default=True, description="demo mode: serve an SMTP catcher on the DSR_SMTP_URL port"
    )
    smtputf8: bool = Field(
        default=True,
        description="the SMTP server takes non-ASCII local parts (SMTPUTF8); false: refused",
    )
    trusted_proxies: str = Field(
        default="",
        description="comma-separated addresses or networks whose X-Forwarded-For is believed",
    )
    session_max_hours: float = Field(
        default=12, gt=0, le=24 * 30, description="a staff session ends this long after sign-in"
    )

    @property
    def is_production(self) -> bool:
        return self.env is Mode.PRODUCTION

    @property
    def https(self) -> bool:
        return self.base_url.startswith("https://")

    def proxy_networks(self) -> list[str]:
        """``DSR_TRUSTED_PROXIES`` checked and written as uvicorn reads them: addresses, and
        networks with their prefix (``10.0.0.0/8``)."""
        import ipaddress

        entries = []
        for entry in (part.strip() for part in self.trusted_proxies.split(",")):
            if not entry:
                continue
            try:
                network = ipaddress.ip_network(entry, strict=False)
            except ValueError as exc:
                raise ConfigError(
                    f"DSR_TRUSTED_PROXIES: {entry!r} is not an IP address or network"
                ) from exc
            single = network.num_addresses == 1 and "/" not in entry
            entries.append(str(network.network_address) if single else str(network))
        return entries

    def missing_secrets(self) -> list[str]:
        return [f"DSR_{name.upper()}" for name in SECRET_FIELDS if not getattr(self, name)]


def new_encryption_key() -> str:
    """A fresh field-encryption key entry, ``id:base64key`` (AES-256)."""
    import base64

    key_id = secrets.token_hex(4)
    return f"{key_id}:{base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()}"


def with_secrets(settings: Settings) -> Settings:
    """Return settings whose secrets are all set.

    Production: refuse to start without them. Demo: take them from ``var/secrets.json``,
    generating that file (mode 0600) the first time.
    """
    missing = settings.missing_secrets()
    if not missing:
        return settings
    if settings.is_production:
        raise ConfigError(f"production mode needs these variables: {', '.join(missing)}")
    path = settings.var_dir / "secrets.json"
    stored: dict[str, str] = {}
    if path.exists():
        stored = json.loads(path.read_text(encoding="utf-8"))
    generated = {
        "secret_key": stored.get("secret_key") or secrets.token_urlsafe(32),
        "encryption_keys": stored.get("encryption_keys") or new_encryption_key(),
        "hmac_key": stored.get("hmac_key") or secrets.token_urlsafe(32),
        "audit_key": stored.get("audit_key") or secrets.token_urlsafe(32),
    }
    if generated != stored:
        settings.var_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(generated, handle, indent=2)
    values = {name: getattr(settings, name) or generated[name] for name in SECRET_FIELDS}
    return settings.model_copy(update=values)
