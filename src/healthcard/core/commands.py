"""Support for command-line work: a transaction on the configured database, the operator."""

from __future__ import annotations

import getpass
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.orm import Session

from healthcard.core.config import get_settings
from healthcard.core.db import make_engine, make_session_factory
from healthcard.core.principal import Principal, system_principal


@contextmanager
def transaction() -> Iterator[Session]:
    """One transaction against the configured database (committed unless an error escapes)."""
    engine = make_engine(get_settings().database_url)
    factory = make_session_factory(engine)
    try:
        with factory() as session, session.begin():
            yield session
    finally:
        engine.dispose()


def operator() -> Principal:
    """The person at the terminal, as audit entries name them."""
    try:
        name = f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        name = "cli"
    return system_principal(name)
