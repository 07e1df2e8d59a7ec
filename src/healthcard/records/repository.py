"""All SQL of the records domain (families, records, exams, teams, access grants, migrations)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from healthcard.models import (
    BreakGlassAccess,
    DoctorTeam,
    DoctorTeamMember,
    Family,
    FamilyMember,
    HealthExam,
    HealthRecord,
    MigrationStep,
    Person,
    RecordConsent,
    RecordEvent,
    RecordMigration,
    RecordNumberCounter,
    ServicePopulation,
)

OPEN_MIGRATION = ("requested", "escalated", "bureau_review")


# --- numbering ---------------------------------------------------------------------------------


def next_sequence(session: Session, area_code: str) -> int:
    """Take the next personal sequence under ``area_code``. The UPDATE locks the counter row
    until the transaction ends, so concurrent creations under one area queue up."""
    dialect = session.get_bind().dialect.name
    maker = postgresql.insert if dialect == "postgresql" else sqlite.insert
    session.execute(
        maker(RecordNumberCounter)
        .values(area_code=area_code, last_sequence=0)
        .on_conflict_do_nothing(index_elements=["area_code"])
    )
    return session.execute(
        update(RecordNumberCounter)
        .where(RecordNumberCounter.area_code == area_code)
        .values(last_sequence=RecordNumberCounter.last_sequence + 1)
        .returning(RecordNumberCounter.last_sequence)
    ).scalar_one()


def next_family_serial(session: Session, institution_id: int) -> int:
    """The next family serial of an institution (family numbers share the counter table under a
    key of their own that no 12-digit area code can take)."""
    return next_sequence(session, f"F{institution_id}")


# --- records -----------------------------------------------------------------------------------


def get_record(session: Session, record_id: int) -> HealthRecord | None:
    return session.get(HealthRecord, record_id)


def record_for_update(session: Session, record_id: int) -> HealthRecord | None:
    return session.execute(
        select(HealthRecord).where(HealthRecord.id == record_id).with_for_update()
    ).scalar_one_or_none()


def record_of_person(session: Session, person_id: int) -> HealthRecord | None:
    return session.execute(
        select(HealthRecord).where(HealthRecord.person_id == person_id)
    ).scalar_one_or_none()


def record_by_number(session: Session, number: str) -> HealthRecord | None:
    return session.execute(
        select(HealthRecord).where(HealthRecord.record_number == number)
    ).scalar_one_or_none()


def search_records(
    session: Session,
    *,
    institution_id: int | None,
    responsible_staff_id: int | None,
    status: str | None,
    team_id: int | None,
    text: str | None,
    offset: int,
    limit: int,
) -> tuple[Sequence[tuple[HealthRecord, Person]], int]:
    """Records with their persons, newest first, and the total matching."""
    conditions: list[ColumnElement[bool]] = []
    if institution_id is not None:
        conditions.append(HealthRecord.institution_id == institution_id)
    if responsible_staff_id is not None:
        conditions.append(HealthRecord.responsible_staff_id == responsible_staff_id)
    if status:
        conditions.append(HealthRecord.status == status)
    if team_id is not None:
        conditions.append(HealthRecord.team_id == team_id)
    if text:
        like = f"%{text}%"
        conditions.append(or_(HealthRecord.record_number.like(like), Person.name.like(like)))
    base = select(HealthRecord, Person).join(Person, Person.id == HealthRecord.person_id)
    base = base.where(*conditions)
    total = session.execute(select(func.count()).select_from(base.subquery())).scalar_one()
    rows = session.execute(base.order_by(HealthRecord.id.desc()).offset(offset).limit(limit)).all()
    return rows, total


def person(session: Session, person_id: int) -> Person | None:
    """The master patient index row (read-only here: name, sex and birth date for display)."""
    return session.get(Person, person_id)


def persons(session: Session, ids: Sequence[int]) -> dict[int, Person]:
    if not ids:
        return {}
    rows = session.execute(select(Person).where(Person.id.in_(ids))).scalars()
    return {p.id: p for p in rows}


def exams_of(session: Session, record_id: int) -> Sequence[HealthExam]:
    return (
        session.execute(
            select(HealthExam)
            .where(HealthExam.record_id == record_id)
            .order_by(HealthExam.exam_date.desc(), HealthExam.id.desc())
        )
        .scalars()
        .all()
    )


def get_exam(session: Session, exam_id: int) -> HealthExam | None:
    return session.get(HealthExam, exam_id)


def add(session: Session, row: object) -> None:
    session.add(row)
    session.flush()


# --- families ----------------------------------------------------------------------------------


def get_family(session: Session, family_id: int) -> Family | None:
    return session.get(Family, family_id)


def family_for_update(session: Session, family_id: int) -> Family | None:
    return session.execute(
        select(Family).where(Family.id == family_id).with_for_update()
    ).scalar_one_or_none()


def members_of(session: Session, family_id: int) -> Sequence[FamilyMember]:
    return (
        session.execute(
            select(FamilyMember)
            .where(FamilyMember.family_id == family_id)
            .order_by(FamilyMember.id)
        )
        .scalars()
        .all()
    )


def membership_of(session: Session, person_id: int) -> FamilyMember | None:
    return session.execute(
        select(FamilyMember).where(FamilyMember.person_id == person_id)
    ).scalar_one_or_none()


def search_families(
    session: Session, *, institution_id: int | None, text: str | None, limit: int
) -> Sequence[tuple[Family, Person | None]]:
    stmt = select(Family, Person).outerjoin(Person, Person.id == Family.head_person_id)
    if institution_id is not None:
        stmt = stmt.where(Family.institution_id == institution_id)
    if text:
        like = f"%{text}%"
        stmt = stmt.where(
            or_(Family.family_number.like(like), Family.address.like(like), Person.name.like(like))
        )
    return session.execute(stmt.order_by(Family.id.desc()).limit(limit)).all()


def records_of_persons(session: Session, ids: Sequence[int]) -> dict[int, HealthRecord]:
    if not ids:
        return {}
    rows = session.execute(select(HealthRecord).where(HealthRecord.person_id.in_(ids)))
    return {r.person_id: r for r in rows.scalars()}


def delete(session: Session, row: object) -> None:
    session.delete(row)
    session.flush()


# --- teams -------------------------------------------------------------------------------------


def get_team(session: Session, team_id: int) -> DoctorTeam | None:
    return session.get(DoctorTeam, team_id)


def teams_of(session: Session, institution_id: int) -> Sequence[DoctorTeam]:
    return (
        session.execute(
            select(DoctorTeam)
            .where(DoctorTeam.institution_id == institution_id)
            .order_by(DoctorTeam.name)
        )
        .scalars()
        .all()
    )


def team_members(session: Session, team_id: int) -> Sequence[DoctorTeamMember]:
    return (
        session.execute(select(DoctorTeamMember).where(DoctorTeamMember.team_id == team_id))
        .scalars()
        .all()
    )


def team_member(session: Session, team_id: int, staff_id: int) -> DoctorTeamMember | None:
    return session.get(DoctorTeamMember, (team_id, staff_id))


def team_by_name(session: Session, institution_id: int, name: str) -> DoctorTeam | None:
    return session.execute(
        select(DoctorTeam).where(
            DoctorTeam.institution_id == institution_id, DoctorTeam.name == name
        )
    ).scalar_one_or_none()


def record_counts_by_team(session: Session, institution_id: int) -> dict[int, int]:
    rows = session.execute(
        select(HealthRecord.team_id, func.count())
        .where(HealthRecord.institution_id == institution_id, HealthRecord.team_id.is_not(None))
        .group_by(HealthRecord.team_id)
    )
    return {team_id: n for team_id, n in rows if team_id is not None}


# --- access grants -----------------------------------------------------------------------------


def live_consent(
    session: Session, person_id: int, institution_id: int, now: datetime
) -> RecordConsent | None:
    return session.execute(
        select(RecordConsent)
        .where(
            RecordConsent.person_id == person_id,
            RecordConsent.institution_id == institution_id,
            RecordConsent.revoked_at.is_(None),
            RecordConsent.expires_at > now,
        )
        .order_by(RecordConsent.expires_at.desc())
        .limit(1)
    ).scalar_one_or_none()


def consents_of(session: Session, person_id: int) -> Sequence[RecordConsent]:
    return (
        session.execute(
            select(RecordConsent)
            .where(RecordConsent.person_id == person_id)
            .order_by(RecordConsent.recorded_at.desc())
        )
        .scalars()
        .all()
    )


def get_consent(session: Session, consent_id: int) -> RecordConsent | None:
    return session.get(RecordConsent, consent_id)


def live_break_glass(
    session: Session, person_id: int, staff_id: int, now: datetime
) -> BreakGlassAccess | None:
    return session.execute(
        select(BreakGlassAccess)
        .where(
            BreakGlassAccess.person_id == person_id,
            BreakGlassAccess.staff_id == staff_id,
            BreakGlassAccess.expires_at > now,
        )
        .order_by(BreakGlassAccess.expires_at.desc())
        .limit(1)
    ).scalar_one_or_none()


def break_glass_list(
    session: Session, *, unreviewed_only: bool, limit: int
) -> Sequence[BreakGlassAccess]:
    stmt = select(BreakGlassAccess)
    if unreviewed_only:
        stmt = stmt.where(BreakGlassAccess.reviewed_at.is_(None))
    return (
        session.execute(stmt.order_by(BreakGlassAccess.started_at.desc()).limit(limit))
        .scalars()
        .all()
    )


def get_break_glass(session: Session, access_id: int) -> BreakGlassAccess | None:
    return session.get(BreakGlassAccess, access_id)


# --- migrations --------------------------------------------------------------------------------


def get_migration(session: Session, migration_id: int) -> RecordMigration | None:
    return session.get(RecordMigration, migration_id)


def migration_for_update(session: Session, migration_id: int) -> RecordMigration | None:
    return session.execute(
        select(RecordMigration).where(RecordMigration.id == migration_id).with_for_update()
    ).scalar_one_or_none()


def open_migration(session: Session, record_id: int) -> RecordMigration | None:
    return session.execute(
        select(RecordMigration).where(
            RecordMigration.record_id == record_id, RecordMigration.status.in_(OPEN_MIGRATION)
        )
    ).scalar_one_or_none()


def migrations_of(session: Session, record_id: int) -> Sequence[RecordMigration]:
    return (
        session.execute(
            select(RecordMigration)
            .where(RecordMigration.record_id == record_id)
            .order_by(RecordMigration.id.desc())
        )
        .scalars()
        .all()
    )


def steps_of(session: Session, migration_id: int) -> Sequence[MigrationStep]:
    return (
        session.execute(
            select(MigrationStep)
            .where(MigrationStep.migration_id == migration_id)
            .order_by(MigrationStep.id)
        )
        .scalars()
        .all()
    )


def migrations_where(
    session: Session, *conditions: ColumnElement[bool], limit: int = 200
) -> Sequence[RecordMigration]:
    return (
        session.execute(
            select(RecordMigration)
            .where(*conditions)
            .order_by(RecordMigration.requested_at.desc())
            .limit(limit)
        )
        .scalars()
        .all()
    )


def overdue_migrations(session: Session, now: datetime) -> Sequence[RecordMigration]:
    return (
        session.execute(
            select(RecordMigration)
            .where(
                RecordMigration.status == "requested",
                RecordMigration.kind == "region",
                RecordMigration.answer_due_at <= now,
            )
            .order_by(RecordMigration.id)
            .with_for_update(skip_locked=True)
        )
        .scalars()
        .all()
    )


# --- coverage ----------------------------------------------------------------------------------


def record_counts(
    session: Session, institution_id: int, updated_since: datetime
) -> tuple[int, int, int]:
    """(records kept, of which active or migrating, of which updated since the instant)."""
    kept = HealthRecord.institution_id == institution_id
    live = HealthRecord.status != "terminated"
    total = session.execute(select(func.count()).where(kept)).scalar_one()
    active = session.execute(select(func.count()).where(kept, live)).scalar_one()
    updated = session.execute(
        select(func.count()).where(kept, live, HealthRecord.updated_at >= updated_since)
    ).scalar_one()
    return total, active, updated


def records_in_use(session: Session, institution_id: int, since: datetime) -> int:
    """Live records of the institution changed since ``since`` or with a timeline entry since."""
    recent_event = (
        select(RecordEvent.id)
        .where(RecordEvent.person_id == HealthRecord.person_id, RecordEvent.occurred_at >= since)
        .exists()
    )
    return session.execute(
        select(func.count()).where(
            HealthRecord.institution_id == institution_id,
            HealthRecord.status != "terminated",
            or_(HealthRecord.updated_at >= since, recent_event),
        )
    ).scalar_one()


def exam_persons_since(session: Session, institution_id: int, since: datetime) -> int:
    """Live records of the institution with an examination on or after ``since``."""
    return session.execute(
        select(func.count(func.distinct(HealthExam.record_id)))
        .join(HealthRecord, HealthRecord.id == HealthExam.record_id)
        .where(
            HealthRecord.institution_id == institution_id,
            HealthRecord.status != "terminated",
            HealthExam.created_at >= since,
        )
    ).scalar_one()


def service_population(
    session: Session, institution_id: int, year: int
) -> ServicePopulation | None:
    return session.execute(
        select(ServicePopulation).where(
            ServicePopulation.institution_id == institution_id, ServicePopulation.year == year
        )
    ).scalar_one_or_none()
