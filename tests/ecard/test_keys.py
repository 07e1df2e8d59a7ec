"""Issuer keys: the published list, rotation with old codes still verifying, retirement,
revocation, offline verification with only the published JSON, the master key, the CLI."""

from __future__ import annotations

import secrets
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from cryptography.exceptions import InvalidTag
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from healthcard.cli import app as cli_app
from healthcard.core.audit import AuditEvent
from healthcard.core.config import Settings, get_settings
from healthcard.core.db import utcnow
from healthcard.core.sm2 import SM2PrivateKey
from healthcard.ecard import qrtoken
from healthcard.ecard import service as ecard_service
from healthcard.ecard.exceptions import MasterKeyMissing, QrRefused
from healthcard.ecard.service import keys as keys_module
from healthcard.models import ECardSigningKey
from tests.ecard.conftest import Desk, rotate
from tests.factories import SYSTEM


def _published(client: TestClient) -> dict[str, object]:
    answer = client.get("/api/v1/ecards/keys")  # no credentials: the keys are public
    assert answer.status_code == 200
    return dict(answer.json())


def test_published_keys_document(desk: Desk) -> None:
    document = _published(TestClient(desk.client.app))
    assert document["issuer"] == desk.settings.ecard_issuer_code
    assert document["user_id"] == "1234567812345678"
    (key,) = document["keys"]  # type: ignore[misc]
    assert key["kid"] == desk.key.kid
    assert key["status"] == "active"
    point = bytes.fromhex(key["public_key_hex"])
    assert len(point) == 65
    assert point[0] == 4
    assert key["public_key_pem"].startswith("-----BEGIN PUBLIC KEY-----")
    assert key["fingerprint_sm3"].startswith(key["kid"])
    assert "private" not in str(document)


def test_offline_verification_with_only_the_published_keys(desk: Desk) -> None:
    payload = desk.code(desk.ecard()["id"])
    document = _published(desk.client)
    token = qrtoken.verify_offline(payload, document)
    assert token.claims.kind is qrtoken.Kind.DYNAMIC
    later = int(utcnow().timestamp()) + 61
    with pytest.raises(QrRefused) as expired:
        qrtoken.verify_offline(payload, document, now=later)
    assert expired.value.code == "qr_expired"


def test_rotation_keeps_old_codes_verifying_until_retired(desk: Desk, session: Session) -> None:
    ecard = desk.ecard()
    old_code = desk.code(ecard["id"])
    old_kid = desk.key.kid
    new = rotate(session, desk.settings)
    new_code = desk.code(ecard["id"])
    assert qrtoken.read(new_code).claims.kid == new.kid != old_kid
    document = _published(desk.client)
    statuses = {k["kid"]: k["status"] for k in document["keys"]}  # type: ignore[attr-defined]
    assert statuses == {old_kid: "retired", new.kid: "active"}
    assert qrtoken.verify_offline(old_code, document)
    assert desk.verify(old_code).status_code == 200
    assert desk.verify(new_code).status_code == 200
    ecard_service.retire(session, actor=SYSTEM, kid=old_kid)
    session.commit()
    with time_machine.travel(utcnow() + timedelta(seconds=1), tick=False):
        answer = desk.verify(desk.code(ecard["id"]))
        assert answer.status_code == 200  # new codes come from the new key
        third = desk.code(ecard["id"])
    assert qrtoken.read(third).claims.kid == new.kid
    with pytest.raises(QrRefused) as retired:
        qrtoken.verify_offline(old_code, _published(desk.client), now=int(utcnow().timestamp()) + 1)
    assert retired.value.code == "qr_key_retired"


def test_retired_key_stops_after_the_grace_period(desk: Desk, session: Session) -> None:
    ecard = desk.ecard()
    desk.client.patch(f"/api/v1/ecards/{ecard['id']}", json={"pin": "135790"}, headers=desk.headers)
    printed = desk.code(ecard["id"], static=True)
    rotate(session, desk.settings)
    assert desk.verify(printed, pin="135790").status_code == 200
    old = session.get(ECardSigningKey, desk.key.id)
    assert old is not None
    assert old.verify_until is not None
    grace = old.verify_until - utcnow()
    assert timedelta(days=29) < grace <= timedelta(days=desk.settings.ecard_key_grace_days)
    # The grace period ends (travelling 30 days would also expire the client's access token).
    old.verify_until = utcnow() - timedelta(seconds=1)
    session.commit()
    answer = desk.verify(printed, pin="135790")
    assert answer.json()["code"] == "qr_key_retired"


def test_revocation_stops_a_key_at_once(desk: Desk, session: Session) -> None:
    ecard = desk.ecard()
    code = desk.code(ecard["id"])
    rotate(session, desk.settings)
    ecard_service.revoke(session, actor=SYSTEM, kid=desk.key.kid, reason="泄露")
    session.commit()
    answer = desk.verify(code)
    assert answer.status_code == 401
    assert answer.json()["code"] == "qr_key_revoked"
    document = _published(desk.client)
    with pytest.raises(QrRefused) as refused:
        qrtoken.verify_offline(code, document)
    assert refused.value.code == "qr_key_revoked"
    actions = set(
        session.execute(
            select(AuditEvent.action).where(AuditEvent.action.startswith("ecard.key."))
        ).scalars()
    )
    assert {"ecard.key.rotate", "ecard.key.revoke"} <= actions


def test_revoking_the_active_key_leaves_no_signer(desk: Desk, session: Session) -> None:
    ecard_service.revoke(session, actor=SYSTEM, kid=desk.key.kid, reason="泄露")
    session.commit()
    answer = desk.post(f"/api/v1/ecards/{desk.ecard()['id']}/qrcode")
    assert answer.status_code == 503
    assert answer.json()["code"] == "no_signing_key"


def test_private_keys_are_sealed_under_the_master_key(
    desk: Desk, session: Session, settings: Settings, tmp_path: Path
) -> None:
    row = session.get(ECardSigningKey, desk.key.id)
    assert row is not None
    assert "PRIVATE" not in row.private_key_sealed
    assert row.private_key_sealed.startswith("v1.")
    other_key = tmp_path / "other.key"
    other_key.write_text(secrets.token_hex(16))
    keys_module._private_cache.clear()
    wrong = settings.model_copy(update={"master_key_file": other_key})
    with pytest.raises(InvalidTag):  # another master key cannot unseal it
        keys_module.signing_key(session, settings=wrong)
    keys_module._private_cache.clear()
    kid, key = keys_module.signing_key(session, settings=settings)
    assert key.public_key().to_uncompressed().hex() == row.public_key
    assert isinstance(key, SM2PrivateKey)
    assert kid == row.kid


def test_development_master_key_is_created_0600(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, database_url: str
) -> None:
    monkeypatch.chdir(tmp_path)
    settings = Settings(environment="development", database_url=database_url)
    key = ecard_service.master_key(settings)
    path = tmp_path / "var" / "master.key"
    assert len(key) == 16
    assert path.stat().st_mode & 0o777 == 0o600
    assert ecard_service.master_key(settings) == key
    production = Settings(environment="production", database_url=database_url, secret_key="x" * 40)
    with pytest.raises(MasterKeyMissing):
        ecard_service.master_key(production)


runner = CliRunner()


def test_keys_cli(
    scratch_database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    key_file = tmp_path / "master.key"
    key_file.write_text(secrets.token_hex(16))
    monkeypatch.setenv("HEALTHCARD_DATABASE_URL", scratch_database_url)
    monkeypatch.setenv("HEALTHCARD_ENVIRONMENT", "test")
    monkeypatch.setenv("HEALTHCARD_MASTER_KEY_FILE", str(key_file))
    get_settings.cache_clear()
    try:
        first = runner.invoke(cli_app, ["keys", "rotate"])
        assert first.exit_code == 0, first.output
        assert runner.invoke(cli_app, ["keys", "rotate"]).exit_code == 0
        listed = runner.invoke(cli_app, ["keys", "list"])
        assert listed.exit_code == 0
        assert "retired" in listed.output
        assert "active" in listed.output
        from healthcard.core.db import make_engine

        engine = make_engine(scratch_database_url)
        with Session(engine) as s:
            keys = list(s.execute(select(ECardSigningKey).order_by(ECardSigningKey.id)).scalars())
        engine.dispose()
        old, new = keys[0].kid, keys[1].kid
        refused = runner.invoke(cli_app, ["keys", "retire", new])
        assert refused.exit_code == 1
        assert runner.invoke(cli_app, ["keys", "retire", old]).exit_code == 0
        assert runner.invoke(cli_app, ["keys", "revoke", old, "--reason", "测试"]).exit_code == 0
        assert runner.invoke(cli_app, ["keys", "revoke", "nope0000"]).exit_code == 1
    finally:
        get_settings.cache_clear()
