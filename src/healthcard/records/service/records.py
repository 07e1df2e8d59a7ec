"""Health records (居民健康档案): one per resident, numbered from the area, with the basic-
information form, kept by an institution; termination; lists scoped to who is asking."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from healthcard.accounts import service as accounts_service
from healthcard.accounts.exceptions import StaffNotFound
from healthcard.core import audit
from healthcard.core.config import Settings
from healthcard.core.crypto import derive_key, seal, unseal
from healthcard.core.db import utcnow
from healthcard.core.errors import Conflict, FieldError
from healthcard.core.permissions import Role
from healthcard.core.principal import Principal
from healthcard.divisions import service as divisions_service
from healthcard.identity import service as identity_service
from healthcard.models import Family, HealthRecord, Person
from healthcard.records import repository
from healthcard.records.exceptions import (
    RecordExists,
    RecordInvalid,
    RecordNotFound,
    RecordReadOnly,
)
from healthcard.records.schemas import RecordFields, RecordIn
from healthcard.records.service import codes

# Roles that see every record of their institution; a village doctor alone sees only their own.
_INSTITUTION_WIDE = frozenset(
    {Role.PUBLIC_HEALTH_WORKER, Role.DOCTOR, Role.NURSE, Role.INSTITUTION_ADMIN}
)
MAX_SEQUENCE = 99_999
TERMINATION_NAMES = codes.options("termination_reason")


def active_record_for_person(session: Session, person_id: int) -> HealthRecord | None:
    """The resident's record unless it was terminated (active, or being migrated)."""
    record = repository.record_of_person(session, person_id)
    return record if record is not None and record.status != "terminated" else None


def record_for_person(session: Session, person_id: int) -> HealthRecord | None:
    """The resident's record in any state (terminated records are kept)."""
    return repository.record_of_person(session, person_id)


def only_own_residents(actor: Principal) -> bool:
    """Whether ``actor`` sees only the records they are responsible for (a village doctor)."""
    return Role.VILLAGE_DOCTOR in actor.roles and not (actor.roles & _INSTITUTION_WIDE)


def may_keep(actor: Principal, record: HealthRecord) -> bool:
    """Whether ``actor`` works for the institution keeping the record (and, for a village
    doctor, is the one responsible for it)."""
    if not actor.may_act_in(record.institution_id):
        return False
    return not only_own_residents(actor) or record.responsible_staff_id == actor.id


def kept_record(session: Session, *, actor: Principal, record_id: int) -> HealthRecord:
    """A record kept by ``actor``'s institution (404 for others, so ids cannot be probed)."""
    record = repository.get_record(session, record_id)
    if record is None or not may_keep(actor, record):
        raise RecordNotFound()
    return record


def writable_record(session: Session, *, actor: Principal, record_id: int) -> HealthRecord:
    """A kept record locked for a change; 409 when terminated or being migrated."""
    record = kept_record(session, actor=actor, record_id=record_id)
    locked = repository.record_for_update(session, record.id)
    assert locked is not None  # noqa: S101 - it was just read
    check_writable(locked)
    return locked


def check_writable(record: HealthRecord) -> None:
    """Refuse a change to a record that is terminated or in migration, saying why."""
    if record.status == "terminated":
        reason = TERMINATION_NAMES.get(record.termination_reason or "", "其他")
        raise RecordReadOnly(
            f"档案已于 {record.terminated_on} 终止（{reason}），终止的档案只读保存，不能修改。"
        )
    if record.status == "migrating":
        raise RecordReadOnly("档案正在迁移中，迁移完成或撤回前只读，只能办理迁移步骤。")


# --- the 17-digit number -----------------------------------------------------------------------


def check_area(
    session: Session, errors: list[FieldError], field: str, area: str, institution_division: str
) -> None:
    """The 12-digit area: a current county code of the institution's region, then township and
    village (neighbourhood committee) numbers, neither 000."""
    county, township, village = area[:6], area[6:9], area[9:]
    path = divisions_service.describe(session, county)
    if path is None or not path.current:
        errors.append(
            FieldError(field, f"区县代码 {county} 不是现行的 GB/T 2260 代码。", "unknown_division")
        )
    elif path.level != "county":
        errors.append(FieldError(field, f"前 6 位 {county} 应是区县级代码。", "not_county"))
    elif not county.startswith(region_prefix(institution_division)):
        errors.append(
            FieldError(
                field,
                f"区县 {county}（{path.full_name}）不在本机构所在行政区划 "
                f"{institution_division} 内。",
                "outside_region",
            )
        )
    if township == "000" or village == "000":
        errors.append(
            FieldError(field, "第 7–9 位（乡镇/街道）和第 10–12 位（村/居委会）不能为 000。")
        )


def region_prefix(division: str) -> str:
    """The part of a division code its subdivisions share: 37 for 370000, 3706 for 370600."""
    if division.endswith("0000"):
        return division[:2]
    return division[:4] if division.endswith("00") else division


def assign_number(session: Session, area: str) -> str:
    """The next record number under the area (row-locked counter: no two records share one)."""
    sequence = repository.next_sequence(session, area)
    if sequence > MAX_SEQUENCE:
        raise Conflict(f"区划 {area} 下的档案顺序号已用完（最多 {MAX_SEQUENCE} 个）。")
    return f"{area}{sequence:05d}"


# --- the form ----------------------------------------------------------------------------------


def check_form(errors: list[FieldError], data: RecordFields, prefix: str = "body") -> None:
    """Every code of the form against the versioned lists."""
    for name in (
        "residence_type",
        "ethnicity",
        "abo_blood_type",
        "rh_blood_type",
        "education",
        "occupation",
        "marital_status",
    ):
        codes.check(errors, name, f"{prefix}.{name}", getattr(data, name))
    codes.check_all(errors, "payment_method", f"{prefix}.payment_methods", data.payment_methods)
    codes.check_all(errors, "drug_allergy", f"{prefix}.drug_allergies", data.drug_allergies)
    codes.check_all(errors, "exposure", f"{prefix}.exposures", data.exposures)
    codes.check_all(errors, "disability", f"{prefix}.disabilities", data.disabilities)
    for n, item in enumerate(data.past_diseases):
        codes.check(errors, "past_disease", f"{prefix}.past_diseases.{n}.code", item.code)
        if item.code is None:
            errors.append(FieldError(f"{prefix}.past_diseases.{n}.code", "请选择疾病。"))
    for relative in ("father", "mother", "siblings", "children"):
        chosen = getattr(data.family_history, relative)
        codes.check_all(errors, "family_disease", f"{prefix}.family_history.{relative}", chosen)
    for key, value in data.living_conditions.model_dump().items():
        codes.check(errors, key, f"{prefix}.living_conditions.{key}", value)
    _check_none_alone(errors, data, prefix)


def _check_none_alone(errors: list[FieldError], data: RecordFields, prefix: str) -> None:
    """ "无" (code 1) cannot be ticked together with something else."""
    for field in ("drug_allergies", "exposures", "disabilities"):
        chosen = getattr(data, field)
        if "1" in chosen and len(chosen) > 1:
            errors.append(FieldError(f"{prefix}.{field}", "选择“无”时不能再选其他项。"))


def _form_payload(data: RecordFields) -> dict[str, Any]:
    return data.model_dump(
        mode="json",
        include={
            "residence_type",
            "payment_methods",
            "drug_allergies",
            "exposures",
            "past_diseases",
            "operations",
            "traumas",
            "transfusions",
            "family_history",
            "genetic_disease",
            "disabilities",
            "living_conditions",
        },
    )


def _apply(settings: Settings, record: HealthRecord, data: RecordFields) -> None:
    for name in (
        "address",
        "ethnicity",
        "abo_blood_type",
        "rh_blood_type",
        "education",
        "occupation",
        "marital_status",
        "work_unit",
        "contact_name",
    ):
        setattr(record, name, getattr(data, name))
    record.contact_phone_sealed = (
        seal(_phone_key(settings), data.contact_phone.encode()) if data.contact_phone else None
    )
    record.form = _form_payload(data)
    record.form_version = codes.version()


def _phone_key(settings: Settings) -> bytes:
    return derive_key(settings.secret_key, "records/contact-phone")


def contact_phone(settings: Settings, record: HealthRecord) -> str | None:
    """The contact's phone, masked (the record page shows only the last digits)."""
    if record.contact_phone_sealed is None:
        return None
    return identity_service.mask_phone(
        unseal(_phone_key(settings), record.contact_phone_sealed).decode()
    )


# --- create, update, terminate -----------------------------------------------------------------


def create_record(
    session: Session, *, settings: Settings, actor: Principal, data: RecordIn
) -> HealthRecord:
    """Establish the one record of a resident at ``actor``'s institution, numbered from the area."""
    if actor.institution_id is None:
        raise RecordInvalid("建档须由机构人员办理。")
    institution = accounts_service.get_institution(
        session, actor=actor, institution_id=actor.institution_id
    )
    person = _person(session, settings, actor, data.person_id)
    family = _family_of(session, actor, data)
    area = data.area_code or (family.area_code if family else None)
    errors: list[FieldError] = []
    if area is None:
        errors.append(FieldError("body.area_code", "请填写 12 位村（居）委会区划代码。", "missing"))
    else:
        check_area(session, errors, "body.area_code", area, institution.division_code)
    check_form(errors, data)
    _check_assignment(session, errors, actor, data.team_id, data.responsible_staff_id)
    if errors:
        raise RecordInvalid(errors=errors)
    assert area is not None  # noqa: S101 - checked above
    _refuse_second(session, person.id)
    record = HealthRecord(
        record_number=assign_number(session, area),
        person_id=person.id,
        institution_id=institution.id,
        team_id=data.team_id,
        # A village doctor establishing a record becomes responsible for it (else they could
        # not see what they just made).
        responsible_staff_id=data.responsible_staff_id
        or (actor.id if only_own_residents(actor) else None),
        family_id=family.id if family else None,
        status="active",
        area_code=area,
        established_on=data.established_on or utcnow().date(),
        established_by=actor.name,
    )
    _apply(settings, record, data)
    try:
        with session.begin_nested():
            repository.add(session, record)
    except IntegrityError as error:  # another request established it a moment ago
        raise RecordExists() from error
    audit.record(
        session,
        actor=actor,
        action="record.create",
        resource_type="HealthRecord",
        resource_id=record.id,
        detail={"record_number": record.record_number, "person_id": person.id},
    )
    return record


def _person(session: Session, settings: Settings, actor: Principal, person_id: int) -> Person:
    view = identity_service.view(
        session, settings=settings, actor=actor, person_id=person_id, purpose="record"
    )
    if view.replaced_by is not None:
        raise RecordInvalid(
            f"该居民已合并到居民 {view.replaced_by}，请为合并后的居民建档。",
            errors=[FieldError("body.person_id", "居民已被合并。", "merged")],
        )
    return view.person


def _family_of(session: Session, actor: Principal, data: RecordIn) -> Family | None:
    membership = repository.membership_of(session, data.person_id)
    family_id = data.family_id or (membership.family_id if membership else None)
    if family_id is None:
        return None
    family = repository.get_family(session, family_id)
    if family is None or not actor.may_act_in(family.institution_id):
        raise RecordInvalid(
            errors=[FieldError("body.family_id", "家庭档案不存在或不属于本机构。", "unknown")]
        )
    if membership is None or membership.family_id != family.id:
        raise RecordInvalid(
            errors=[FieldError("body.family_id", "该居民不是这个家庭的成员，请先加入家庭。")]
        )
    return family


def _refuse_second(session: Session, person_id: int) -> None:
    existing = repository.record_of_person(session, person_id)
    if existing is not None:
        raise RecordExists(
            f"该居民已有健康档案（编号 {existing.record_number}）：每位居民只建一份档案；"
            "如居民已迁入本辖区，请申请档案迁移。"
        )


def _check_assignment(
    session: Session,
    errors: list[FieldError],
    actor: Principal,
    team_id: int | None,
    staff_id: int | None,
) -> None:
    if team_id is not None:
        team = repository.get_team(session, team_id)
        if team is None or team.institution_id != actor.institution_id:
            errors.append(FieldError("body.team_id", "团队不存在或不属于本机构。", "unknown"))
    if staff_id is not None:
        try:
            staff = accounts_service.get_staff(session, actor=actor, user_id=staff_id)
        except StaffNotFound:
            staff = None
        if staff is None or staff.user.institution_id != actor.institution_id:
            errors.append(
                FieldError("body.responsible_staff_id", "责任医生不是本机构人员。", "unknown")
            )


def update_record(
    session: Session, *, settings: Settings, actor: Principal, record_id: int, data: RecordFields
) -> HealthRecord:
    """Change the basic-information form (not the identity, which the MPI holds)."""
    record = writable_record(session, actor=actor, record_id=record_id)
    errors: list[FieldError] = []
    check_form(errors, data)
    if errors:
        raise RecordInvalid(errors=errors)
    _apply(settings, record, data)
    record.updated_at = utcnow()
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="record.update",
        resource_type="HealthRecord",
        resource_id=record.id,
    )
    return record


def touch(session: Session, record: HealthRecord) -> None:
    """Mark the record as used now (an exam, a follow-up): counts for 动态使用率."""
    record.updated_at = utcnow()
    session.flush()


# --- lists -------------------------------------------------------------------------------------


def search(
    session: Session,
    *,
    actor: Principal,
    text: str | None = None,
    status: str | None = None,
    team_id: int | None = None,
    offset: int = 0,
    limit: int = 50,
) -> tuple[list[tuple[HealthRecord, Person]], int]:
    """Records kept by ``actor``'s institution (a village doctor: their own residents)."""
    if status is not None and status not in ("active", "migrating", "terminated"):
        raise RecordInvalid(
            errors=[FieldError("status", "状态只能是 active/migrating/terminated。")]
        )
    rows, total = repository.search_records(
        session,
        institution_id=None if actor.platform_wide else actor.institution_id,
        responsible_staff_id=actor.id if only_own_residents(actor) else None,
        status=status,
        team_id=team_id,
        text=text.strip() if text else None,
        offset=offset,
        limit=min(limit, 200),
    )
    return [(r, p) for r, p in rows], total


def person_of(session: Session, record: HealthRecord) -> Person:
    """The master-index person of a record (for names on pages after an audited read)."""
    person = repository.person(session, record.person_id)
    assert person is not None  # noqa: S101 - a foreign key
    return person


def age_on(birth: date | None, day: date) -> int | None:
    """Whole years of age on ``day``."""
    if birth is None:
        return None
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))
