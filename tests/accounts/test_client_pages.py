"""The console page of institution systems (接入系统, APP接入管理): credentials, scopes and the
uses a system may verify codes for."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from healthcard.models import ApiClient
from tests.factories import create_institution, create_staff, login


def test_admin_registers_a_system_limited_to_some_uses(
    client: TestClient, session: Session
) -> None:
    hospital = create_institution(session, name="页面测试医院")
    create_staff(session, username="sysadmin1", roles=["system_admin"], institution=hospital)
    login(client, "sysadmin1")
    page = client.get("/console/clients")
    assert page.status_code == 200
    assert 'name="uses" value="payment"' in page.text
    created = client.post(
        "/console/clients",
        data={
            "name": "自助缴费机",
            "institution_id": str(hospital.id),
            "scopes": ["ecards.verify"],
            "uses": ["payment", "report"],
        },
    )
    assert created.status_code == 200, created.text
    assert 'data-testid="client-secret"' in created.text
    stored = session.execute(select(ApiClient).where(ApiClient.name == "自助缴费机")).scalar_one()
    assert stored.uses == "payment report"
    assert "缴费、取报告" in created.text
    refused = client.post(
        "/console/clients",
        data={
            "name": "乱填的系统",
            "institution_id": str(hospital.id),
            "scopes": ["ecards.verify"],
            "uses": ["teleport"],
        },
    )
    assert refused.status_code == 422
    assert 'data-field="uses"' in refused.text
