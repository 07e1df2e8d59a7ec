"""Institutions and their departments."""

from __future__ import annotations

from sqlalchemy.orm import Session

from healthcard.accounts import repository
from healthcard.accounts.exceptions import (
    DepartmentNotFound,
    DuplicateValue,
    InstitutionNotFound,
    InvalidField,
    OutsideOwnInstitution,
)
from healthcard.accounts.schemas import (
    DepartmentIn,
    InstitutionIn,
    InstitutionKind,
    InstitutionPatch,
)
from healthcard.core import audit
from healthcard.core.principal import Principal
from healthcard.divisions import service as divisions_service
from healthcard.models import Department, Institution


def get_institution(session: Session, *, actor: Principal, institution_id: int) -> Institution:
    """The institution, if it exists and ``actor`` may see it (404 for both cases otherwise)."""
    institution = repository.get_institution(session, institution_id)
    if institution is None or not actor.may_act_in(institution.id):
        raise InstitutionNotFound()
    return institution


def search_institutions(
    session: Session,
    *,
    actor: Principal,
    text: str | None = None,
    kind: str | None = None,
    division_prefix: str | None = None,
    offset: int = 0,
    limit: int = 50,
) -> tuple[list[Institution], int]:
    """Institutions matching the filters; staff of one institution see only their own."""
    return repository.search_institutions(
        session,
        text=text,
        kind=kind,
        division_prefix=division_prefix,
        only_id=None if actor.platform_wide else actor.institution_id,
        offset=offset,
        limit=limit,
    )


def list_all_institutions(session: Session) -> list[Institution]:
    """Every institution (for choosers in forms), by name."""
    return list(repository.all_institutions(session))


def _check_institution(
    session: Session,
    *,
    kind: InstitutionKind,
    hospital_level: str | None,
    division_code: str,
    parent_id: int | None,
    own_id: int | None,
) -> None:
    if hospital_level is not None and kind != InstitutionKind.HOSPITAL:
        raise InvalidField("hospital_level", "只有医院可以填写医院等级。")
    problem = divisions_service.check_current(session, division_code)
    if problem is not None:
        raise InvalidField("division_code", problem, "unknown_division")
    if parent_id is not None:
        if repository.get_institution(session, parent_id) is None:
            raise InvalidField("parent_id", f"上级机构 {parent_id} 不存在。", "unknown_parent")
        if own_id is not None and own_id in repository.institution_ancestors(session, parent_id):
            raise InvalidField("parent_id", "上级机构不能是本机构或其下级机构。", "parent_cycle")


def create_institution(session: Session, *, actor: Principal, data: InstitutionIn) -> Institution:
    """Register an institution; its credit code and name must be unique."""
    _check_institution(
        session,
        kind=data.kind,
        hospital_level=data.hospital_level,
        division_code=data.division_code,
        parent_id=data.parent_id,
        own_id=None,
    )
    if repository.institution_by(session, uscc=data.uscc) is not None:
        raise DuplicateValue("uscc", f"统一社会信用代码 {data.uscc} 已被其他机构使用。")
    if repository.institution_by(session, name=data.name) is not None:
        raise DuplicateValue("name", f"机构名称“{data.name}”已存在。")
    institution = Institution(**data.model_dump())
    session.add(institution)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="institution.create",
        resource_type="Institution",
        resource_id=institution.id,
        detail={"uscc": institution.uscc, "name": institution.name},
    )
    return institution


def update_institution(
    session: Session, *, actor: Principal, institution_id: int, data: InstitutionPatch
) -> Institution:
    """Change the given fields of an institution."""
    institution = get_institution(session, actor=actor, institution_id=institution_id)
    changes = data.model_dump(exclude_unset=True)
    if "name" in changes and changes["name"] != institution.name:
        other = repository.institution_by(session, name=changes["name"])
        if other is not None:
            raise DuplicateValue("name", f"机构名称“{changes['name']}”已存在。")
    kind = InstitutionKind(changes.get("kind", institution.kind))
    level = changes.get("hospital_level", institution.hospital_level)
    if kind != InstitutionKind.HOSPITAL and "hospital_level" not in changes:
        level = None
        changes["hospital_level"] = None
    _check_institution(
        session,
        kind=kind,
        hospital_level=level,
        division_code=changes.get("division_code", institution.division_code),
        parent_id=changes.get("parent_id", institution.parent_id),
        own_id=institution.id,
    )
    before = {k: getattr(institution, k) for k in changes}
    for key, value in changes.items():
        setattr(institution, key, value)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="institution.update",
        resource_type="Institution",
        resource_id=institution.id,
        detail={"before": _plain(before), "after": _plain(changes)},
    )
    return institution


def _plain(values: dict[str, object]) -> dict[str, object]:
    return {k: v if isinstance(v, str | int | bool | None) else str(v) for k, v in values.items()}


# Departments --------------------------------------------------------------------------------
def list_departments(
    session: Session, *, actor: Principal, institution_id: int
) -> list[Department]:
    """The departments of an institution ``actor`` may see."""
    get_institution(session, actor=actor, institution_id=institution_id)
    return list(repository.departments_of(session, institution_id))


def create_department(
    session: Session, *, actor: Principal, institution_id: int, data: DepartmentIn
) -> Department:
    """Add a department; its code is unique within the institution."""
    if not actor.may_act_in(institution_id):
        raise OutsideOwnInstitution()
    get_institution(session, actor=actor, institution_id=institution_id)
    if repository.department_by_code(session, institution_id, data.code) is not None:
        raise DuplicateValue("code", f"科室代码 {data.code} 在本机构已存在。")
    department = Department(institution_id=institution_id, code=data.code, name=data.name)
    session.add(department)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="department.create",
        resource_type="Department",
        resource_id=department.id,
        detail={"institution_id": institution_id, "code": data.code, "name": data.name},
    )
    return department


def set_department_active(
    session: Session, *, actor: Principal, department_id: int, active: bool
) -> Department:
    """Open or close a department (closed departments stay for history)."""
    department = repository.get_department(session, department_id)
    if department is None or not actor.may_act_in(department.institution_id):
        raise DepartmentNotFound()
    department.active = active
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="department.activate" if active else "department.deactivate",
        resource_type="Department",
        resource_id=department.id,
    )
    return department
