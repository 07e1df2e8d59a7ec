"""Staff accounts, roles and the permissions each role grants."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from healthcard.accounts import repository
from healthcard.accounts.exceptions import (
    BuiltinRoleProtected,
    DepartmentNotFound,
    DuplicateValue,
    InvalidField,
    OutsideOwnInstitution,
    RoleInUse,
    RoleNotFound,
    StaffNotFound,
)
from healthcard.accounts.schemas import RoleIn, StaffIn, StaffPatch
from healthcard.accounts.service.passwords import check_policy, hash_password
from healthcard.core import audit
from healthcard.core import permissions as catalogue
from healthcard.core.principal import Principal
from healthcard.models import Permission, Role, StaffUser


# Roles and permissions ----------------------------------------------------------------------
def sync_permissions(session: Session) -> int:
    """Make the database know every built-in role and permission of the code.

    A permission seen for the first time is granted to its default roles; grants that an
    administrator changed later are left alone. Returns how many permissions were new.
    """
    roles = {r.code: r for r in repository.all_roles(session)}
    for builtin in catalogue.BUILTIN_ROLES:
        if builtin.code not in roles:
            role = Role(
                code=builtin.code,
                name=builtin.name,
                description=builtin.description,
                builtin=True,
                platform_wide=builtin.platform_wide,
                is_admin=builtin.is_admin,
            )
            session.add(role)
            roles[builtin.code] = role
    session.flush()
    known = repository.known_permission_codes(session)
    new = [p for p in catalogue.all_permissions() if p.code not in known]
    for definition in new:
        session.add(Permission(code=definition.code, label=definition.label))
    session.flush()
    for definition in new:
        for role_code in definition.default_roles:
            role = roles[role_code]
            grants = repository.grants_of(session, role.id)
            repository.set_grants(session, role.id, grants | {definition.code})
    return len(new)


def list_roles(session: Session) -> list[tuple[Role, set[str]]]:
    """Every role with the permissions it grants."""
    return [(r, repository.grants_of(session, r.id)) for r in repository.all_roles(session)]


def role_names(session: Session) -> dict[str, str]:
    """Role code to its name for people."""
    return {r.code: r.name for r in repository.all_roles(session)}


def list_permissions(session: Session) -> list[Permission]:
    """Every permission known to the database."""
    return list(repository.all_permissions(session))


def _valid_permissions(session: Session, codes: list[str]) -> set[str]:
    known = repository.known_permission_codes(session)
    unknown = sorted(set(codes) - known)
    if unknown:
        raise InvalidField(
            "permissions", f"未知的权限：{', '.join(unknown)}。", "unknown_permission"
        )
    return set(codes)


def create_role(session: Session, *, actor: Principal, data: RoleIn) -> Role:
    """Define a new role with its permissions."""
    if repository.role_by_code(session, data.code) is not None:
        raise DuplicateValue("code", f"角色代码 {data.code} 已存在。")
    grants = _valid_permissions(session, data.permissions)
    role = Role(
        code=data.code,
        name=data.name,
        description=data.description,
        platform_wide=data.platform_wide,
    )
    session.add(role)
    session.flush()
    repository.set_grants(session, role.id, grants)
    audit.record(
        session,
        actor=actor,
        action="role.create",
        resource_type="Role",
        resource_id=role.code,
        detail={"permissions": sorted(grants)},
    )
    return role


def set_role_permissions(
    session: Session, *, actor: Principal, role_code: str, permissions: list[str]
) -> Role:
    """Replace the permissions a role grants."""
    role = repository.role_by_code(session, role_code)
    if role is None:
        raise RoleNotFound()
    before = repository.grants_of(session, role.id)
    after = _valid_permissions(session, permissions)
    repository.set_grants(session, role.id, after)
    audit.record(
        session,
        actor=actor,
        action="role.permissions",
        resource_type="Role",
        resource_id=role.code,
        detail={"added": sorted(after - before), "removed": sorted(before - after)},
    )
    return role


def delete_role(session: Session, *, actor: Principal, role_code: str) -> None:
    """Remove a custom role nobody holds."""
    role = repository.role_by_code(session, role_code)
    if role is None:
        raise RoleNotFound()
    if role.builtin:
        raise BuiltinRoleProtected()
    if repository.role_holders(session, role.id):
        raise RoleInUse()
    repository.delete_role(session, role)
    audit.record(
        session, actor=actor, action="role.delete", resource_type="Role", resource_id=role_code
    )


# Staff --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class StaffView:
    """A staff account with its role codes, for lists and API answers."""

    user: StaffUser
    roles: list[str]


def get_staff(session: Session, *, actor: Principal, user_id: int) -> StaffView:
    """A staff account ``actor`` may manage (404 otherwise)."""
    user = repository.get_staff(session, user_id)
    if user is None or not actor.may_act_in(user.institution_id):
        raise StaffNotFound()
    return StaffView(user, repository.role_codes_by_user(session, [user.id])[user.id])


def search_staff(
    session: Session, *, actor: Principal, text: str | None = None, offset: int = 0, limit: int = 50
) -> tuple[list[StaffView], int]:
    """Staff accounts ``actor`` may see, filtered by username or name."""
    users, total = repository.search_staff(
        session,
        text=text,
        institution_id=None if actor.platform_wide else actor.institution_id,
        offset=offset,
        limit=limit,
    )
    roles = repository.role_codes_by_user(session, [u.id for u in users])
    return [StaffView(u, roles[u.id]) for u in users], total


def _grantable_roles(session: Session, *, actor: Principal, codes: list[str]) -> list[Role]:
    roles = list(repository.roles_by_codes(session, codes))
    missing = sorted(set(codes) - {r.code for r in roles})
    if missing:
        raise InvalidField("roles", f"未知的角色：{', '.join(missing)}。", "unknown_role")
    if not actor.platform_wide:
        too_high = [r.code for r in roles if r.platform_wide]
        if too_high:
            raise InvalidField(
                "roles",
                f"机构管理员不能授予全平台角色：{', '.join(too_high)}。",
                "role_not_grantable",
            )
    return roles


def _check_department(session: Session, institution_id: int, department_id: int | None) -> None:
    if department_id is None:
        return
    department = repository.get_department(session, department_id)
    if department is None or department.institution_id != institution_id:
        raise DepartmentNotFound("科室不存在或不属于该机构。")


def create_staff(session: Session, *, actor: Principal, data: StaffIn) -> StaffView:
    """Open a staff account within an institution the actor manages."""
    if not actor.may_act_in(data.institution_id):
        raise OutsideOwnInstitution()
    if repository.get_institution(session, data.institution_id) is None:
        raise InvalidField("institution_id", "机构不存在。", "unknown_institution")
    _check_department(session, data.institution_id, data.department_id)
    roles = _grantable_roles(session, actor=actor, codes=data.roles)
    check_policy(data.password, username=data.username)
    if repository.staff_by_username(session, data.username) is not None:
        raise DuplicateValue("username", f"用户名 {data.username} 已被使用。")
    user = StaffUser(
        username=data.username,
        display_name=data.display_name,
        institution_id=data.institution_id,
        department_id=data.department_id,
        phone=data.phone,
        email=data.email,
        password_hash=hash_password(data.password),
    )
    session.add(user)
    session.flush()
    repository.set_staff_roles(session, user.id, [r.id for r in roles])
    audit.record(
        session,
        actor=actor,
        action="staff.create",
        resource_type="StaffUser",
        resource_id=user.id,
        detail={"username": user.username, "roles": sorted(data.roles)},
    )
    return StaffView(user, [r.code for r in roles])


def update_staff(
    session: Session, *, actor: Principal, user_id: int, data: StaffPatch
) -> StaffView:
    """Change a staff account's details, roles or whether it is active."""
    view = get_staff(session, actor=actor, user_id=user_id)
    user = view.user
    changes = data.model_dump(exclude_unset=True)
    if "department_id" in changes:
        _check_department(session, user.institution_id, changes["department_id"])
    roles = view.roles
    if changes.get("roles") is not None:
        granted = _grantable_roles(session, actor=actor, codes=changes["roles"])
        repository.set_staff_roles(session, user.id, [r.id for r in granted])
        roles = [r.code for r in granted]
    if changes.get("active") is False and user.id == actor.id and actor.kind == "staff":
        raise InvalidField("active", "不能停用自己的账户。", "self_deactivate")
    for key in ("display_name", "department_id", "phone", "email", "active"):
        if key not in changes:
            continue
        if changes[key] is None and key in ("display_name", "active"):
            raise InvalidField(key, "该字段不能为空。", "required")
        setattr(user, key, changes[key])
    if changes.get("active") is False:
        repository.end_sessions_of(session, user.id, "deactivated")
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="staff.update",
        resource_type="StaffUser",
        resource_id=user.id,
        detail={k: v for k, v in changes.items() if k != "password"},
    )
    return StaffView(user, roles)


def reset_password(session: Session, *, actor: Principal, user_id: int, new_password: str) -> None:
    """Set a new password for a staff account and end its sessions."""
    user = get_staff(session, actor=actor, user_id=user_id).user
    check_policy(new_password, username=user.username)
    user.password_hash = hash_password(new_password)
    user.failed_logins = 0
    user.locked_until = None
    repository.end_sessions_of(session, user.id, "password_reset")
    audit.record(
        session,
        actor=actor,
        action="staff.password_reset",
        resource_type="StaffUser",
        resource_id=user.id,
    )


def unlock(session: Session, *, actor: Principal, user_id: int) -> None:
    """Lift a lockout caused by failed logins."""
    user = get_staff(session, actor=actor, user_id=user_id).user
    user.failed_logins = 0
    user.locked_until = None
    audit.record(
        session, actor=actor, action="staff.unlock", resource_type="StaffUser", resource_id=user.id
    )


def reset_totp(session: Session, *, actor: Principal, user_id: int) -> None:
    """Remove a staff member's second factor (lost phone); they enrol again at next login."""
    user = get_staff(session, actor=actor, user_id=user_id).user
    user.totp_enabled = False
    user.totp_secret_sealed = None
    user.totp_last_step = None
    audit.record(
        session,
        actor=actor,
        action="staff.totp_reset",
        resource_type="StaffUser",
        resource_id=user.id,
    )
