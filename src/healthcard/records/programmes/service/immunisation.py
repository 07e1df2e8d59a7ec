"""Immunisation against the national schedule: doses due and overdue per child, computed from
the birth date and the doses given, and recording a dose."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from healthcard.core import audit
from healthcard.core.errors import FieldError, ValidationFailed
from healthcard.core.principal import Principal
from healthcard.models import Immunisation
from healthcard.records.programmes import repository
from healthcard.records.programmes.exceptions import DoseAlreadyRecorded
from healthcard.records.programmes.repository import Basics
from healthcard.records.programmes.service import rules
from healthcard.records.programmes.service.common import invalid, today, who
from healthcard.records.programmes.service.enrolments import noon, person
from healthcard.records.service import access, timeline


@dataclass(frozen=True)
class DoseStatus:
    """One dose of the schedule for one child."""

    vaccine_code: str
    vaccine_name: str
    dose_number: int
    due_date: date
    due_by: date  # the last day it is on time; overdue after
    status: str  # given | overdue | due | upcoming
    given: Immunisation | None


@dataclass(frozen=True)
class ChildSchedule:
    person: Basics
    birth_date: date
    schedule: rules.ImmunisationSchedule
    as_of: date
    doses: list[DoseStatus]

    @property
    def overdue(self) -> list[DoseStatus]:
        return [d for d in self.doses if d.status == "overdue"]

    @property
    def due(self) -> list[DoseStatus]:
        return [d for d in self.doses if d.status == "due"]


def dose_statuses(
    schedule: rules.ImmunisationSchedule,
    *,
    birth_date: date,
    given: Sequence[Immunisation],
    as_of: date,
) -> list[DoseStatus]:
    """Every dose of the schedule: given, or due at its age (or, when later, the minimum
    interval after the previous dose given), overdue once past the grace; sorted by due date."""
    by_key = {(g.vaccine_code, g.dose_number): g for g in given}
    statuses = []
    for vaccine in schedule.vaccines:
        previous: Immunisation | None = None
        for dose in vaccine.doses:
            due = dose.age.after(birth_date)
            if previous is not None:
                due = max(due, previous.given_on + timedelta(days=dose.min_interval_days))
            due_by = schedule.overdue_after.after(due)
            done = by_key.get((vaccine.code, dose.dose))
            if done is not None:
                status = "given"
            elif as_of > due_by:
                status = "overdue"
            else:
                status = "due" if as_of >= due else "upcoming"
            statuses.append(
                DoseStatus(vaccine.code, vaccine.name, dose.dose, due, due_by, status, done)
            )
            previous = done
    statuses.sort(key=lambda d: (d.due_date, d.vaccine_code, d.dose_number))
    return statuses


def child_schedule(
    session: Session, *, actor: Principal, person_id: int, as_of: date | None = None
) -> ChildSchedule:
    """A child's doses against the schedule in force today (read audited, 404 if not allowed)."""
    basics = person(session, person_id)
    access.check_read(session, actor=actor, person_id=person_id, purpose="immunisation")
    if basics.birth_date is None:
        raise invalid("person_id", "该居民没有登记出生日期，无法按免疫程序计算。", "no_birth_date")
    day = as_of or today()
    schedule = rules.immunisation_schedule(on=day)
    given = repository.immunisations_of(session, person_id)
    doses = dose_statuses(schedule, birth_date=basics.birth_date, given=given, as_of=day)
    return ChildSchedule(basics, basics.birth_date, schedule, day, doses)


def _schedule_for(given_on: date) -> rules.ImmunisationSchedule:
    try:
        return rules.immunisation_schedule(on=given_on)
    except rules.RulesError:
        # A dose given before the oldest shipped edition is judged by that edition.
        editions = [v for v in rules.all_versions() if v[0] == "immunisation"]
        oldest = min(editions, key=lambda v: v[3])
        return rules.immunisation_schedule(version=oldest[1])


def _check_dose(
    schedule: rules.ImmunisationSchedule,
    basics: Basics,
    vaccine_code: str,
    dose_number: int,
    given_on: date,
    site: str | None,
) -> None:
    errors = []
    vaccine = schedule.vaccine(vaccine_code)
    if vaccine is None:
        errors.append(
            FieldError(
                "vaccine_code",
                f"免疫程序（{schedule.version}）中没有疫苗 {vaccine_code}。",
                "unknown_vaccine",
            )
        )
    elif vaccine.dose(dose_number) is None:
        errors.append(
            FieldError(
                "dose_number", f"{vaccine.name}只有 {len(vaccine.doses)} 剂次。", "unknown_dose"
            )
        )
    if given_on > today():
        errors.append(FieldError("given_on", "接种日期不能晚于今天。", "in_future"))
    if basics.birth_date is not None and given_on < basics.birth_date:
        errors.append(FieldError("given_on", "接种日期不能早于出生日期。", "before_birth"))
    if site is not None and site not in schedule.sites:
        errors.append(FieldError("site", "请从列表中选择接种部位。", "unknown_site"))
    if errors:
        raise ValidationFailed("；".join(e.message for e in errors), errors=errors)


def record_immunisation(
    session: Session,
    *,
    actor: Principal,
    person_id: int,
    vaccine_code: str,
    dose_number: int,
    given_on: date,
    institution_id: int,
    lot_number: str | None = None,
    source: str,
    site: str | None = None,
) -> Immunisation:
    """Record one dose given (vaccine and dose from the national schedule); 409 if recorded."""
    basics = person(session, person_id)
    schedule = _schedule_for(given_on)
    _check_dose(schedule, basics, vaccine_code, dose_number, given_on, site)
    if repository.immunisation(session, person_id, vaccine_code, dose_number) is not None:
        raise DoseAlreadyRecorded()
    dose = Immunisation(
        person_id=person_id,
        vaccine_code=vaccine_code,
        dose_number=dose_number,
        given_on=given_on,
        institution_id=institution_id,
        lot_number=lot_number,
        site=site,
        source=source,
        schedule_version=schedule.version,
        recorded_by=who(actor),
    )
    try:
        with session.begin_nested():
            session.add(dose)
            session.flush()
    except IntegrityError as error:
        raise DoseAlreadyRecorded() from error
    vaccine = schedule.vaccine(vaccine_code)
    assert vaccine is not None  # noqa: S101 - checked above
    timeline.add_event(
        session,
        person_id=person_id,
        kind="immunization",
        occurred_at=noon(given_on),
        title=f"接种{vaccine.name}第{dose_number}剂",
        institution_id=institution_id,
        source=source,
        ref=f"immunisation:{dose.id}",
        detail={"vaccine": vaccine_code, "dose": dose_number, "lot": lot_number},
    )
    audit.record(
        session,
        actor=actor,
        action="immunisation.record",
        resource_type="Immunisation",
        resource_id=dose.id,
        detail={"person_id": person_id, "vaccine": vaccine_code, "dose": dose_number},
    )
    return dose
