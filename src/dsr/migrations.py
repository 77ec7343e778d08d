"""Running Alembic from code (``dsr db upgrade``, tests)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

import dsr


def migrations_dir() -> Path:
    """``dsr/_alembic`` in an installed wheel, ``alembic/`` in a source checkout."""
    packaged = Path(dsr.__file__).parent / "_alembic"
    if (packaged / "env.py").exists():
        return packaged
    return Path(dsr.__file__).resolve().parents[2] / "alembic"


def alembic_config(database_url: str, audit_key: str = "") -> Config:
    """``audit_key``: for the migrations that re-key the audit chain (not needed while the
    database holds no event)."""
    config = Config()
    config.set_main_option("script_location", str(migrations_dir()))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    config.attributes["audit_key"] = audit_key
    return config


def upgrade(database_url: str, revision: str = "head", audit_key: str = "") -> None:
    command.upgrade(alembic_config(database_url, audit_key), revision)


def downgrade(database_url: str, revision: str = "base", audit_key: str = "") -> None:
    command.downgrade(alembic_config(database_url, audit_key), revision)
