"""All SQL of the public-health programmes.

Task lists read the follow-up rows alone (institution, team and responsible staff are copied
onto them) through partial indexes on due rows, and join ``persons`` only for the page shown.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, select, update
from sqlalchemy.orm import Session

from healthcard.models import (
    Consultation,
    DoctorTeam,
    FollowUp,
    HealthEducation,
    Immunisation,
    InfectiousReport,
    Person,
    ProgrammeEnrolment,
    Referral,
)


@dataclass(frozen=True)
class Basics:
    """What the programmes need to know of a person: name, sex, birth date."""

    id: int
    name: str
    sex: str | None
    birth_date: date | None


def person_basics(session: Session, person_id: int) -> Basics | None:
    row = session.execute(
        select(Person.id, Person.name, Person.sex, Person.birth_date).where(
            Person.id == person_id, Person.status == "active"
        )
    ).first()
    return Basics(*row) if row else None


def basics_of(session: Session, person_ids: Sequence[int]) -> dict[int, Basics]:
    if not person_ids:
        return {}
    rows = session.execute(
        select(Person.id, Person.name, Person.sex, Person.birth_date).where(
            Person.id.in_(set(person_ids))
        )
    )
    return {row[0]: Basics(*row) for row in rows}


# --- enrolments ---------------------------------------------------------------------------------


def get_enrolment(session: Session, enrolment_id: int) -> ProgrammeEnrolment | None:
    return session.get(ProgrammeEnrolment, enrolment_id)


def active_enrolment(session: Session, person_id: int, programme: str) -> ProgrammeEnrolment | None:
    return session.scalars(
        select(ProgrammeEnrolment).where(
            ProgrammeEnrolment.person_id == person_id,
            ProgrammeEnrolment.programme == programme,
            ProgrammeEnrolment.status == "active",
        )
    ).first()


def enrolments_of(session: Session, person_id: int) -> Sequence[ProgrammeEnrolment]:
    return session.scalars(
        select(ProgrammeEnrolment)
        .where(ProgrammeEnrolment.person_id == person_id)
        .order_by(ProgrammeEnrolment.status, ProgrammeEnrolment.enrolled_on.desc())
    ).all()


def enrolments(
    session: Session,
    *,
    institution_id: int | None,
    programme: str | None,
    staff_id: int | None,
    offset: int,
    limit: int,
) -> tuple[Sequence[ProgrammeEnrolment], int]:
    query = select(ProgrammeEnrolment).where(ProgrammeEnrolment.status == "active")
    if institution_id is not None:
        query = query.where(ProgrammeEnrolment.institution_id == institution_id)
    if programme:
        query = query.where(ProgrammeEnrolment.programme == programme)
    if staff_id is not None:
        query = query.where(ProgrammeEnrolment.responsible_staff_id == staff_id)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(ProgrammeEnrolment.id.desc()).offset(offset).limit(limit)
    ).all()
    return rows, total


def active_enrolments_of(
    session: Session, person_id: int, programmes: Sequence[str]
) -> Sequence[ProgrammeEnrolment]:
    return session.scalars(
        select(ProgrammeEnrolment).where(
            ProgrammeEnrolment.person_id == person_id,
            ProgrammeEnrolment.programme.in_(programmes),
            ProgrammeEnrolment.status == "active",
        )
    ).all()


def active_enrolments_of_record(session: Session, record_id: int) -> Sequence[ProgrammeEnrolment]:
    return session.scalars(
        select(ProgrammeEnrolment).where(
            ProgrammeEnrolment.record_id == record_id, ProgrammeEnrolment.status == "active"
        )
    ).all()


# --- follow-ups ---------------------------------------------------------------------------------


def get_followup(session: Session, followup_id: int, *, lock: bool = False) -> FollowUp | None:
    query = select(FollowUp).where(FollowUp.id == followup_id)
    if lock:
        query = query.with_for_update()
    return session.scalars(query).first()


def next_due(session: Session, enrolment_id: int) -> FollowUp | None:
    """The earliest open visit of an enrolment."""
    return session.scalars(
        select(FollowUp)
        .where(FollowUp.enrolment_id == enrolment_id, FollowUp.status == "due")
        .order_by(FollowUp.due_date, FollowUp.id)
        .with_for_update()
    ).first()


def due_of(session: Session, enrolment_id: int) -> Sequence[FollowUp]:
    return session.scalars(
        select(FollowUp).where(FollowUp.enrolment_id == enrolment_id, FollowUp.status == "due")
    ).all()


def recent_done(session: Session, enrolment_id: int, limit: int) -> Sequence[FollowUp]:
    """The latest completed visits of an enrolment, newest first."""
    return session.scalars(
        select(FollowUp)
        .where(FollowUp.enrolment_id == enrolment_id, FollowUp.status == "done")
        .order_by(FollowUp.done_on.desc(), FollowUp.id.desc())
        .limit(limit)
    ).all()


def followups_of(session: Session, enrolment_id: int) -> Sequence[FollowUp]:
    return session.scalars(
        select(FollowUp)
        .where(FollowUp.enrolment_id == enrolment_id)
        .order_by(FollowUp.due_date.desc(), FollowUp.id.desc())
    ).all()


def reassign(
    session: Session,
    *,
    record_id: int,
    institution_id: int,
    team_id: int | None,
    responsible_staff_id: int | None,
) -> int:
    """Copy a record's keeper onto its open enrolments and due visits; answers rows changed."""
    values: dict[str, Any] = {
        "institution_id": institution_id,
        "team_id": team_id,
        "responsible_staff_id": responsible_staff_id,
    }
    enrolled = session.execute(
        update(ProgrammeEnrolment)
        .where(ProgrammeEnrolment.record_id == record_id, ProgrammeEnrolment.status == "active")
        .values(**values)
    )
    visits = session.execute(
        update(FollowUp)
        .where(FollowUp.record_id == record_id, FollowUp.status == "due")
        .values(**values)
    )
    return int(enrolled.rowcount or 0) + int(visits.rowcount or 0)  # type: ignore[attr-defined]


# --- task lists ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """Whose due visits: an institution, optionally one team, one responsible staff member."""

    institution_id: int
    team_id: int | None = None
    staff_id: int | None = None
    programme: str | None = None


def _scoped(scope: Scope, *extra: ColumnElement[bool]) -> list[ColumnElement[bool]]:
    where = [
        FollowUp.status == "due",
        FollowUp.institution_id == scope.institution_id,
        *extra,
    ]
    if scope.team_id is not None:
        where.append(FollowUp.team_id == scope.team_id)
    if scope.staff_id is not None:
        where.append(FollowUp.responsible_staff_id == scope.staff_id)
    if scope.programme:
        where.append(FollowUp.programme == scope.programme)
    return where


def task_page(
    session: Session,
    scope: Scope,
    *,
    due_from: date | None,
    due_to: date | None,
    offset: int,
    limit: int,
) -> tuple[list[tuple[FollowUp, Basics]], int]:
    """Due visits with ``due_from <= due_date <= due_to`` (either end open), oldest first."""
    window = []
    if due_from is not None:
        window.append(FollowUp.due_date >= due_from)
    if due_to is not None:
        window.append(FollowUp.due_date <= due_to)
    where = _scoped(scope, *window)
    total = session.scalar(select(func.count()).select_from(FollowUp).where(*where)) or 0
    query = (
        select(FollowUp, Person.id, Person.name, Person.sex, Person.birth_date)
        .join(Person, Person.id == FollowUp.person_id)
        .where(*where)
        .order_by(FollowUp.due_date, FollowUp.id)
        .offset(offset)
        .limit(limit)
    )
    rows = [(row[0], Basics(row[1], row[2], row[3], row[4])) for row in session.execute(query)]
    return rows, total


def task_counts(
    session: Session, scope: Scope, *, today: date, week_start: date, week_end: date
) -> list[tuple[str, int | None, int, int]]:
    """Per programme and team: (programme, team_id, overdue, due this week)."""
    overdue = func.sum(_flag(FollowUp.due_date < today))
    this_week = func.sum(
        _flag(and_(FollowUp.due_date >= week_start, FollowUp.due_date <= week_end))
    )
    rows = session.execute(
        select(FollowUp.programme, FollowUp.team_id, overdue, this_week)
        .where(*_scoped(scope, FollowUp.due_date <= week_end))
        .group_by(FollowUp.programme, FollowUp.team_id)
    )
    return [(r[0], r[1], int(r[2] or 0), int(r[3] or 0)) for r in rows]


def _flag(condition: ColumnElement[bool]) -> Any:
    return case((condition, 1), else_=0)


def team_names(session: Session, team_ids: Sequence[int]) -> dict[int, str]:
    if not team_ids:
        return {}
    rows = session.execute(
        select(DoctorTeam.id, DoctorTeam.name).where(DoctorTeam.id.in_(set(team_ids)))
    )
    return {r[0]: r[1] for r in rows}


def teams_of(session: Session, institution_id: int) -> list[tuple[int, str]]:
    rows = session.execute(
        select(DoctorTeam.id, DoctorTeam.name)
        .where(DoctorTeam.institution_id == institution_id, DoctorTeam.active.is_(True))
        .order_by(DoctorTeam.name)
    )
    return [(r[0], r[1]) for r in rows]


# --- immunisation -------------------------------------------------------------------------------


def immunisations_of(session: Session, person_id: int) -> Sequence[Immunisation]:
    return session.scalars(
        select(Immunisation)
        .where(Immunisation.person_id == person_id)
        .order_by(Immunisation.given_on, Immunisation.id)
    ).all()


def immunisation(
    session: Session, person_id: int, vaccine_code: str, dose_number: int
) -> Immunisation | None:
    return session.scalars(
        select(Immunisation).where(
            Immunisation.person_id == person_id,
            Immunisation.vaccine_code == vaccine_code,
            Immunisation.dose_number == dose_number,
        )
    ).first()


# --- infectious-disease reports, activities -----------------------------------------------------


def get_report(session: Session, report_id: int, *, lock: bool = False) -> InfectiousReport | None:
    query = select(InfectiousReport).where(InfectiousReport.id == report_id)
    if lock:
        query = query.with_for_update()
    return session.scalars(query).first()


def reports(
    session: Session,
    *,
    institution_id: int | None,
    late_only: bool,
    status: str | None,
    offset: int,
    limit: int,
) -> tuple[Sequence[InfectiousReport], int]:
    query = select(InfectiousReport)
    if institution_id is not None:
        query = query.where(InfectiousReport.institution_id == institution_id)
    if late_only:
        query = query.where(InfectiousReport.late.is_(True))
    if status:
        query = query.where(InfectiousReport.status == status)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(InfectiousReport.reported_at.desc()).offset(offset).limit(limit)
    ).all()
    return rows, total


def education(session: Session, institution_id: int, limit: int) -> Sequence[HealthEducation]:
    return session.scalars(
        select(HealthEducation)
        .where(HealthEducation.institution_id == institution_id)
        .order_by(HealthEducation.held_on.desc(), HealthEducation.id.desc())
        .limit(limit)
    ).all()


def referrals(session: Session, institution_id: int, limit: int) -> Sequence[Referral]:
    return session.scalars(
        select(Referral)
        .where(
            (Referral.from_institution_id == institution_id)
            | (Referral.to_institution_id == institution_id)
        )
        .order_by(Referral.referred_on.desc(), Referral.id.desc())
        .limit(limit)
    ).all()


def consultations(session: Session, institution_id: int, limit: int) -> Sequence[Consultation]:
    return session.scalars(
        select(Consultation)
        .where(Consultation.institution_id == institution_id)
        .order_by(Consultation.held_on.desc(), Consultation.id.desc())
        .limit(limit)
    ).all()


def coverage_counts(
    session: Session, institution_id: int, *, since: date, today: date
) -> dict[str, tuple[int, int, int]]:
    """Per programme: open enrolments, follow-ups done and follow-ups owed (done, missed or
    overdue) among those due from ``since`` to ``today``, for one institution."""
    enrolled = dict(
        session.execute(
            select(ProgrammeEnrolment.programme, func.count())
            .where(
                ProgrammeEnrolment.institution_id == institution_id,
                ProgrammeEnrolment.status == "active",
            )
            .group_by(ProgrammeEnrolment.programme)
        ).all()
    )
    owed = and_(
        FollowUp.institution_id == institution_id,
        FollowUp.due_date >= since,
        FollowUp.due_date < today,
        FollowUp.status.in_(("done", "missed", "due")),
    )
    visits = {
        programme: (int(done or 0), int(total))
        for programme, done, total in session.execute(
            select(
                FollowUp.programme,
                func.sum(case((FollowUp.status == "done", 1), else_=0)),
                func.count(),
            )
            .where(owed)
            .group_by(FollowUp.programme)
        ).all()
    }
    return {
        programme: (int(enrolled.get(programme, 0)), *visits.get(programme, (0, 0)))
        for programme in set(enrolled) | set(visits)
    }
