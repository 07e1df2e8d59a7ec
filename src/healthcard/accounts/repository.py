"""All SQL of the accounts domain."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, func, or_, select, update
from sqlalchemy.orm import Session

from healthcard.core.db import table_of, utcnow
from healthcard.models import (
    AccessToken,
    ApiClient,
    Department,
    Institution,
    Permission,
    Role,
    RolePermission,
    StaffSession,
    StaffUser,
    UserRole,
)


# Institutions -------------------------------------------------------------------------------
def get_institution(session: Session, institution_id: int) -> Institution | None:
    return session.get(Institution, institution_id)


def institution_by(
    session: Session, *, uscc: str | None = None, name: str | None = None
) -> Institution | None:
    stmt = select(Institution)
    if uscc is not None:
        stmt = stmt.where(Institution.uscc == uscc)
    if name is not None:
        stmt = stmt.where(Institution.name == name)
    return session.execute(stmt).scalars().first()


def search_institutions(
    session: Session,
    *,
    text: str | None,
    kind: str | None,
    division_prefix: str | None,
    only_id: int | None,
    offset: int,
    limit: int,
) -> tuple[list[Institution], int]:
    stmt = select(Institution)
    if text:
        stmt = stmt.where(
            or_(
                Institution.name.contains(text, autoescape=True),
                Institution.uscc == text.upper(),
            )
        )
    if kind:
        stmt = stmt.where(Institution.kind == kind)
    if division_prefix:
        stmt = stmt.where(Institution.division_code.startswith(division_prefix, autoescape=True))
    if only_id is not None:
        stmt = stmt.where(Institution.id == only_id)
    total = session.execute(select(func.count()).select_from(stmt.subquery())).scalar_one()
    rows = session.execute(stmt.order_by(Institution.name).offset(offset).limit(limit)).scalars()
    return list(rows), int(total)


def institution_ancestors(session: Session, institution_id: int) -> list[int]:
    """Ids from ``institution_id`` up to its root (guards against cycles by a step limit)."""
    chain: list[int] = []
    current: int | None = institution_id
    while current is not None and len(chain) < 64:
        chain.append(current)
        current = session.execute(
            select(Institution.parent_id).where(Institution.id == current)
        ).scalar_one_or_none()
    return chain


def all_institutions(session: Session) -> Sequence[Institution]:
    return session.execute(select(Institution).order_by(Institution.name)).scalars().all()


# Departments --------------------------------------------------------------------------------
def get_department(session: Session, department_id: int) -> Department | None:
    return session.get(Department, department_id)


def departments_of(session: Session, institution_id: int) -> Sequence[Department]:
    return (
        session.execute(
            select(Department)
            .where(Department.institution_id == institution_id)
            .order_by(Department.code)
        )
        .scalars()
        .all()
    )


def department_by_code(session: Session, institution_id: int, code: str) -> Department | None:
    return session.execute(
        select(Department).where(
            Department.institution_id == institution_id, Department.code == code
        )
    ).scalar_one_or_none()


# Roles and permissions ----------------------------------------------------------------------
def all_roles(session: Session) -> Sequence[Role]:
    return session.execute(select(Role).order_by(Role.id)).scalars().all()


def role_by_code(session: Session, code: str) -> Role | None:
    return session.execute(select(Role).where(Role.code == code)).scalar_one_or_none()


def roles_by_codes(session: Session, codes: Sequence[str]) -> Sequence[Role]:
    return session.execute(select(Role).where(Role.code.in_(codes))).scalars().all()


def known_permission_codes(session: Session) -> set[str]:
    return set(session.execute(select(Permission.code)).scalars())


def all_permissions(session: Session) -> Sequence[Permission]:
    return session.execute(select(Permission).order_by(Permission.code)).scalars().all()


def grants_of(session: Session, role_id: int) -> set[str]:
    return set(
        session.execute(
            select(RolePermission.permission_code).where(RolePermission.role_id == role_id)
        ).scalars()
    )


def set_grants(session: Session, role_id: int, codes: set[str]) -> None:
    session.execute(delete(RolePermission).where(RolePermission.role_id == role_id))
    session.add_all(RolePermission(role_id=role_id, permission_code=c) for c in sorted(codes))
    session.flush()


def role_holders(session: Session, role_id: int) -> int:
    return int(
        session.execute(
            select(func.count()).select_from(UserRole).where(UserRole.role_id == role_id)
        ).scalar_one()
    )


def delete_role(session: Session, role: Role) -> None:
    session.execute(delete(RolePermission).where(RolePermission.role_id == role.id))
    session.delete(role)
    session.flush()


# Staff --------------------------------------------------------------------------------------
def get_staff(session: Session, user_id: int) -> StaffUser | None:
    return session.get(StaffUser, user_id)


def staff_by_username(session: Session, username: str) -> StaffUser | None:
    return session.execute(
        select(StaffUser).where(StaffUser.username == username)
    ).scalar_one_or_none()


def staff_role_rows(session: Session, user_id: int) -> Sequence[Role]:
    return (
        session.execute(
            select(Role)
            .join(UserRole, UserRole.role_id == Role.id)
            .where(UserRole.user_id == user_id)
        )
        .scalars()
        .all()
    )


def staff_permissions(session: Session, user_id: int) -> set[str]:
    return set(
        session.execute(
            select(RolePermission.permission_code)
            .join(UserRole, UserRole.role_id == RolePermission.role_id)
            .where(UserRole.user_id == user_id)
        ).scalars()
    )


def set_staff_roles(session: Session, user_id: int, role_ids: Sequence[int]) -> None:
    session.execute(delete(UserRole).where(UserRole.user_id == user_id))
    session.add_all(UserRole(user_id=user_id, role_id=r) for r in sorted(set(role_ids)))
    session.flush()


def search_staff(
    session: Session,
    *,
    text: str | None,
    institution_id: int | None,
    offset: int,
    limit: int,
) -> tuple[list[StaffUser], int]:
    stmt = select(StaffUser)
    if text:
        stmt = stmt.where(
            or_(
                StaffUser.username.contains(text, autoescape=True),
                StaffUser.display_name.contains(text, autoescape=True),
            )
        )
    if institution_id is not None:
        stmt = stmt.where(StaffUser.institution_id == institution_id)
    total = session.execute(select(func.count()).select_from(stmt.subquery())).scalar_one()
    rows = session.execute(stmt.order_by(StaffUser.username).offset(offset).limit(limit)).scalars()
    return list(rows), int(total)


def role_codes_by_user(session: Session, user_ids: Sequence[int]) -> dict[int, list[str]]:
    result: dict[int, list[str]] = {uid: [] for uid in user_ids}
    rows = session.execute(
        select(UserRole.user_id, Role.code)
        .join(Role, Role.id == UserRole.role_id)
        .where(UserRole.user_id.in_(user_ids))
        .order_by(Role.id)
    )
    for user_id, code in rows:
        result[user_id].append(code)
    return result


# Sessions -----------------------------------------------------------------------------------
def session_by_digest(session: Session, digest: str) -> StaffSession | None:
    return session.execute(
        select(StaffSession).where(StaffSession.token_digest == digest)
    ).scalar_one_or_none()


def end_sessions_of(session: Session, user_id: int, reason: str) -> None:
    for row in session.execute(
        select(StaffSession).where(StaffSession.user_id == user_id, StaffSession.ended_at.is_(None))
    ).scalars():
        row.ended_at = utcnow()
        row.ended_reason = reason
    session.flush()


# API clients --------------------------------------------------------------------------------
def get_client(session: Session, pk: int) -> ApiClient | None:
    return session.get(ApiClient, pk)


def client_by_client_id(session: Session, client_id: str) -> ApiClient | None:
    return session.execute(
        select(ApiClient).where(ApiClient.client_id == client_id)
    ).scalar_one_or_none()


def all_clients(session: Session) -> Sequence[ApiClient]:
    return session.execute(select(ApiClient).order_by(ApiClient.id)).scalars().all()


def token_callers(session: Session, digests: Sequence[str]) -> dict[str, Any]:
    """Tokens with their client and the client's institution name, in one statement, by
    digest (every API call starts here)."""
    rows = session.connection().execute(_TOKEN_CALLERS, {"digests": sorted(set(digests))})
    return {row.token_digest: row for row in rows}


# Built once: every API call resolves its token with it.
_TOKENS, _CLIENTS, _INSTITUTIONS = table_of(AccessToken), table_of(ApiClient), table_of(Institution)
_TOKEN_CALLERS = (
    select(
        _TOKENS.c.token_digest,
        _TOKENS.c.revoked_at,
        _TOKENS.c.expires_at,
        _TOKENS.c.scopes,
        _CLIENTS.c.id.label("client_pk"),
        _CLIENTS.c.name,
        _CLIENTS.c.active,
        _CLIENTS.c.uses,
        _CLIENTS.c.institution_id,
        _CLIENTS.c.last_used_at,
        _INSTITUTIONS.c.name.label("institution_name"),
    )
    .select_from(
        _TOKENS.join(_CLIENTS, _CLIENTS.c.id == _TOKENS.c.client_pk).outerjoin(
            _INSTITUTIONS, _INSTITUTIONS.c.id == _CLIENTS.c.institution_id
        )
    )
    .where(_TOKENS.c.token_digest.in_(bindparam("digests", expanding=True)))
)


def touch_client(session: Session, pk: int, now: datetime) -> None:
    session.execute(
        update(ApiClient)
        .where(ApiClient.id == pk)
        .values(last_used_at=now)
        .execution_options(synchronize_session=False)
    )


def token_by_digest(session: Session, digest: str) -> AccessToken | None:
    return session.execute(
        select(AccessToken).where(AccessToken.token_digest == digest)
    ).scalar_one_or_none()


def revoke_tokens_of(session: Session, client_pk: int) -> None:
    for token in session.execute(
        select(AccessToken).where(
            AccessToken.client_pk == client_pk, AccessToken.revoked_at.is_(None)
        )
    ).scalars():
        token.revoked_at = utcnow()
    session.flush()
