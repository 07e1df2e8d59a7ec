"""Run Alembic migrations from code (CLI, tests, `make run`)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection

REPO_ROOT = Path(__file__).resolve().parents[3]


def alembic_config(url: str | None = None, connection: Connection | None = None) -> Config:
    """The Alembic configuration of this checkout, pointed at ``url`` or ``connection``."""
    config = Config(str(REPO_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(REPO_ROOT / "migrations"))
    if url is not None:
        config.attributes["url"] = url
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def upgrade(url: str | None = None, *, connection: Connection | None = None) -> None:
    """Bring the database schema to the newest revision."""
    command.upgrade(alembic_config(url, connection), "head")


def current_revision(connection: Connection) -> str | None:
    """The revision the database is at, or None if it was never migrated."""
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(connection).get_current_revision()
