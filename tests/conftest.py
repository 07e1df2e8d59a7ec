"""Test fixtures: a migrated database per run (SQLite, or PostgreSQL when
HEALTHCARD_TEST_DATABASE_URL is set), and a transaction per test that is rolled back."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from healthcard.accounts import service as accounts_service
from healthcard.accounts.service import passwords
from healthcard.app import create_app
from healthcard.core import migrate
from healthcard.core.config import Settings
from healthcard.core.db import make_engine
from healthcard.ecard.service import ecards

TEST_SECRET = "test-secret-key-that-is-long-enough-0123456789"
# Hundreds of apps start in one test process: their objects must stay collectable.
os.environ.setdefault("HEALTHCARD_GC_FREEZE", "false")


@pytest.fixture(autouse=True, scope="session")
def _cheap_argon2() -> Iterator[None]:
    """The suite hashes hundreds of passwords and PINs: still argon2id, verified the same way,
    but at the lowest cost instead of the production parameters (about 50 ms each)."""
    cheap = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    saved = passwords._hasher, ecards._pins
    passwords._hasher, ecards._pins = cheap, cheap
    yield
    passwords._hasher, ecards._pins = saved


@contextmanager
def fresh_database(tmp_path: Path) -> Iterator[str]:
    """An empty database: a SQLite file, or a new PostgreSQL database dropped afterwards."""
    configured = os.environ.get("HEALTHCARD_TEST_DATABASE_URL")
    if not configured or configured.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'test.sqlite3'}"
        return
    server = create_engine(configured, isolation_level="AUTOCOMMIT")
    name = f"hc_test_{uuid.uuid4().hex[:12]}"
    with server.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(configured).set(database=name).render_as_string(hide_password=False)
    finally:
        with server.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        server.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A fresh database for this test run (one per xdist worker)."""
    with fresh_database(tmp_path_factory.mktemp("db")) as url:
        yield url


@pytest.fixture
def scratch_database_url(tmp_path: Path) -> Iterator[str]:
    """A migrated database of the test's own, for code that commits (CLI, concurrency)."""
    with fresh_database(tmp_path) as url:
        migrate.upgrade(url)
        yield url


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    """The test database, migrated by the real migrations, with permissions synchronised."""
    migrate.upgrade(database_url)
    engine = make_engine(database_url)
    with Session(engine) as session, session.begin():
        accounts_service.sync_permissions(session)
    yield engine
    engine.dispose()


@pytest.fixture
def connection(engine: Engine) -> Iterator[object]:
    """A connection inside a transaction that is rolled back after the test."""
    conn = engine.connect()
    transaction = conn.begin()
    try:
        yield conn
    finally:
        transaction.rollback()
        conn.close()


@pytest.fixture
def session_factory(connection: object) -> sessionmaker[Session]:
    """Sessions whose commits are savepoints of the test's transaction."""
    return sessionmaker(
        bind=connection,  # type: ignore[arg-type]
        join_transaction_mode="create_savepoint",
        expire_on_commit=False,
    )


@pytest.fixture
def session(session_factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session for arranging and checking data in the test's transaction."""
    with session_factory() as s:
        yield s


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(
        environment="test",
        database_url=database_url,
        secret_key=TEST_SECRET,
        log_json=False,
    )


@pytest.fixture
def app(settings: Settings, session_factory: sessionmaker[Session]) -> FastAPI:
    return create_app(settings, session_factory=session_factory)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, base_url="http://testserver") as c:
        yield c
