"""Staff accounts, roles and the password policy."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from healthcard.accounts import service
from healthcard.accounts.exceptions import WeakPassword
from healthcard.accounts.service.passwords import check_policy, hash_password, verify_password
from healthcard.core.errors import AppError
from healthcard.models import StaffSession, StaffUser
from tests.factories import PASSWORD, create_institution, create_staff, login


@pytest.mark.parametrize(
    "password",
    ["Sh0rt!", "alllowercase1", "ALLUPPER123", "NoDigitsHere", "12345678!", "Alice!2026x"],
)
def test_weak_passwords_are_refused(password: str) -> None:
    with pytest.raises(WeakPassword):
        check_policy(password, username="alice")


@pytest.mark.parametrize(
    "password", ["Abcdefg1", "abcdef1!", "ABCDEF1!", "Abcdefg!", "长城Ab1!xyz"]
)
def test_good_passwords_pass(password: str) -> None:
    check_policy(password, username="bob")


def test_passwords_are_argon2_hashes() -> None:
    hashed = hash_password(PASSWORD)
    assert hashed.startswith("$argon2id$")
    assert verify_password(hashed, PASSWORD)
    assert not verify_password(hashed, PASSWORD + "x")
    assert not verify_password(None, PASSWORD)


def test_institution_admin_limits(client: TestClient, session: Session) -> None:
    mine = create_institution(session)
    other = create_institution(session)
    create_staff(session, username="instadm", roles=["institution_admin"], institution=mine)
    login(client, "instadm")
    base = {"display_name": "新医生", "password": PASSWORD, "roles": "doctor"}
    ok = client.post(
        "/console/staff/new",
        data={**base, "username": "newdoc", "institution_id": mine.id},
        follow_redirects=False,
    )
    assert ok.status_code == 303
    elsewhere = client.post(
        "/console/staff/new", data={**base, "username": "newdoc2", "institution_id": other.id}
    )
    assert elsewhere.status_code == 422
    assert "只能管理本机构" in elsewhere.text
    too_high = client.post(
        "/console/staff/new",
        data={**base, "username": "newdoc3", "institution_id": mine.id, "roles": "system_admin"},
    )
    assert too_high.status_code == 422
    assert "不能授予全平台角色" in too_high.text
    listed = client.get("/console/staff")
    assert "newdoc" in listed.text
    assert "sysadmin" not in listed.text


def test_staff_form_errors(client: TestClient, session: Session) -> None:
    create_staff(session, username="root", roles=["system_admin"])
    login(client, "root")
    institution = create_institution(session)
    answer = client.post(
        "/console/staff/new",
        data={
            "username": "Bad Name",
            "display_name": "",
            "institution_id": institution.id,
            "password": "weak",
        },
    )
    assert answer.status_code == 422
    for field in ("username", "display_name", "roles"):
        assert f'data-field="{field}"' in answer.text, field
    assert 'value="weak"' not in answer.text
    duplicate = client.post(
        "/console/staff/new",
        data={
            "username": "root",
            "display_name": "重复",
            "institution_id": institution.id,
            "password": PASSWORD,
            "roles": "doctor",
        },
    )
    assert "已被使用" in duplicate.text


def test_deactivating_ends_sessions(client: TestClient, session: Session, app: object) -> None:
    from fastapi.testclient import TestClient as Browser

    institution = create_institution(session)
    target = create_staff(session, username="leaving", roles=["doctor"], institution=institution)
    with Browser(app) as other:  # type: ignore[arg-type]
        login(other, "leaving")
        assert other.get("/console").status_code == 200
        create_staff(session, username="boss", roles=["institution_admin"], institution=institution)
        login(client, "boss")
        client.post(f"/console/staff/{target.user.id}/active", data={"active": "0"})
        assert other.get("/console", follow_redirects=False).status_code == 303
    sessions = session.execute(
        select(StaffSession).where(StaffSession.user_id == target.user.id)
    ).scalars()
    assert all(s.ended_at is not None for s in sessions)
    assert login(client, "leaving").status_code == 401


def test_unlock_and_password_reset(client: TestClient, session: Session) -> None:
    institution = create_institution(session)
    target = create_staff(session, username="forgetful", roles=["nurse"], institution=institution)
    for _ in range(5):
        login(client, "forgetful", "Wrong!Passw0rd")
    create_staff(session, username="boss2", roles=["institution_admin"], institution=institution)
    login(client, "boss2")
    page = client.get(f"/console/staff/{target.user.id}")
    assert 'data-testid="locked"' in page.text
    client.post(f"/console/staff/{target.user.id}/unlock")
    weak = client.post(f"/console/staff/{target.user.id}/password", data={"new_password": "abc"})
    assert weak.status_code == 422
    client.post(f"/console/staff/{target.user.id}/password", data={"new_password": "N3w!Password"})
    client.post("/logout")
    assert login(client, "forgetful", "N3w!Password").status_code == 303
    user = session.execute(select(StaffUser).where(StaffUser.username == "forgetful")).scalar_one()
    session.refresh(user)
    assert user.locked_until is None


def test_roles_can_be_created_changed_and_removed(client: TestClient, session: Session) -> None:
    create_staff(session, username="rootr", roles=["system_admin"])
    login(client, "rootr")
    created = client.post(
        "/console/roles",
        data={
            "code": "records_clerk",
            "name": "档案员",
            "permissions": ["divisions.read", "institutions.read"],
        },
    )
    assert created.status_code == 200
    assert "records_clerk" in created.text
    bad = client.post(
        "/console/roles", data={"code": "x1_role", "name": "坏", "permissions": ["no.such"]}
    )
    assert bad.status_code == 422
    assert "未知的权限" in bad.text
    roles = {r.code: grants for r, grants in service.list_roles(session)}
    assert roles["records_clerk"] == {"divisions.read", "institutions.read"}
    client.post(
        "/console/roles/records_clerk/permissions", data={"permissions": ["divisions.read"]}
    )
    roles = {r.code: grants for r, grants in service.list_roles(session)}
    assert roles["records_clerk"] == {"divisions.read"}
    builtin = client.post("/console/roles/doctor/delete")
    assert builtin.status_code == 409
    assert client.post("/console/roles/records_clerk/delete").status_code == 200
    assert "records_clerk" not in {r.code: g for r, g in service.list_roles(session)}


def test_every_builtin_role_exists_with_permissions(session: Session) -> None:
    roles = {r.code: grants for r, grants in service.list_roles(session)}
    expected = {
        "system_admin",
        "card_operator",
        "institution_admin",
        "doctor",
        "nurse",
        "public_health_worker",
        "cashier",
        "auditor",
    }
    assert expected <= set(roles)
    assert "audit.export" in roles["auditor"]
    assert "audit.export" not in roles["system_admin"]  # separation of duties
    assert "staff.manage" in roles["institution_admin"]
    assert all("account.self" in grants for code, grants in roles.items() if code in expected)


def test_service_refuses_unknown_role(session: Session) -> None:
    from healthcard.accounts.schemas import StaffIn
    from tests.factories import SYSTEM

    with pytest.raises(AppError) as info:
        service.create_staff(
            session,
            actor=SYSTEM,
            data=StaffIn(
                username="ghost",
                display_name="幽灵",
                institution_id=create_institution(session).id,
                roles=["wizard"],
                password=PASSWORD,
            ),
        )
    assert info.value.errors[0].code == "unknown_role"
