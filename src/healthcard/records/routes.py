"""JSON API of the records domain: records, exams, families, teams, access, migration, coverage."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Request, Response

from healthcard.core.auth import Authenticated
from healthcard.core.schemas import Page, Schema
from healthcard.core.session import DbSession
from healthcard.records.exceptions import RecordNotFound
from healthcard.records.permissions import (
    RecordsBreakGlass,
    RecordsBreakGlassReview,
    RecordsConsent,
    RecordsCoverage,
    RecordsMigrate,
    RecordsMigrateDecide,
    RecordsRead,
    RecordsTeams,
    RecordsTerminate,
    RecordsWrite,
)
from healthcard.records.schemas import (
    AnswerIn,
    AssignIn,
    BreakGlassIn,
    BreakGlassOut,
    ConsentIn,
    ConsentOut,
    ExamIn,
    ExamOut,
    FamilyIn,
    FamilyOut,
    FamilyUpdate,
    MemberIn,
    MemberOut,
    MigrationDetail,
    MigrationIn,
    MigrationOut,
    PopulationIn,
    RecordFields,
    RecordIn,
    RecordListItem,
    RecordOut,
    RefuseIn,
    RelationshipIn,
    ReviewIn,
    StepOut,
    TeamIn,
    TeamMemberIn,
    TeamOut,
    TerminationIn,
)
from healthcard.records.service import (
    access,
    coverage,
    exams,
    families,
    migration,
    records,
    teams,
    termination,
)

router = APIRouter(prefix="/api/v1", tags=["records"])


# --- records -----------------------------------------------------------------------------------


@router.get("/records", response_model=Page[RecordListItem])
def search_records(
    session: DbSession,
    principal: RecordsRead,
    text: str | None = None,
    status: str | None = None,
    team_id: int | None = None,
    offset: int = 0,
    limit: int = 50,
) -> Page[RecordListItem]:
    """Records kept by the caller's institution (a village doctor: their own residents)."""
    rows, total = records.search(
        session,
        actor=principal,
        text=text,
        status=status,
        team_id=team_id,
        offset=max(offset, 0),
        limit=max(1, min(limit, 200)),
    )
    items = [
        RecordListItem(
            id=r.id,
            record_number=r.record_number,
            person_id=p.id,
            name=p.name,
            sex=p.sex,
            birth_date=p.birth_date,
            status=r.status,
            team_id=r.team_id,
            responsible_staff_id=r.responsible_staff_id,
        )
        for r, p in rows
    ]
    return Page(items=items, total=total, offset=offset, limit=limit)


@router.post("/records", response_model=RecordOut, status_code=201)
def create_record(
    request: Request, session: DbSession, principal: RecordsWrite, data: RecordIn
) -> RecordOut:
    """Establish a resident's health record; the 17-digit number is assigned from the area."""
    record = records.create_record(
        session, settings=request.app.state.settings, actor=principal, data=data
    )
    return RecordOut.model_validate(record)


@router.post("/records/break-glass", response_model=BreakGlassOut, status_code=201)
def break_glass(
    session: DbSession, principal: RecordsBreakGlass, data: BreakGlassIn
) -> BreakGlassOut:
    """Open emergency access to one resident's record (reason, expiry, reported to the auditor)."""
    opened = access.break_glass(
        session, actor=principal, person_id=data.person_id, reason=data.reason, hours=data.hours
    )
    return BreakGlassOut.model_validate(opened)


@router.get("/records/break-glass", response_model=list[BreakGlassOut])
def break_glass_report(
    session: DbSession, _: RecordsBreakGlassReview, unreviewed: bool = False
) -> list[BreakGlassOut]:
    """Every break-glass access, newest first (the auditor's report)."""
    found = access.break_glass_report(session, unreviewed_only=unreviewed)
    return [BreakGlassOut.model_validate(a) for a in found]


@router.post("/records/break-glass/{access_id}/review", response_model=BreakGlassOut)
def review_break_glass(
    session: DbSession, principal: RecordsBreakGlassReview, access_id: int, data: ReviewIn
) -> BreakGlassOut:
    """The auditor's finding on one break-glass access."""
    reviewed = access.review_break_glass(
        session, actor=principal, access_id=access_id, note=data.note
    )
    return BreakGlassOut.model_validate(reviewed)


@router.get("/records/by-person/{person_id}", response_model=RecordOut)
def record_of_person(session: DbSession, principal: RecordsRead, person_id: int) -> RecordOut:
    """The record of a resident, if the caller may read it (404 otherwise); audited."""
    access.check_read(session, actor=principal, person_id=person_id, purpose="treatment")
    record = records.record_for_person(session, person_id)
    if record is None:
        raise RecordNotFound()
    return RecordOut.model_validate(record)


@router.get("/records/{record_id}", response_model=RecordOut)
def get_record(session: DbSession, principal: RecordsRead, record_id: int) -> RecordOut:
    """One record, if the caller may read it (404 otherwise); audited."""
    record, _ = access.readable_record(
        session, actor=principal, record_id=record_id, purpose="treatment"
    )
    return RecordOut.model_validate(record)


@router.put("/records/{record_id}", response_model=RecordOut)
def update_record(
    request: Request,
    session: DbSession,
    principal: RecordsWrite,
    record_id: int,
    data: RecordFields,
) -> RecordOut:
    """Change the basic-information form (409 when terminated or being migrated)."""
    record = records.update_record(
        session,
        settings=request.app.state.settings,
        actor=principal,
        record_id=record_id,
        data=data,
    )
    return RecordOut.model_validate(record)


@router.put("/records/{record_id}/assignment", response_model=RecordOut)
def assign_record(
    session: DbSession, principal: RecordsTeams, record_id: int, data: AssignIn
) -> RecordOut:
    """Put the record under a doctor team and a responsible staff member."""
    record = teams.assign(
        session,
        actor=principal,
        record_id=record_id,
        team_id=data.team_id,
        responsible_staff_id=data.responsible_staff_id,
    )
    return RecordOut.model_validate(record)


@router.post("/records/{record_id}/termination", response_model=RecordOut)
def terminate_record(
    session: DbSession, principal: RecordsTerminate, record_id: int, data: TerminationIn
) -> RecordOut:
    """End the record (death, moved away, lost, refused, other); it is kept read-only."""
    record = termination.terminate(session, actor=principal, record_id=record_id, data=data)
    return RecordOut.model_validate(record)


@router.get("/records/{record_id}/exams", response_model=list[ExamOut])
def list_exams(session: DbSession, principal: RecordsRead, record_id: int) -> list[ExamOut]:
    """The health examinations of a record, newest first."""
    record, _ = access.readable_record(
        session, actor=principal, record_id=record_id, purpose="treatment"
    )
    return [ExamOut.model_validate(e) for e in exams.exams_of(session, record=record)]


@router.post("/records/{record_id}/exams", response_model=ExamOut, status_code=201)
def add_exam(session: DbSession, principal: RecordsWrite, record_id: int, data: ExamIn) -> ExamOut:
    """Record a health examination (BMI computed)."""
    return ExamOut.model_validate(
        exams.add_exam(session, actor=principal, record_id=record_id, data=data)
    )


# --- access ------------------------------------------------------------------------------------


@router.get("/records/{record_id}/consents", response_model=list[ConsentOut])
def list_consents(
    session: DbSession, principal: RecordsConsent, record_id: int
) -> list[ConsentOut]:
    """The consents the resident gave to other institutions."""
    record = records.kept_record(session, actor=principal, record_id=record_id)
    found = access.consents_of(session, actor=principal, person_id=record.person_id)
    return [ConsentOut.model_validate(c) for c in found]


@router.post("/records/{record_id}/consents", response_model=ConsentOut, status_code=201)
def add_consent(
    session: DbSession, principal: RecordsConsent, record_id: int, data: ConsentIn
) -> ConsentOut:
    """Record the resident's consent that another institution may read their record."""
    record = records.kept_record(session, actor=principal, record_id=record_id)
    consent = access.record_consent(session, actor=principal, person_id=record.person_id, data=data)
    return ConsentOut.model_validate(consent)


@router.delete("/records/consents/{consent_id}", response_model=ConsentOut)
def revoke_consent(session: DbSession, principal: RecordsConsent, consent_id: int) -> ConsentOut:
    """Withdraw a consent from now on."""
    return ConsentOut.model_validate(
        access.revoke_consent(session, actor=principal, consent_id=consent_id)
    )


# --- families ----------------------------------------------------------------------------------


def _family_out(view: families.FamilyView) -> FamilyOut:
    family = view.family
    return FamilyOut(
        id=family.id,
        family_number=family.family_number,
        institution_id=family.institution_id,
        head_person_id=family.head_person_id,
        address=family.address,
        area_code=family.area_code,
        living_conditions=family.living_conditions,
        members=[
            MemberOut(
                person_id=m.person.id,
                name=m.person.name,
                sex=m.person.sex,
                birth_date=m.person.birth_date,
                relationship=m.membership.relationship,
                relationship_label=m.relationship_label,
                record_id=m.record.id if m.record else None,
                record_number=m.record.record_number if m.record else None,
            )
            for m in view.members
        ],
    )


@router.post("/families", response_model=FamilyOut, status_code=201)
def create_family(
    request: Request, session: DbSession, principal: RecordsWrite, data: FamilyIn
) -> FamilyOut:
    """Create a family record with its head and members."""
    family = families.create_family(
        session, settings=request.app.state.settings, actor=principal, data=data
    )
    return _family_out(families.get_family(session, actor=principal, family_id=family.id))


@router.get("/families/{family_id}", response_model=FamilyOut)
def get_family(session: DbSession, principal: RecordsRead, family_id: int) -> FamilyOut:
    """A family record with its members and their record numbers."""
    return _family_out(families.get_family(session, actor=principal, family_id=family_id))


@router.put("/families/{family_id}", response_model=FamilyOut)
def update_family(
    session: DbSession, principal: RecordsWrite, family_id: int, data: FamilyUpdate
) -> FamilyOut:
    """Change the address, living conditions or head of household."""
    return _family_out(
        families.update_family(session, actor=principal, family_id=family_id, data=data)
    )


@router.post("/families/{family_id}/members", response_model=FamilyOut, status_code=201)
def add_member(
    request: Request, session: DbSession, principal: RecordsWrite, family_id: int, data: MemberIn
) -> FamilyOut:
    """Add a resident to the household."""
    view = families.add_member(
        session,
        settings=request.app.state.settings,
        actor=principal,
        family_id=family_id,
        data=data,
    )
    return _family_out(view)


@router.put("/families/{family_id}/members/{person_id}", response_model=FamilyOut)
def set_relationship(
    session: DbSession,
    principal: RecordsWrite,
    family_id: int,
    person_id: int,
    data: RelationshipIn,
) -> FamilyOut:
    """Correct a member's relationship to the head."""
    view = families.set_relationship(
        session,
        actor=principal,
        family_id=family_id,
        person_id=person_id,
        relationship=data.relationship,
    )
    return _family_out(view)


@router.delete("/families/{family_id}/members/{person_id}", response_model=FamilyOut)
def remove_member(
    session: DbSession, principal: RecordsWrite, family_id: int, person_id: int
) -> FamilyOut:
    """Take a resident out of the household (not the head)."""
    view = families.remove_member(
        session, actor=principal, family_id=family_id, person_id=person_id
    )
    return _family_out(view)


# --- teams -------------------------------------------------------------------------------------


@router.get("/teams", response_model=list[TeamOut])
def list_teams(session: DbSession, principal: RecordsRead) -> list[TeamOut]:
    """The doctor teams of the caller's institution."""
    return [TeamOut.model_validate(v.team) for v in teams.list_teams(session, actor=principal)]


@router.post("/teams", response_model=TeamOut, status_code=201)
def create_team(session: DbSession, principal: RecordsTeams, data: TeamIn) -> TeamOut:
    """Create a doctor team of the caller's institution."""
    return TeamOut.model_validate(teams.create_team(session, actor=principal, data=data))


@router.post("/teams/{team_id}/members", response_model=TeamOut, status_code=201)
def add_team_member(
    session: DbSession, principal: RecordsTeams, team_id: int, data: TeamMemberIn
) -> TeamOut:
    """Add a staff member to a team."""
    view = teams.add_member(session, actor=principal, team_id=team_id, data=data)
    return TeamOut.model_validate(view.team)


@router.delete("/teams/{team_id}/members/{staff_id}", response_model=TeamOut)
def remove_team_member(
    session: DbSession, principal: RecordsTeams, team_id: int, staff_id: int
) -> TeamOut:
    """Take a staff member out of a team."""
    view = teams.remove_member(session, actor=principal, team_id=team_id, staff_id=staff_id)
    return TeamOut.model_validate(view.team)


# --- migration ---------------------------------------------------------------------------------


class DecisionIn(Schema):
    approve: bool
    side: Literal["source", "target"] | None = None
    note: str | None = None


class InboxOut(Schema):
    to_answer: list[MigrationOut]
    our_requests: list[MigrationOut]
    to_decide: list[MigrationOut]


def _detail(view: migration.MigrationView) -> MigrationDetail:
    return MigrationDetail(
        **MigrationOut.model_validate(view.migration).model_dump(),
        steps=[StepOut.model_validate(s) for s in view.steps],
    )


@router.post("/migrations", response_model=MigrationDetail, status_code=201)
def request_migration(
    session: DbSession, principal: RecordsMigrate, data: MigrationIn
) -> MigrationDetail:
    """Ask for a record to move to the caller's institution or one of its teams (consent needed)."""
    found = migration.request(session, actor=principal, data=data)
    return _detail(migration.get_migration(session, actor=principal, migration_id=found.id))


@router.get("/migrations", response_model=InboxOut)
def migration_inbox(session: DbSession, principal: Authenticated) -> InboxOut:
    """Requests to answer, the caller's own requests, and a bureau's decisions."""
    box = migration.inbox(session, actor=principal)
    return InboxOut(
        to_answer=[MigrationOut.model_validate(m) for m in box.to_answer],
        our_requests=[MigrationOut.model_validate(m) for m in box.our_requests],
        to_decide=[MigrationOut.model_validate(m) for m in box.to_decide],
    )


@router.get("/migrations/{migration_id}", response_model=MigrationDetail)
def get_migration(
    session: DbSession, principal: Authenticated, migration_id: int
) -> MigrationDetail:
    """A migration with every step (for the institutions and bureaus taking part)."""
    return _detail(migration.get_migration(session, actor=principal, migration_id=migration_id))


@router.post("/migrations/{migration_id}/confirm", response_model=MigrationDetail)
def confirm_migration(
    session: DbSession, principal: RecordsMigrate, migration_id: int, data: AnswerIn
) -> MigrationDetail:
    """The institution keeping the record lets it go."""
    migration.confirm(session, actor=principal, migration_id=migration_id, note=data.note)
    return _detail(migration.get_migration(session, actor=principal, migration_id=migration_id))


@router.post("/migrations/{migration_id}/refuse", response_model=MigrationDetail)
def refuse_migration(
    session: DbSession, principal: RecordsMigrate, migration_id: int, data: RefuseIn
) -> MigrationDetail:
    """The institution keeping the record refuses, with a reason."""
    migration.refuse(session, actor=principal, migration_id=migration_id, note=data.note)
    return _detail(migration.get_migration(session, actor=principal, migration_id=migration_id))


@router.post("/migrations/{migration_id}/cancel", response_model=MigrationDetail)
def cancel_migration(
    session: DbSession, principal: RecordsMigrate, migration_id: int, data: AnswerIn
) -> MigrationDetail:
    """The requesting institution withdraws its request."""
    migration.cancel(session, actor=principal, migration_id=migration_id, note=data.note)
    return _detail(migration.get_migration(session, actor=principal, migration_id=migration_id))


@router.post("/migrations/{migration_id}/decision", response_model=MigrationDetail)
def decide_migration(
    session: DbSession, principal: RecordsMigrateDecide, migration_id: int, data: DecisionIn
) -> MigrationDetail:
    """A health bureau decides an escalated request or approves its side of a cross-district one."""
    migration.bureau_decide(
        session,
        actor=principal,
        migration_id=migration_id,
        approve=data.approve,
        side=data.side,
        note=data.note,
    )
    return _detail(migration.get_migration(session, actor=principal, migration_id=migration_id))


# --- coverage ----------------------------------------------------------------------------------


class RateOut(Schema):
    label: str
    numerator: int
    denominator: int | None
    percent: float | None


class ProgrammeCoverageOut(Schema):
    programme: str
    enrolled: int
    followups_owed: int
    followups_done: int
    completion_percent: float | None


class CoverageOut(Schema):
    institution_id: int
    year: int
    population: int | None
    kept: int
    live: int
    in_use: int
    rates: list[RateOut]
    programmes: list[ProgrammeCoverageOut]


@router.get("/records-coverage/{institution_id}", response_model=CoverageOut)
def get_coverage(
    session: DbSession, principal: RecordsCoverage, institution_id: int
) -> CoverageOut:
    """Coverage indicators of an institution (建档率, 动态使用率, programme rates)."""
    found = coverage.coverage(session, actor=principal, institution_id=institution_id)
    return CoverageOut(
        institution_id=found.institution.id,
        year=found.year,
        population=found.population.population if found.population else None,
        kept=found.kept,
        live=found.live,
        in_use=found.in_use,
        rates=[
            RateOut(
                label=r.label, numerator=r.numerator, denominator=r.denominator, percent=r.percent
            )
            for r in found.rates
        ],
        programmes=[
            ProgrammeCoverageOut(
                programme=p.programme,
                enrolled=p.enrolled,
                followups_owed=p.owed,
                followups_done=p.done,
                completion_percent=p.completion,
            )
            for p in found.programmes
        ],
    )


@router.put("/records-coverage/population", status_code=204)
def set_population(session: DbSession, principal: RecordsCoverage, data: PopulationIn) -> Response:
    """Enter the resident population an institution serves in a year (the 建档率 denominator)."""
    coverage.set_population(session, actor=principal, data=data)
    return Response(status_code=204)
