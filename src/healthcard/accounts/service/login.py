"""Console login: passwords, lockout, TOTP second factor, idle-expiring sessions."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal, NoReturn

import pyotp
import segno
from sqlalchemy.orm import Session

from healthcard.accounts import repository
from healthcard.accounts.exceptions import (
    AccountLocked,
    InvalidCredentials,
    InvalidTotp,
    StaffNotFound,
)
from healthcard.accounts.permissions import ACCOUNT_SELF
from healthcard.accounts.service.passwords import (
    check_policy,
    hash_password,
    needs_rehash,
    verify_password,
)
from healthcard.core import audit
from healthcard.core.config import Settings
from healthcard.core.crypto import derive_key, new_token, seal, token_digest, unseal
from healthcard.core.db import utcnow
from healthcard.core.principal import Principal
from healthcard.models import StaffSession, StaffUser

NextStep = Literal["done", "totp", "enrol_totp"]
TOTP_ISSUER = "居民健康卡平台"
LAST_SEEN_GRANULARITY = timedelta(seconds=30)


@dataclass(frozen=True)
class LoginOutcome:
    """A started session: the cookie token to hand out and what the user must do next."""

    token: str
    user: StaffUser
    next_step: NextStep


def _user(session: Session, user_id: int) -> StaffUser:
    user = repository.get_staff(session, user_id)
    if user is None:
        raise StaffNotFound()
    return user


def _label(user: StaffUser) -> Principal:
    return Principal(
        kind="staff", id=user.id, name=user.display_name, institution_id=user.institution_id
    )


def login(
    session: Session,
    *,
    settings: Settings,
    username: str,
    password: str,
    client_address: str | None = None,
    user_agent: str | None = None,
) -> LoginOutcome:
    """Check a username and password; lock the account after repeated failures.

    Failures are recorded (counter, audit entry) in the caller's transaction, which the caller
    commits even though the login failed.
    """
    now = utcnow()
    user = repository.staff_by_username(session, username.strip().lower())
    if user is not None and user.locked_until is not None and user.locked_until > now:
        audit.record(
            session,
            actor=_label(user),
            action="login.locked",
            resource_type="StaffUser",
            resource_id=user.id,
            outcome="denied",
        )
        minutes = max(1, int((user.locked_until - now).total_seconds() // 60) + 1)
        raise AccountLocked(user.locked_until, minutes)
    valid = verify_password(user.password_hash if user else None, password)
    if user is None or not valid or not user.active:
        _record_failure(session, settings=settings, user=user, username=username, now=now)
    user.failed_logins = 0
    user.locked_until = None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    next_step = _next_step(session, settings=settings, user=user)
    token = new_token()
    session.add(
        StaffSession(
            token_digest=token_digest(settings.secret_key, token),
            user_id=user.id,
            created_at=now,
            last_seen_at=now,
            second_factor_passed=next_step != "totp",
            client_address=client_address,
            user_agent=(user_agent or "")[:300],
        )
    )
    if next_step != "totp":
        user.last_login_at = now
        audit.record(
            session,
            actor=_label(user),
            action="login.success",
            resource_type="StaffUser",
            resource_id=user.id,
        )
    session.flush()
    return LoginOutcome(token=token, user=user, next_step=next_step)


def _record_failure(
    session: Session, *, settings: Settings, user: StaffUser | None, username: str, now: datetime
) -> NoReturn:
    if user is None:
        audit.record(
            session,
            actor=None,
            actor_name=username[:200],
            action="login.failed",
            resource_type="StaffUser",
            outcome="failure",
            detail={"reason": "unknown_user"},
        )
        raise InvalidCredentials()
    user.failed_logins += 1
    remaining = settings.login_max_failures - user.failed_logins
    reason = "inactive" if not user.active else "bad_password"
    audit.record(
        session,
        actor=_label(user),
        action="login.failed",
        resource_type="StaffUser",
        resource_id=user.id,
        outcome="failure",
        detail={"reason": reason, "count": user.failed_logins},
    )
    if remaining <= 0:
        user.locked_until = now + timedelta(minutes=settings.login_lockout_minutes)
        user.failed_logins = 0
        audit.record(
            session,
            actor=_label(user),
            action="account.locked",
            resource_type="StaffUser",
            resource_id=user.id,
            outcome="denied",
            detail={"minutes": settings.login_lockout_minutes},
        )
        session.flush()
        raise AccountLocked(user.locked_until, settings.login_lockout_minutes)
    session.flush()
    raise InvalidCredentials(remaining if user.active else None)


def _next_step(session: Session, *, settings: Settings, user: StaffUser) -> NextStep:
    if user.totp_enabled:
        return "totp"
    if settings.require_totp_for_admins and _is_admin(session, user):
        return "enrol_totp"
    return "done"


def _is_admin(session: Session, user: StaffUser) -> bool:
    return any(role.is_admin for role in repository.staff_role_rows(session, user.id))


def logout(session: Session, *, settings: Settings, token: str) -> None:
    """End the session the cookie names (idempotent)."""
    row = repository.session_by_digest(session, token_digest(settings.secret_key, token))
    if row is None or row.ended_at is not None:
        return
    row.ended_at = utcnow()
    row.ended_reason = "logout"
    user = repository.get_staff(session, row.user_id)
    audit.record(
        session,
        actor=_label(user) if user else None,
        action="logout",
        resource_type="StaffUser",
        resource_id=row.user_id,
    )


@dataclass(frozen=True)
class SessionState:
    """What a cookie token stands for now."""

    principal: Principal | None
    status: Literal["active", "missing", "ended", "idle", "totp_pending"]
    user: StaffUser | None = None


def resolve_session(session: Session, *, settings: Settings, token: str) -> SessionState:
    """The principal of a console session, ending it if it sat idle too long."""
    row = repository.session_by_digest(session, token_digest(settings.secret_key, token))
    if row is None:
        return SessionState(None, "missing")
    if row.ended_at is not None:
        return SessionState(None, "ended")
    now = utcnow()
    user = repository.get_staff(session, row.user_id)
    if user is None or not user.active:
        return SessionState(None, "ended")
    if now - row.last_seen_at > timedelta(minutes=settings.session_idle_minutes):
        row.ended_at = now
        row.ended_reason = "idle"
        audit.record(
            session,
            actor=_label(user),
            action="session.expired",
            resource_type="StaffUser",
            resource_id=user.id,
            detail={"idle_minutes": settings.session_idle_minutes},
        )
        return SessionState(None, "idle", user)
    if not row.second_factor_passed:
        return SessionState(None, "totp_pending", user)
    if now - row.last_seen_at > LAST_SEEN_GRANULARITY:
        row.last_seen_at = now
    return SessionState(_principal(session, settings=settings, user=user, row=row), "active", user)


def _principal(
    session: Session, *, settings: Settings, user: StaffUser, row: StaffSession
) -> Principal:
    roles = repository.staff_role_rows(session, user.id)
    permissions = repository.staff_permissions(session, user.id)
    if (
        settings.require_totp_for_admins
        and not user.totp_enabled
        and any(r.is_admin for r in roles)
    ):
        permissions = {ACCOUNT_SELF}  # an administrator must enrol a second factor first
    institution = repository.get_institution(session, user.institution_id)
    return Principal(
        kind="staff",
        id=user.id,
        name=user.display_name,
        institution_id=user.institution_id,
        institution_name=institution.name if institution else None,
        roles=frozenset(r.code for r in roles),
        permissions=frozenset(permissions),
        platform_wide=any(r.platform_wide for r in roles),
        session_id=row.id,
    )


# TOTP ---------------------------------------------------------------------------------------
def _totp_key(settings: Settings) -> bytes:
    return derive_key(settings.secret_key, "staff-totp")


def _secret_of(settings: Settings, user: StaffUser) -> str | None:
    if user.totp_secret_sealed is None:
        return None
    return unseal(
        _totp_key(settings), user.totp_secret_sealed, associated=f"staff:{user.id}".encode()
    ).decode()


def _check_code(settings: Settings, user: StaffUser, code: str) -> None:
    secret = _secret_of(settings, user)
    code = code.strip().replace(" ", "")
    if secret is None or not code.isdigit() or len(code) != 6:
        raise InvalidTotp()
    totp = pyotp.TOTP(secret)
    now = utcnow()
    step = int(now.timestamp()) // totp.interval
    for candidate in (step, step - 1, step + 1):
        if totp.at(candidate * totp.interval) == code:
            if user.totp_last_step is not None and candidate <= user.totp_last_step:
                raise InvalidTotp()  # a code is good once: replay refused
            user.totp_last_step = candidate
            return
    raise InvalidTotp()


@dataclass(frozen=True)
class Enrolment:
    secret: str
    uri: str
    qr_svg: str


def begin_totp_enrolment(session: Session, *, settings: Settings, user_id: int) -> Enrolment:
    """Create a fresh secret for the user to scan; it takes effect once a code is confirmed."""
    user = _user(session, user_id)
    secret = pyotp.random_base32()
    user.totp_secret_sealed = seal(
        _totp_key(settings), secret.encode(), associated=f"staff:{user.id}".encode()
    )
    user.totp_enabled = False
    user.totp_last_step = None
    session.flush()
    return _enrolment(secret, user)


def pending_enrolment(session: Session, *, settings: Settings, user_id: int) -> Enrolment | None:
    """The secret being enrolled, to show again after a wrong code."""
    user = repository.get_staff(session, user_id)
    if user is None or user.totp_enabled:
        return None
    secret = _secret_of(settings, user)
    return _enrolment(secret, user) if secret else None


def _enrolment(secret: str, user: StaffUser) -> Enrolment:
    uri = pyotp.TOTP(secret).provisioning_uri(name=user.username, issuer_name=TOTP_ISSUER)
    buffer = io.BytesIO()
    segno.make(uri, error="m").save(buffer, kind="svg", scale=5, xmldecl=False, svgns=True)
    return Enrolment(secret=secret, uri=uri, qr_svg=buffer.getvalue().decode())


def confirm_totp_enrolment(
    session: Session, *, settings: Settings, actor: Principal, code: str
) -> None:
    """Turn the second factor on once the user proves the authenticator shows the right codes."""
    user = _user(session, actor.id)
    _check_code(settings, user, code)
    user.totp_enabled = True
    audit.record(
        session, actor=actor, action="totp.enrolled", resource_type="StaffUser", resource_id=user.id
    )


def pass_second_factor(session: Session, *, settings: Settings, token: str, code: str) -> StaffUser:
    """Complete a login that waits for its TOTP code."""
    row = repository.session_by_digest(session, token_digest(settings.secret_key, token))
    if row is None or row.ended_at is not None or row.second_factor_passed:
        raise InvalidTotp("登录已失效，请重新输入用户名和密码。")
    user = _user(session, row.user_id)
    try:
        _check_code(settings, user, code)
    except InvalidTotp:
        audit.record(
            session,
            actor=_label(user),
            action="login.totp_failed",
            resource_type="StaffUser",
            resource_id=user.id,
            outcome="failure",
        )
        raise
    row.second_factor_passed = True
    row.last_seen_at = utcnow()
    user.last_login_at = utcnow()
    audit.record(
        session,
        actor=_label(user),
        action="login.success",
        resource_type="StaffUser",
        resource_id=user.id,
        detail={"second_factor": "totp"},
    )
    return user


def disable_totp(session: Session, *, settings: Settings, actor: Principal, code: str) -> None:
    """Switch one's own second factor off (needs a current code; not allowed where required)."""
    user = _user(session, actor.id)
    if settings.require_totp_for_admins and _is_admin(session, user):
        raise InvalidTotp("管理员必须启用双因素认证，不能关闭。")
    _check_code(settings, user, code)
    user.totp_enabled = False
    user.totp_secret_sealed = None
    audit.record(
        session, actor=actor, action="totp.disabled", resource_type="StaffUser", resource_id=user.id
    )


def change_own_password(
    session: Session, *, actor: Principal, current_password: str, new_password: str
) -> None:
    """Change one's own password after proving the current one."""
    user = _user(session, actor.id)
    if not verify_password(user.password_hash, current_password):
        raise InvalidCredentials()
    check_policy(new_password, username=user.username)
    user.password_hash = hash_password(new_password)
    audit.record(
        session,
        actor=actor,
        action="password.changed",
        resource_type="StaffUser",
        resource_id=user.id,
    )


def staff_user(session: Session, user_id: int) -> StaffUser | None:
    """The staff row behind a principal (for the account page)."""
    return repository.get_staff(session, user_id)
