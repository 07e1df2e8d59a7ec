"""Alembic environment: migrations run against the configured database or a given connection."""

from __future__ import annotations

from typing import Any

from alembic import context
from sqlalchemy import Connection

from healthcard.core.config import get_settings
from healthcard.core.db import UTCDateTime, make_engine
from healthcard.models import Base

target_metadata = Base.metadata


def _render_item(type_: str, obj: Any, autogen_context: Any) -> str | bool:  # noqa: ARG001
    # Migrations must not depend on application types: write UTCDateTime as a plain column type.
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,  # SQLite cannot ALTER most things; batch mode copies the table
        compare_type=True,
        render_item=_render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = context.config.attributes.get("url") or get_settings().database_url
    engine = make_engine(url)
    with engine.connect() as conn:
        _run(conn)
    engine.dispose()


if context.is_offline_mode():
    raise SystemExit(
        "offline (SQL script) migrations are not supported; run `healthcard db upgrade`"
    )
run_migrations_online()
