"""Console login: lockout, idle expiry, TOTP, logout — as a browser sees them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pyotp
import time_machine
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from healthcard.core.audit import AuditEvent
from healthcard.models import StaffUser
from tests.factories import PASSWORD, create_staff, login


def _actions(session: Session) -> list[str]:
    return list(session.execute(select(AuditEvent.action).order_by(AuditEvent.id)).scalars())


def test_login_success_sets_cookie_and_shows_console(client: TestClient, session: Session) -> None:
    create_staff(session, username="alice", roles=["doctor"], display_name="张爱丽")
    answer = login(client, "alice")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/console"
    assert "hc_session" in answer.cookies
    home = client.get("/console")
    assert home.status_code == 200
    assert "张爱丽" in home.text
    assert "login.success" in _actions(session)


def test_wrong_password_is_refused_and_audited(client: TestClient, session: Session) -> None:
    create_staff(session, username="bob", roles=["nurse"])
    answer = login(client, "bob", "Wrong!Passw0rd")
    assert answer.status_code == 401
    assert "用户名或密码错误" in answer.text
    assert "hc_session" not in answer.cookies
    failures = (
        session.execute(select(AuditEvent).where(AuditEvent.action == "login.failed"))
        .scalars()
        .all()
    )
    assert len(failures) == 1
    assert failures[0].outcome == "failure"


def test_unknown_user_gets_same_message(client: TestClient, session: Session) -> None:
    answer = login(client, "nobody", PASSWORD)
    assert answer.status_code == 401
    assert "用户名或密码错误" in answer.text
    event = session.execute(
        select(AuditEvent).where(AuditEvent.action == "login.failed")
    ).scalar_one()
    assert event.actor_name == "nobody"


def test_five_failures_lock_for_fifteen_minutes(client: TestClient, session: Session) -> None:
    create_staff(session, username="carol", roles=["doctor"])
    start = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False):
        for attempt in range(4):
            answer = login(client, "carol", "Wrong!Passw0rd")
            assert answer.status_code == 401, attempt
        assert "再失败 1 次" in answer.text
        fifth = login(client, "carol", "Wrong!Passw0rd")
        assert fifth.status_code == 423
        assert "账户已锁定" in fifth.text
        # The right password does not open a locked account.
        locked = login(client, "carol")
        assert locked.status_code == 423
        assert "hc_session" not in locked.cookies
    with time_machine.travel(start + timedelta(minutes=14, seconds=59), tick=False):
        assert login(client, "carol").status_code == 423
    with time_machine.travel(start + timedelta(minutes=15, seconds=1), tick=False):
        assert login(client, "carol").status_code == 303
    actions = _actions(session)
    assert actions.count("login.failed") == 5
    assert "account.locked" in actions
    assert "login.locked" in actions


def test_idle_session_expires_after_thirty_minutes(client: TestClient, session: Session) -> None:
    create_staff(session, username="dave", roles=["doctor"])
    start = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False):
        assert login(client, "dave").status_code == 303
    with time_machine.travel(start + timedelta(minutes=29), tick=False):
        assert client.get("/console").status_code == 200  # activity resets the idle clock
    with time_machine.travel(start + timedelta(minutes=58), tick=False):
        assert client.get("/console").status_code == 200
    with time_machine.travel(start + timedelta(minutes=88, seconds=1), tick=False):
        answer = client.get("/console", follow_redirects=False)
        assert answer.status_code == 303
        assert answer.headers["location"].startswith("/login?next=%2Fconsole")
        assert "expired=1" in answer.headers["location"]
        page = client.get(answer.headers["location"])
        assert "会话已超时" in page.text
    assert "session.expired" in _actions(session)


def test_logout_ends_the_session(client: TestClient, session: Session) -> None:
    create_staff(session, username="erin", roles=["doctor"])
    login(client, "erin")
    cookie = client.cookies.get("hc_session")
    answer = client.post("/logout", follow_redirects=False)
    assert answer.status_code == 303
    client.cookies.set("hc_session", cookie or "")
    assert client.get("/console", follow_redirects=False).status_code == 303
    assert "logout" in _actions(session)


def _enrol_totp(client: TestClient, session: Session, username: str) -> pyotp.TOTP:
    page = client.get("/console/account/totp")
    assert page.status_code == 200
    assert "<svg" in page.text
    user = session.execute(select(StaffUser).where(StaffUser.username == username)).scalar_one()
    session.refresh(user)
    marker = 'data-testid="totp-secret">'
    secret = page.text.split(marker, 1)[1].split("<", 1)[0]
    totp = pyotp.TOTP(secret)
    done = client.post("/console/account/totp", data={"code": totp.now()}, follow_redirects=False)
    assert done.status_code == 303
    return totp


def test_totp_second_factor(client: TestClient, session: Session) -> None:
    create_staff(session, username="frank", roles=["doctor"])
    t0 = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
    with time_machine.travel(t0, tick=False):
        login(client, "frank")
        totp = _enrol_totp(client, session, "frank")
        client.post("/logout")
    with time_machine.travel(t0 + timedelta(minutes=5), tick=False):
        answer = login(client, "frank")
        assert answer.status_code == 303
        assert answer.headers["location"].startswith("/login/totp")
        # Password alone is not a login: the console still asks to log in.
        assert client.get("/console", follow_redirects=False).status_code == 303
        wrong = client.post("/login/totp", data={"code": "000000", "next": "/console"})
        assert wrong.status_code == 401
        assert "动态验证码不正确" in wrong.text
        right = client.post(
            "/login/totp", data={"code": totp.now(), "next": "/console"}, follow_redirects=False
        )
        assert right.status_code == 303
        assert client.get("/console").status_code == 200
        # The same code cannot be replayed for another login.
        client.post("/logout")
        login(client, "frank")
        replay = client.post("/login/totp", data={"code": totp.now(), "next": "/console"})
        assert replay.status_code == 401
    actions = _actions(session)
    assert "totp.enrolled" in actions
    assert "login.totp_failed" in actions


def test_admins_must_enrol_totp_when_required(
    client: TestClient, session: Session, settings: object
) -> None:
    settings.require_totp_for_admins = True  # type: ignore[attr-defined]
    create_staff(session, username="grace", roles=["system_admin"])
    answer = login(client, "grace")
    assert answer.headers["location"] == "/console/account/totp?required=1"
    # Until enrolled, an administrator can reach nothing but their own account.
    assert client.get("/console/institutions").status_code == 403
    totp = _enrol_totp(client, session, "grace")
    assert client.get("/console/institutions").status_code == 200
    assert totp.now()


def test_next_parameter_cannot_redirect_off_site(client: TestClient, session: Session) -> None:
    create_staff(session, username="heidi", roles=["doctor"])
    answer = client.post(
        "/login",
        data={"username": "heidi", "password": PASSWORD, "next": "//evil.example/phish"},
        follow_redirects=False,
    )
    assert answer.headers["location"] == "/console"
