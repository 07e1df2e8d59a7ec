"""Every error answers in the caller's language: problem JSON, OperationOutcome, htmx partial."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from healthcard.core.config import Settings
from tests.factories import bearer, create_client, create_institution


def _token(client: TestClient, session: Session, settings: Settings) -> dict[str, str]:
    institution = create_institution(session)
    issued = create_client(
        session, settings, institution=institution, scopes=["institutions.read", "divisions.read"]
    )
    return bearer(client, issued.client.client_id, issued.secret)


def test_unknown_route_is_problem_json(client: TestClient) -> None:
    answer = client.get("/api/v1/nothing-here")
    assert answer.status_code == 404
    assert answer.headers["content-type"] == "application/problem+json"
    body = answer.json()
    assert body["code"] == "not_found"
    assert body["status"] == 404
    assert body["request_id"] == answer.headers["x-request-id"]


def test_missing_credentials_is_401_with_challenge(client: TestClient) -> None:
    answer = client.get("/api/v1/institutions")
    assert answer.status_code == 401
    assert answer.json()["code"] == "not_authenticated"
    assert answer.headers["www-authenticate"].startswith("Bearer")


def test_malformed_json_is_400(client: TestClient, session: Session, settings: Settings) -> None:
    headers = _token(client, session, settings) | {"Content-Type": "application/json"}
    answer = client.post("/api/v1/institutions", content=b'{"name": "x",', headers=headers)
    # The body is parsed before permissions are checked: malformed is a 400 whoever sends it.
    assert answer.status_code == 400
    assert answer.json()["code"] == "malformed_json"


def test_body_errors_name_the_field(client: TestClient, session: Session) -> None:
    from tests.factories import create_staff, login

    create_staff(session, username="root1", roles=["system_admin"])
    login(client, "root1")
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    malformed = client.post("/api/v1/institutions", content=b'{"name": ', headers=headers)
    assert malformed.status_code == 400
    assert malformed.json()["code"] == "malformed_json"
    payload = {
        "uscc": "12370602494000001X",
        "name": "好医院",
        "kind": "hospital",
        "division_code": 370602,
        "colour": "blue",
    }
    answer = client.post("/api/v1/institutions", json=payload, headers=headers)
    assert answer.status_code == 422
    body = answer.json()
    assert body["code"] == "validation_failed"
    fields = {e["field"]: e for e in body["errors"]}
    assert fields["body.colour"]["code"] == "extra_forbidden"
    assert fields["body.division_code"]["code"] == "string_type"
    assert "统一社会信用代码" in fields["body.uscc"]["message"]


def test_body_over_one_mebibyte_is_413(client: TestClient) -> None:
    answer = client.post(
        "/api/v1/institutions",
        content=b"{" + b" " * (1024 * 1024 + 10) + b"}",
        headers={"Content-Type": "application/json"},
    )
    assert answer.status_code == 413
    assert answer.json()["code"] == "payload_too_large"


def test_streamed_body_over_limit_is_413(client: TestClient) -> None:
    def chunks():  # no Content-Length: the limit is enforced while reading
        for _ in range(20):
            yield b"x" * 65536

    answer = client.post(
        "/api/v1/institutions", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert answer.status_code == 413


def test_wrong_method_is_405(client: TestClient) -> None:
    answer = client.delete("/healthz")
    assert answer.status_code == 405
    assert answer.json()["code"] == "method_not_allowed"


def test_fhir_errors_are_operation_outcomes(client: TestClient) -> None:
    answer = client.get("/fhir/Nothing/1")
    assert answer.status_code == 404
    assert answer.headers["content-type"].startswith("application/fhir+json")
    body = answer.json()
    assert body["resourceType"] == "OperationOutcome"
    assert body["issue"][0]["code"] == "not-found"
    assert body["issue"][0]["details"]["coding"][0]["code"] == "not_found"


def test_htmx_errors_are_partials(client: TestClient, session: Session) -> None:
    from tests.factories import create_staff, login

    create_staff(session, username="doc1", roles=["doctor"])
    login(client, "doc1")
    answer = client.get("/console/roles", headers={"HX-Request": "true"})
    assert answer.status_code == 403
    assert answer.headers["content-type"].startswith("text/html")
    assert answer.headers["hx-retarget"] == "#flash"
    assert 'class="alert error"' in answer.text
    assert "<html" not in answer.text


def test_browser_gets_error_page_and_login_redirect(client: TestClient, session: Session) -> None:
    answer = client.get("/console/staff", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/login?next=%2Fconsole%2Fstaff"
    from tests.factories import create_staff, login

    create_staff(session, username="doc2", roles=["doctor"])
    login(client, "doc2")
    page = client.get("/console/staff", headers={"Accept": "text/html"})
    assert page.status_code == 403
    assert "<html" in page.text
    assert "权限" in page.text


def test_cross_site_form_post_is_refused(client: TestClient, session: Session) -> None:
    from tests.factories import create_staff, login

    create_staff(session, username="root2", roles=["system_admin"])
    login(client, "root2")
    answer = client.post(
        "/console/roles",
        data={"code": "evil_role", "name": "x"},
        headers={"Origin": "https://evil.example"},
    )
    assert answer.status_code == 403
    assert answer.json()["code"] == "cross_origin"


def test_denied_access_is_audited_even_though_rolled_back(
    client: TestClient, session: Session
) -> None:
    from sqlalchemy import select

    from healthcard.core.audit import AuditEvent
    from tests.factories import create_staff, login

    view = create_staff(session, username="doc3", roles=["doctor"])
    login(client, "doc3")
    client.get("/console/clients")
    event = session.execute(
        select(AuditEvent).where(AuditEvent.action == "access.denied")
    ).scalar_one()
    assert event.outcome == "denied"
    assert event.actor_id == view.user.id
    assert event.resource_id == "clients.manage"
    assert json.loads(event.detail) == {}
