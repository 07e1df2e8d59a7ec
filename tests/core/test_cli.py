"""The healthcard command against a real database: migrate, demo data, audit verify."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from healthcard.cli import app
from healthcard.core.config import get_settings
from healthcard.core.db import make_engine
from healthcard.models import ECard, ECardSigningKey, HealthCard, Terminal

runner = CliRunner()


@pytest.fixture
def cli_env(
    scratch_database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[str]:
    key_file = tmp_path / "master.key"
    key_file.write_text(secrets.token_hex(16))
    monkeypatch.setenv("HEALTHCARD_MASTER_KEY_FILE", str(key_file))
    monkeypatch.setenv("HEALTHCARD_DATABASE_URL", scratch_database_url)
    monkeypatch.setenv("HEALTHCARD_ENVIRONMENT", "test")
    get_settings.cache_clear()
    yield scratch_database_url
    get_settings.cache_clear()


def _tamper(url: str, statement: str) -> None:
    engine = make_engine(url)
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_update"))
        else:
            conn.execute(text("DROP TRIGGER audit_events_no_update"))
            conn.execute(text("DROP TRIGGER audit_events_no_delete"))
        conn.execute(text(statement))
    engine.dispose()


def test_upgrade_demo_and_verify(cli_env: str) -> None:
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    loaded = runner.invoke(app, ["demo", "load"])
    assert loaded.exit_code == 0, loaded.output
    assert "client_secret=" in loaded.output
    assert "演示健康卡：待制卡 2，制卡中 1，已制卡 1，已发卡 1，正常 5" in loaded.output
    again = runner.invoke(app, ["demo", "load"])
    assert "已存在" in again.output
    verified = runner.invoke(app, ["audit", "verify"])
    assert verified.exit_code == 0, verified.output
    assert "审计链完整" in verified.output


def test_verify_catches_an_edited_row(cli_env: str) -> None:
    runner.invoke(app, ["demo", "load"])
    _tamper(cli_env, "UPDATE audit_events SET actor_name = 'someone else' WHERE id = 3")
    result = runner.invoke(app, ["audit", "verify"])
    assert result.exit_code == 1
    assert "entry 3: content does not match its hash (edited)" in result.output


def test_verify_catches_a_deleted_row(cli_env: str) -> None:
    runner.invoke(app, ["demo", "load"])
    _tamper(cli_env, "DELETE FROM audit_events WHERE id = 5")
    result = runner.invoke(app, ["audit", "verify"])
    assert result.exit_code == 1
    assert "entry 5..5 missing (deleted)" in result.output


def test_users_create_enforces_password_policy(cli_env: str) -> None:
    runner.invoke(app, ["demo", "load"])
    args = [
        "users",
        "create",
        "--username",
        "newadmin",
        "--name",
        "新管理员",
        "--institution",
        "1",
        "--role",
        "system_admin",
    ]
    weak = runner.invoke(app, [*args, "--password", "short"])
    assert weak.exit_code == 1
    assert "密码至少 8 位" in weak.output
    ok = runner.invoke(app, [*args, "--password", "Good!Passw0rd"])
    assert ok.exit_code == 0, ok.output
    assert "已创建账户 newadmin" in ok.output


def test_demo_has_cards_in_every_state_and_ecards_to_verify(cli_env: str) -> None:
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    loaded = runner.invoke(app, ["demo", "load"])
    assert loaded.exit_code == 0, loaded.output
    engine = make_engine(cli_env)
    try:
        with Session(engine) as session:
            states = dict(
                session.execute(
                    select(HealthCard.status, func.count()).group_by(HealthCard.status)
                ).all()
            )
            replaced = session.scalars(
                select(HealthCard).where(HealthCard.previous_card_id.is_not(None))
            ).all()
            ecards = session.scalars(select(ECard)).all()
            live = {
                c.person_id
                for c in session.scalars(select(HealthCard).where(HealthCard.status == "active"))
            }
            terminals = set(session.scalars(select(Terminal.code)))
            keys = session.scalars(select(ECardSigningKey.status)).all()
    finally:
        engine.dispose()
    assert set(states) == {
        "approved",
        "in_production",
        "produced",
        "issued",
        "active",
        "lost",
        "replaced",
        "cancelled",
    }
    assert [str(c.fee) for c in replaced] == ["25.00"]  # the reissue after a loss
    assert {e.person_id for e in ecards} == live
    assert all(e.status == "active" for e in ecards)
    assert {"YHD-REG-01", "KZX-CARD-01"} <= terminals
    assert keys == ["active"]


def test_clients_create_with_uses(cli_env: str) -> None:
    from healthcard.models import ApiClient
    from tests.factories import create_institution

    engine = make_engine(cli_env)
    with Session(engine) as session:
        institution_id = create_institution(session).id
    args = ["clients", "create", "--name", "自助缴费机", "--institution-id", str(institution_id)]
    args += ["--scope", "ecards.verify"]
    bad = runner.invoke(app, [*args, "--use", "teleport"])
    assert bad.exit_code == 1
    assert "uses" in bad.output
    ok = runner.invoke(app, [*args, "--use", "payment", "--use", "report"])
    assert ok.exit_code == 0, ok.output
    assert "client_secret:" in ok.output
    with Session(engine) as session:
        client = session.execute(
            select(ApiClient).where(ApiClient.name == "自助缴费机")
        ).scalar_one()
        assert client.uses == "payment report"
    engine.dispose()
