"""OAuth2 client credentials: tokens, scopes, expiry, revocation."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import time_machine
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from healthcard.core.config import Settings
from healthcard.models import AccessToken, ApiClient
from tests.factories import bearer, create_client, create_institution

SCOPES = ["institutions.read", "divisions.read"]


def test_token_and_api_call(client: TestClient, session: Session, settings: Settings) -> None:
    institution = create_institution(session, name="烟台测试医院")
    issued = create_client(session, settings, institution=institution, scopes=SCOPES)
    answer = client.post(
        "/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": issued.client.client_id,
            "client_secret": issued.secret,
        },
    )
    assert answer.status_code == 200
    body = answer.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    assert set(body["scope"].split()) == set(SCOPES)
    assert answer.headers["cache-control"] == "no-store"
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200
    assert me.json()["kind"] == "client"
    assert me.json()["institution_id"] == institution.id
    listed = client.get(
        "/api/v1/institutions", headers={"Authorization": f"Bearer {body['access_token']}"}
    )
    assert listed.status_code == 200
    assert [i["name"] for i in listed.json()["items"]] == ["烟台测试医院"]  # only its own
    # Only a digest of the secret and of the token is stored.
    row = session.execute(select(ApiClient).where(ApiClient.id == issued.client.id)).scalar_one()
    assert issued.secret not in row.secret_digest
    tokens = session.execute(select(AccessToken.token_digest)).scalars().all()
    assert body["access_token"] not in tokens


def test_http_basic_credentials(client: TestClient, session: Session, settings: Settings) -> None:
    issued = create_client(
        session, settings, institution=create_institution(session), scopes=SCOPES
    )
    basic = base64.b64encode(f"{issued.client.client_id}:{issued.secret}".encode()).decode()
    answer = client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        headers={"Authorization": f"Basic {basic}"},
    )
    assert answer.status_code == 200


def test_wrong_secret_unknown_client_and_grant(
    client: TestClient, session: Session, settings: Settings
) -> None:
    issued = create_client(
        session, settings, institution=create_institution(session), scopes=SCOPES
    )
    wrong = client.post(
        "/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": issued.client.client_id,
            "client_secret": "nope",
        },
    )
    assert wrong.status_code == 401
    assert wrong.json()["error"] == "invalid_client"
    unknown = client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials", "client_id": "hc_unknown", "client_secret": "x"},
    )
    assert unknown.status_code == 401
    grant = client.post(
        "/oauth/token", data={"grant_type": "password", "client_id": "a", "client_secret": "b"}
    )
    assert grant.status_code == 400
    assert grant.json()["error"] == "unsupported_grant_type"
    missing = client.post("/oauth/token", data={})
    assert missing.status_code == 422


def test_scope_must_be_granted(client: TestClient, session: Session, settings: Settings) -> None:
    issued = create_client(
        session, settings, institution=create_institution(session), scopes=["divisions.read"]
    )
    answer = client.post(
        "/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": issued.client.client_id,
            "client_secret": issued.secret,
            "scope": "divisions.read institutions.read",
        },
    )
    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_scope"
    headers = bearer(client, issued.client.client_id, issued.secret, "divisions.read")
    assert client.get("/api/v1/institutions", headers=headers).status_code == 403
    assert client.get("/api/v1/divisions", headers=headers).status_code == 200


def test_token_expires(client: TestClient, session: Session, settings: Settings) -> None:
    issued = create_client(
        session, settings, institution=create_institution(session), scopes=SCOPES
    )
    t0 = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)
    with time_machine.travel(t0, tick=False):
        headers = bearer(client, issued.client.client_id, issued.secret)
    with time_machine.travel(t0 + timedelta(minutes=59), tick=False):
        assert client.get("/api/v1/me", headers=headers).status_code == 200
    with time_machine.travel(t0 + timedelta(minutes=60, seconds=1), tick=False):
        expired = client.get("/api/v1/me", headers=headers)
        assert expired.status_code == 401
        assert expired.json()["code"] == "invalid_token"


def test_revoked_client_loses_tokens_at_once(
    client: TestClient, session: Session, settings: Settings
) -> None:
    from healthcard.accounts import service
    from tests.factories import SYSTEM

    issued = create_client(
        session, settings, institution=create_institution(session), scopes=SCOPES
    )
    headers = bearer(client, issued.client.client_id, issued.secret)
    service.revoke_client(session, actor=SYSTEM, pk=issued.client.id)
    session.commit()
    assert client.get("/api/v1/me", headers=headers).status_code == 401
    again = client.post(
        "/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": issued.client.client_id,
            "client_secret": issued.secret,
        },
    )
    assert again.status_code == 401


def test_malformed_authorization_header(client: TestClient) -> None:
    answer = client.get("/api/v1/me", headers={"Authorization": "Token abc"})
    assert answer.status_code == 401
    assert answer.json()["code"] == "malformed_authorization"
    garbage = client.get("/api/v1/me", headers={"Authorization": "Bearer not-a-real-token"})
    assert garbage.status_code == 401
    assert garbage.json()["code"] == "invalid_token"


def test_staff_only_permissions_cannot_be_given_to_clients(
    client: TestClient, session: Session, settings: Settings
) -> None:
    import pytest

    from healthcard.core.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as info:
        create_client(
            session, settings, institution=create_institution(session), scopes=["staff.manage"]
        )
    assert info.value.errors[0].field == "scopes"
