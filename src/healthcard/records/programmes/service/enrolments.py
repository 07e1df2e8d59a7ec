"""Enrolment in a programme (纳入管理), its end, and keeping the copied keeper of a record
(institution, team, responsible staff) in step when the record moves."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from healthcard.core import audit
from healthcard.core.errors import NotFound
from healthcard.core.i18n import N_
from healthcard.core.principal import Principal
from healthcard.models import FollowUp, HealthRecord, ProgrammeEnrolment
from healthcard.records.programmes import repository
from healthcard.records.programmes.exceptions import (
    AlreadyEnrolled,
    EnrolmentNotFound,
    NoActiveRecord,
    NotEligible,
    ResidentNotFound,
)
from healthcard.records.programmes.repository import Basics
from healthcard.records.programmes.schemas import EnrolmentIn
from healthcard.records.programmes.service import evaluate, rules
from healthcard.records.programmes.service.common import age_on, invalid, today, who
from healthcard.records.service import records as records_service
from healthcard.records.service import timeline

PROGRAMME_NAMES = {
    "hypertension": N_("高血压"),
    "diabetes": N_("2型糖尿病"),
    "children": N_("0～6岁儿童"),
    "maternal": N_("孕产妇"),
    "elderly": N_("65岁及以上老年人"),
    "mental": N_("严重精神障碍"),
    "tuberculosis": N_("肺结核"),
}


class RecordNotKept(NotFound):
    code = "record_not_found"
    message = "未找到本机构（或本人）管理的该居民健康档案。"


def noon(day: date) -> datetime:
    """A date placed on the timeline (forms record dates, the timeline instants)."""
    return datetime.combine(day, time(4, 0), tzinfo=UTC)  # 12:00 China Standard Time


def visible(actor: Principal, *, institution_id: int, staff_id: int | None) -> bool:
    """Whether ``actor`` works with a resident kept by ``institution_id``/``staff_id``."""
    if not actor.may_act_in(institution_id):
        return False
    return not records_service.only_own_residents(actor) or staff_id == actor.id


def get_enrolment(session: Session, *, actor: Principal, enrolment_id: int) -> ProgrammeEnrolment:
    """An enrolment the actor works with (404 otherwise, so ids cannot be probed)."""
    enrolment = repository.get_enrolment(session, enrolment_id)
    if enrolment is None or not visible(
        actor,
        institution_id=enrolment.institution_id,
        staff_id=enrolment.responsible_staff_id,
    ):
        raise EnrolmentNotFound()
    return enrolment


def kept_record(session: Session, *, actor: Principal, person_id: int) -> HealthRecord:
    """The resident's active record, kept by the actor (409 without one, 404 if not theirs)."""
    record = records_service.active_record_for_person(session, person_id)
    if record is None:
        raise NoActiveRecord()
    if not records_service.may_keep(actor, record):
        raise RecordNotKept()
    return record


def person(session: Session, person_id: int) -> Basics:
    """A resident of the master patient index (404 when unknown or merged away)."""
    found = repository.person_basics(session, person_id)
    if found is None:
        raise ResidentNotFound()
    return found


def _check_eligible(rule: rules.ProgrammeRule, basics: Basics, on: date) -> None:
    rule_of = rule.eligibility
    age = age_on(basics.birth_date, on)
    if (rule_of.min_age_years or rule_of.max_age_years is not None) and age is None:
        raise NotEligible("该居民没有登记出生日期，无法判断是否符合纳入条件。")
    if rule_of.min_age_years is not None and age is not None and age < rule_of.min_age_years:
        raise NotEligible(f"{rule.name}的对象为{rule_of.min_age_years}岁及以上居民（现{age}岁）。")
    if rule_of.max_age_years is not None and age is not None and age > rule_of.max_age_years:
        raise NotEligible(f"{rule.name}的对象为{rule_of.max_age_years}岁及以下儿童（现{age}岁）。")
    if rule_of.sex is not None and basics.sex != rule_of.sex:
        raise NotEligible(f"{rule.name}的对象仅限女性居民。")


def _detail(data: EnrolmentIn, basics: Basics, enrolled_on: date) -> dict[str, Any]:
    detail: dict[str, Any] = {}
    if data.diagnosis:
        detail["diagnosis"] = data.diagnosis
    for key in ("diagnosed_on", "lmp", "delivered_on", "treatment_start"):
        value = getattr(data, key)
        if value is not None:
            if value > enrolled_on:
                raise invalid(f"body.{key}", "日期不能晚于纳入管理日期。", "in_future")
            detail[key] = value.isoformat()
    if data.programme == "maternal" and not (data.lmp or data.delivered_on):
        raise invalid("body.lmp", "孕产妇管理须填写末次月经日期（或分娩日期）。", "missing")
    if data.programme == "tuberculosis":
        detail.setdefault("treatment_start", enrolled_on.isoformat())
    if data.programme == "children" and basics.birth_date is None:
        raise NotEligible("儿童健康管理须有出生日期：请先在主索引补充出生日期。")
    return detail


def anchors(enrolment: ProgrammeEnrolment, birth_date: date | None) -> dict[str, date]:
    """The dates a schedule counts from: birth, last menstrual period, delivery, treatment."""
    found: dict[str, date] = {}
    if birth_date is not None:
        found["birth"] = birth_date
    for key, name in (
        ("lmp", "lmp"),
        ("delivered_on", "delivery"),
        ("treatment_start", "treatment"),
    ):
        if enrolment.detail.get(key):
            found[name] = date.fromisoformat(enrolment.detail[key])
    return found


def schedule(
    session: Session,
    enrolment: ProgrammeEnrolment,
    due: evaluate.Due,
    *,
    rule_version: str,
) -> FollowUp:
    """Add the next visit of an enrolment, carrying the record keeper for the task lists."""
    visit = FollowUp(
        enrolment_id=enrolment.id,
        person_id=enrolment.person_id,
        record_id=enrolment.record_id,
        programme=enrolment.programme,
        visit_code=due.code,
        institution_id=enrolment.institution_id,
        team_id=enrolment.team_id,
        responsible_staff_id=enrolment.responsible_staff_id,
        due_date=due.due_date,
        status="due",
        rule_version=rule_version,
        form={},
        hospital_measurements=[],
        referral_reasons=[],
    )
    session.add(visit)
    session.flush()
    return visit


def enrol(session: Session, *, actor: Principal, data: EnrolmentIn) -> ProgrammeEnrolment:
    """Enrol a resident with an active record in a programme and schedule the first visit."""
    basics = person(session, data.person_id)
    record = kept_record(session, actor=actor, person_id=data.person_id)
    enrolled_on = data.enrolled_on or today()
    if enrolled_on > today():
        raise invalid("body.enrolled_on", "纳入管理日期不能晚于今天。", "in_future")
    ruleset = rules.programme_rules(on=enrolled_on)
    rule = ruleset.programmes[data.programme]
    _check_eligible(rule, basics, enrolled_on)
    if repository.active_enrolment(session, data.person_id, data.programme) is not None:
        raise AlreadyEnrolled()
    enrolment = ProgrammeEnrolment(
        person_id=data.person_id,
        record_id=record.id,
        programme=data.programme,
        status="active",
        institution_id=record.institution_id,
        team_id=record.team_id,
        responsible_staff_id=record.responsible_staff_id,
        enrolled_on=enrolled_on,
        detail=_detail(data, basics, enrolled_on),
        rule_version=ruleset.version,
        enrolled_by=who(actor),
    )
    try:
        with session.begin_nested():
            session.add(enrolment)
            session.flush()
    except IntegrityError as error:
        raise AlreadyEnrolled() from error
    first = evaluate.first_due(
        rule, enrolled_on=enrolled_on, anchors=anchors(enrolment, basics.birth_date)
    )
    if first is None:
        raise NotEligible(f"按{rule.name}的时间表，该居民已没有待做的随访或检查。")
    schedule(session, enrolment, first, rule_version=ruleset.version)
    _enrolment_events(session, actor, enrolment, rule.name)
    return enrolment


def _enrolment_events(
    session: Session, actor: Principal, enrolment: ProgrammeEnrolment, name: str
) -> None:
    timeline.add_event(
        session,
        person_id=enrolment.person_id,
        kind="enrolment",
        occurred_at=noon(enrolment.enrolled_on),
        title=f"纳入{name}",
        institution_id=enrolment.institution_id,
        source="programmes",
        ref=f"enrolment:{enrolment.id}",
        detail={"programme": enrolment.programme, "rule_version": enrolment.rule_version},
    )
    audit.record(
        session,
        actor=actor,
        action="programme.enrol",
        resource_type="ProgrammeEnrolment",
        resource_id=enrolment.id,
        detail={"person_id": enrolment.person_id, "programme": enrolment.programme},
    )


def close(session: Session, enrolment: ProgrammeEnrolment, *, ended_on: date, reason: str) -> None:
    """End an enrolment and cancel its open visits."""
    enrolment.status = "ended"
    enrolment.ended_on = ended_on
    enrolment.end_reason = reason
    for visit in repository.due_of(session, enrolment.id):
        visit.status = "cancelled"
        visit.note = reason[:300]
    session.flush()


def end_enrolment(
    session: Session, *, actor: Principal, enrolment_id: int, reason: str, ended_on: date | None
) -> ProgrammeEnrolment:
    """End a resident's management in a programme (cured, moved, died ...)."""
    enrolment = get_enrolment(session, actor=actor, enrolment_id=enrolment_id)
    if enrolment.status != "active":
        raise EnrolmentNotFound("该管理记录已结束。", status_code=409, code="enrolment_ended")
    day = ended_on or today()
    if day > today() or day < enrolment.enrolled_on:
        raise invalid("body.ended_on", "结束日期应在纳入日期与今天之间。", "out_of_range")
    close(session, enrolment, ended_on=day, reason=reason)
    audit.record(
        session,
        actor=actor,
        action="programme.end",
        resource_type="ProgrammeEnrolment",
        resource_id=enrolment.id,
        detail={"reason": reason},
    )
    return enrolment


def enrolments_of(
    session: Session, *, actor: Principal, person_id: int
) -> Sequence[ProgrammeEnrolment]:
    """A resident's enrolments the actor works with, open ones first."""
    return [
        e
        for e in repository.enrolments_of(session, person_id)
        if visible(actor, institution_id=e.institution_id, staff_id=e.responsible_staff_id)
    ]


def enrolment_page(
    session: Session,
    *,
    actor: Principal,
    programme: str | None = None,
    offset: int = 0,
    limit: int = 50,
) -> tuple[list[tuple[ProgrammeEnrolment, Basics]], int]:
    """Open enrolments of the actor's institution (a village doctor: their own residents)."""
    if actor.institution_id is None:
        return [], 0
    rows, total = repository.enrolments(
        session,
        institution_id=actor.institution_id,
        programme=programme or None,
        staff_id=actor.id if records_service.only_own_residents(actor) else None,
        offset=max(offset, 0),
        limit=max(1, min(limit, 200)),
    )
    people = repository.basics_of(session, [e.person_id for e in rows])
    return [(e, people[e.person_id]) for e in rows if e.person_id in people], total


def reassign_record(
    session: Session,
    *,
    record_id: int,
    institution_id: int,
    team_id: int | None,
    responsible_staff_id: int | None,
) -> int:
    """Move a record's open enrolments and due visits to its new keeper (called by migration)."""
    return repository.reassign(
        session,
        record_id=record_id,
        institution_id=institution_id,
        team_id=team_id,
        responsible_staff_id=responsible_staff_id,
    )


def close_record(session: Session, *, record_id: int, ended_on: date, reason: str) -> int:
    """End every open enrolment of a terminated record (its due visits are cancelled)."""
    closed = 0
    for enrolment in repository.active_enrolments_of_record(session, record_id):
        close(session, enrolment, ended_on=ended_on, reason=reason)
        closed += 1
    return closed


@dataclass(frozen=True)
class ProgrammeCoverage:
    """One programme of an institution: open enrolments, and follow-ups of the last 365 days
    done out of owed (due and not cancelled: done, missed or overdue)."""

    programme: str
    name: str
    enrolled: int
    done: int
    owed: int

    @property
    def completion(self) -> float | None:
        return round(100 * self.done / self.owed, 1) if self.owed else None


def coverage_rates(
    session: Session, *, institution_id: int, today: date
) -> list[ProgrammeCoverage]:
    """Programme enrolment and follow-up completion for an institution's coverage page."""
    since = today - timedelta(days=365)
    counts = repository.coverage_counts(session, institution_id, since=since, today=today)
    return [
        ProgrammeCoverage(programme, name, *counts.get(programme, (0, 0, 0)))
        for programme, name in PROGRAMME_NAMES.items()
    ]
