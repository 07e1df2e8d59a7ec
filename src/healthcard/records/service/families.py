"""Family records (家庭档案): a household kept by an institution, its head and members with their
relationship to the head (GB/T 4761)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from healthcard.accounts import service as accounts_service
from healthcard.core import audit
from healthcard.core.config import Settings
from healthcard.core.db import utcnow
from healthcard.core.errors import FieldError
from healthcard.core.principal import Principal
from healthcard.identity import service as identity_service
from healthcard.models import Family, FamilyMember, HealthRecord, Person
from healthcard.records import repository
from healthcard.records.exceptions import FamilyConflict, FamilyNotFound, RecordInvalid
from healthcard.records.schemas import FamilyIn, FamilyUpdate, MemberIn
from healthcard.records.service import codes
from healthcard.records.service.records import check_area

HEAD = "02"  # GB/T 4761: 户主


@dataclass(frozen=True)
class Member:
    """A member as the family page shows them: the person, the relationship, their record."""

    membership: FamilyMember
    person: Person
    record: HealthRecord | None

    @property
    def relationship_label(self) -> str:
        return codes.label("relationship", self.membership.relationship)


@dataclass(frozen=True)
class FamilyView:
    family: Family
    members: list[Member]


def family_number(division_code: str, institution_id: int, serial: int) -> str:
    """16 digits: the institution's division (6), the institution (4), the household serial (6)."""
    return f"{division_code}{institution_id % 10_000:04d}{serial:06d}"


def create_family(
    session: Session, *, settings: Settings, actor: Principal, data: FamilyIn
) -> Family:
    """A new household with its head (户主) and members, kept by ``actor``'s institution."""
    if actor.institution_id is None:
        raise RecordInvalid("家庭档案须由机构人员建立。")
    institution = accounts_service.get_institution(
        session, actor=actor, institution_id=actor.institution_id
    )
    errors: list[FieldError] = []
    if data.area_code:
        check_area(session, errors, "body.area_code", data.area_code, institution.division_code)
    _check_living(errors, data.living_conditions.model_dump())
    people = [data.head_person_id, *(m.person_id for m in data.members)]
    if len(set(people)) != len(people):
        errors.append(FieldError("body.members", "同一居民不能重复加入家庭。", "duplicate"))
    for n, member in enumerate(data.members):
        _check_relationship(errors, f"body.members.{n}.relationship", member.relationship)
    if errors:
        raise RecordInvalid(errors=errors)
    for person_id in people:
        _check_person(session, settings, actor, person_id)
    serial = repository.next_family_serial(session, institution.id)
    family = Family(
        family_number=family_number(institution.division_code, institution.id, serial),
        institution_id=institution.id,
        head_person_id=data.head_person_id,
        address=data.address,
        area_code=data.area_code,
        living_conditions=data.living_conditions.model_dump(),
        created_by=actor.name,
    )
    repository.add(session, family)
    _join(session, family, data.head_person_id, HEAD)
    for member in data.members:
        _join(session, family, member.person_id, member.relationship)
    audit.record(
        session,
        actor=actor,
        action="family.create",
        resource_type="Family",
        resource_id=family.id,
        detail={"members": people},
    )
    return family


def _check_living(errors: list[FieldError], values: dict[str, str | None]) -> None:
    for key, value in values.items():
        codes.check(errors, key, f"body.living_conditions.{key}", value)


def _check_relationship(errors: list[FieldError], field: str, code: str) -> None:
    codes.check(errors, "relationship", field, code)
    if code == HEAD:
        errors.append(FieldError(field, "户主只有一位：请用“设为户主”更换户主。", "second_head"))


def _check_person(session: Session, settings: Settings, actor: Principal, person_id: int) -> None:
    view = identity_service.view(
        session, settings=settings, actor=actor, person_id=person_id, purpose="family-record"
    )
    if view.replaced_by is not None:
        raise RecordInvalid(f"居民 {person_id} 已合并到居民 {view.replaced_by}。")
    existing = repository.membership_of(session, person_id)
    if existing is not None:
        other = repository.get_family(session, existing.family_id)
        number = other.family_number if other else existing.family_id
        raise FamilyConflict(
            f"{view.person.name} 已是家庭 {number} 的成员：一人只属于一个家庭，请先从原家庭移出。"
        )


def _join(session: Session, family: Family, person_id: int, relationship: str) -> None:
    try:
        with session.begin_nested():
            repository.add(
                session,
                FamilyMember(family_id=family.id, person_id=person_id, relationship=relationship),
            )
    except IntegrityError as error:
        raise FamilyConflict("该居民刚被加入了另一个家庭，请刷新后重试。") from error
    record = repository.record_of_person(session, person_id)
    if record is not None and record.institution_id == family.institution_id:
        record.family_id = family.id


def kept_family(session: Session, *, actor: Principal, family_id: int) -> Family:
    """A family of ``actor``'s institution (404 otherwise)."""
    family = repository.get_family(session, family_id)
    if family is None or not actor.may_act_in(family.institution_id):
        raise FamilyNotFound()
    return family


def get_family(session: Session, *, actor: Principal, family_id: int) -> FamilyView:
    """The household with its members and their records; audited."""
    family = kept_family(session, actor=actor, family_id=family_id)
    audit.record(
        session, actor=actor, action="family.read", resource_type="Family", resource_id=family.id
    )
    return _view(session, family)


def _view(session: Session, family: Family) -> FamilyView:
    memberships = list(repository.members_of(session, family.id))
    ids = [m.person_id for m in memberships]
    people = repository.persons(session, ids)
    records = repository.records_of_persons(session, ids)
    members = [Member(m, people[m.person_id], records.get(m.person_id)) for m in memberships]
    members.sort(key=lambda m: (m.membership.relationship != HEAD, m.membership.id))
    return FamilyView(family, members)


def add_member(
    session: Session, *, settings: Settings, actor: Principal, family_id: int, data: MemberIn
) -> FamilyView:
    """Add a resident to the household with their relationship to the head."""
    family = _locked(session, actor, family_id)
    errors: list[FieldError] = []
    _check_relationship(errors, "body.relationship", data.relationship)
    if errors:
        raise RecordInvalid(errors=errors)
    _check_person(session, settings, actor, data.person_id)
    _join(session, family, data.person_id, data.relationship)
    _changed(session, actor, family, "family.member.add", data.person_id)
    return _view(session, family)


def set_relationship(
    session: Session, *, actor: Principal, family_id: int, person_id: int, relationship: str
) -> FamilyView:
    """Correct a member's relationship to the head."""
    family = _locked(session, actor, family_id)
    membership = _membership(session, family, person_id)
    errors: list[FieldError] = []
    if membership.relationship == HEAD:
        errors.append(FieldError("body.relationship", "户主的关系固定为“户主”。", "head"))
    else:
        _check_relationship(errors, "body.relationship", relationship)
    if errors:
        raise RecordInvalid(errors=errors)
    membership.relationship = relationship
    _changed(session, actor, family, "family.member.update", person_id)
    return _view(session, family)


def remove_member(
    session: Session, *, actor: Principal, family_id: int, person_id: int
) -> FamilyView:
    """Take a resident out of the household (not the head: choose another head first)."""
    family = _locked(session, actor, family_id)
    membership = _membership(session, family, person_id)
    if person_id == family.head_person_id:
        raise FamilyConflict("不能移出户主：请先把另一位成员设为户主。")
    repository.delete(session, membership)
    record = repository.record_of_person(session, person_id)
    if record is not None and record.family_id == family.id:
        record.family_id = None
    _changed(session, actor, family, "family.member.remove", person_id)
    return _view(session, family)


def update_family(
    session: Session, *, actor: Principal, family_id: int, data: FamilyUpdate
) -> FamilyView:
    """Change the address, the living conditions, or the head (the former head's relationship
    to the new head must then be given)."""
    family = _locked(session, actor, family_id)
    errors: list[FieldError] = []
    if data.living_conditions is not None:
        _check_living(errors, data.living_conditions.model_dump())
    new_head = data.head_person_id
    if new_head is not None and new_head != family.head_person_id:
        _check_new_head(session, errors, family, new_head, data.former_head_relationship)
    if errors:
        raise RecordInvalid(errors=errors)
    if data.address is not None:
        family.address = data.address
    if data.living_conditions is not None:
        family.living_conditions = data.living_conditions.model_dump()
    if new_head is not None and new_head != family.head_person_id:
        _change_head(session, family, new_head, data.former_head_relationship or "97")
    family.updated_at = utcnow()
    _changed(session, actor, family, "family.update", family.head_person_id)
    return _view(session, family)


def _check_new_head(
    session: Session,
    errors: list[FieldError],
    family: Family,
    new_head: int,
    former_relationship: str | None,
) -> None:
    members = {m.person_id for m in repository.members_of(session, family.id)}
    if new_head not in members:
        errors.append(FieldError("body.head_person_id", "新户主须是本家庭成员。", "not_member"))
    if former_relationship is None:
        errors.append(
            FieldError("body.former_head_relationship", "请填写原户主与新户主的关系。", "missing")
        )
    else:
        _check_relationship(errors, "body.former_head_relationship", former_relationship)


def _change_head(session: Session, family: Family, new_head: int, former: str) -> None:
    for membership in repository.members_of(session, family.id):
        if membership.person_id == family.head_person_id:
            membership.relationship = former
        elif membership.person_id == new_head:
            membership.relationship = HEAD
    family.head_person_id = new_head
    session.flush()


def _locked(session: Session, actor: Principal, family_id: int) -> Family:
    kept_family(session, actor=actor, family_id=family_id)
    family = repository.family_for_update(session, family_id)
    assert family is not None  # noqa: S101 - it was just read
    return family


def _membership(session: Session, family: Family, person_id: int) -> FamilyMember:
    membership = repository.membership_of(session, person_id)
    if membership is None or membership.family_id != family.id:
        raise FamilyNotFound("该居民不是这个家庭的成员。")
    return membership


def _changed(
    session: Session, actor: Principal, family: Family, action: str, person_id: int | None
) -> None:
    family.updated_at = utcnow()
    session.flush()
    audit.record(
        session,
        actor=actor,
        action=action,
        resource_type="Family",
        resource_id=family.id,
        detail={"person_id": person_id},
    )


def search_families(
    session: Session, *, actor: Principal, text: str | None = None, limit: int = 50
) -> list[tuple[Family, Person | None]]:
    """Households of ``actor``'s institution by number, address or head's name."""
    rows = repository.search_families(
        session,
        institution_id=None if actor.platform_wide else actor.institution_id,
        text=text.strip() if text else None,
        limit=min(limit, 200),
    )
    return [(f, p) for f, p in rows]


def family_of_person(session: Session, person_id: int) -> Family | None:
    """The household a resident belongs to, if any."""
    membership = repository.membership_of(session, person_id)
    return repository.get_family(session, membership.family_id) if membership else None
