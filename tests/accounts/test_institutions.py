"""Institutions and departments through the API and the console, with their rules."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from healthcard.core.audit import AuditEvent
from tests.factories import create_institution, create_staff, login, make_uscc

JSON = {"Accept": "application/json"}


@pytest.fixture
def admin(client: TestClient, session: Session) -> TestClient:
    create_staff(session, username="sysadmin", roles=["system_admin"])
    login(client, "sysadmin")
    return client


def _payload(**overrides: object) -> dict[str, object]:
    body: dict[str, object] = {
        "uscc": make_uscc(),
        "name": "烟台市蓬莱区人民医院",
        "kind": "hospital",
        "hospital_level": "2A",
        "division_code": "370614",
    }
    body.update(overrides)
    return body


def test_create_and_read_institution(admin: TestClient, session: Session) -> None:
    answer = admin.post("/api/v1/institutions", json=_payload(), headers=JSON)
    assert answer.status_code == 201, answer.text
    created = answer.json()
    assert created["hospital_level"] == "2A"
    again = admin.get(f"/api/v1/institutions/{created['id']}", headers=JSON)
    assert again.json()["name"] == "烟台市蓬莱区人民医院"
    event = (
        session.execute(select(AuditEvent).where(AuditEvent.action == "institution.create"))
        .scalars()
        .all()[-1]
    )
    assert event.resource_id == str(created["id"])


@pytest.mark.parametrize(
    ("override", "field", "code"),
    [
        ({"uscc": "12370602494000001A"}, "body.uscc", "value_error"),
        ({"uscc": "123"}, "body.uscc", "value_error"),
        (
            {"division_code": "370634"},
            "division_code",
            "unknown_division",
        ),  # 长岛县, abolished 2020
        ({"division_code": "999999"}, "division_code", "unknown_division"),
        ({"kind": "cdc", "hospital_level": "3A"}, "hospital_level", "invalid"),
        ({"kind": "spa"}, "body.kind", "enum"),
        ({"parent_id": 999999}, "parent_id", "unknown_parent"),
        ({"name": "x"}, "body.name", "string_too_short"),
        ({"name": "医" * 201}, "body.name", "string_too_long"),
    ],
)
def test_invalid_institutions_are_refused(
    admin: TestClient, override: dict[str, object], field: str, code: str
) -> None:
    answer = admin.post("/api/v1/institutions", json=_payload(**override), headers=JSON)
    assert answer.status_code == 422, answer.text
    errors = {e["field"]: e for e in answer.json()["errors"]}
    assert errors[field]["code"] == code
    assert errors[field]["message"]


def test_abolished_division_message_names_the_year(admin: TestClient) -> None:
    answer = admin.post("/api/v1/institutions", json=_payload(division_code="370634"), headers=JSON)
    assert "2020" in answer.json()["errors"][0]["message"]


def test_duplicate_credit_code_is_409(admin: TestClient, session: Session) -> None:
    existing = create_institution(session)
    answer = admin.post("/api/v1/institutions", json=_payload(uscc=existing.uscc), headers=JSON)
    assert answer.status_code == 409
    assert answer.json()["errors"][0]["field"] == "uscc"


def test_parent_cannot_be_a_descendant(admin: TestClient, session: Session) -> None:
    root = create_institution(session, kind="health_commission", division_code="370600")
    child = create_institution(session, parent_id=root.id)
    answer = admin.patch(
        f"/api/v1/institutions/{root.id}", json={"parent_id": child.id}, headers=JSON
    )
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["code"] == "parent_cycle"


def test_institution_admin_sees_and_manages_only_their_own(
    client: TestClient, session: Session
) -> None:
    mine = create_institution(session, name="我的医院")
    other = create_institution(session, name="别人的医院")
    create_staff(session, username="instadmin", roles=["institution_admin"], institution=mine)
    login(client, "instadmin")
    listed = client.get("/api/v1/institutions", headers=JSON).json()
    assert [i["name"] for i in listed["items"]] == ["我的医院"]
    assert client.get(f"/api/v1/institutions/{other.id}", headers=JSON).status_code == 404
    ok = client.post(
        f"/api/v1/institutions/{mine.id}/departments",
        json={"code": "NK", "name": "内科"},
        headers=JSON,
    )
    assert ok.status_code == 201
    dup = client.post(
        f"/api/v1/institutions/{mine.id}/departments",
        json={"code": "NK", "name": "内科二"},
        headers=JSON,
    )
    assert dup.status_code == 409
    theirs = client.post(
        f"/api/v1/institutions/{other.id}/departments",
        json={"code": "NK", "name": "内科"},
        headers=JSON,
    )
    assert theirs.status_code == 403
    assert client.post("/api/v1/institutions", json=_payload(), headers=JSON).status_code == 403


def test_console_form_shows_field_errors_and_keeps_input(admin: TestClient) -> None:
    answer = admin.post(
        "/console/institutions/new",
        data={
            "uscc": "12370602494000001A",
            "name": "表单测试医院",
            "kind": "hospital",
            "division_code": "370602",
        },
    )
    assert answer.status_code == 422
    assert 'data-field="uscc"' in answer.text
    assert "校验位不正确" in answer.text
    assert 'value="表单测试医院"' in answer.text


def test_console_creates_institution_and_department(admin: TestClient) -> None:
    created = admin.post(
        "/console/institutions/new",
        data={
            "uscc": make_uscc(),
            "name": "表单医院",
            "kind": "hospital",
            "hospital_level": "3A",
            "division_code": "370602",
            "address": "芝罘区毓璜顶东路20号",
        },
        follow_redirects=False,
    )
    assert created.status_code == 303
    page = admin.get(created.headers["location"])
    assert "表单医院" in page.text
    assert "山东省 / 烟台市 / 芝罘区" in page.text
    url = created.headers["location"].split("?")[0]
    added = admin.post(f"{url}/departments", data={"code": "ER", "name": "急诊科"})
    assert "急诊科" in added.text
    edited = admin.post(
        f"{url}/edit",
        data={"name": "表单医院（新）", "kind": "hospital", "division_code": "370602"},
        follow_redirects=True,
    )
    assert "表单医院（新）" in edited.text
    assert "芝罘区毓璜顶东路20号" not in edited.text  # an emptied field is cleared
