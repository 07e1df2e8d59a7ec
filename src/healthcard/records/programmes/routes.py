"""JSON API of the public-health programmes: enrolments, follow-ups, task lists, immunisation,
infectious-disease reports, health education, referrals and consultations."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Query

from healthcard.core.errors import FieldError, ValidationFailed
from healthcard.core.principal import Principal
from healthcard.core.session import DbSession
from healthcard.records.programmes import service
from healthcard.records.programmes.permissions import (
    ImmunisationsRecord,
    InfectiousReport,
    InfectiousReview,
    ProgrammesActivities,
    ProgrammesManage,
    ProgrammesRead,
)
from healthcard.records.programmes.schemas import (
    ConsultationIn,
    ConsultationOut,
    DoseOut,
    EducationIn,
    EducationOut,
    EndEnrolmentIn,
    EnrolmentIn,
    EnrolmentOut,
    FollowUpOut,
    ImmunisationIn,
    ImmunisationOut,
    MissedIn,
    RecordedOut,
    ReferralIn,
    ReferralOut,
    ReportIn,
    ReportOut,
    ReviewIn,
    ScheduleOut,
    TaskCountsOut,
    TaskListOut,
    TaskOut,
)
from healthcard.records.programmes.service import rules

router = APIRouter(prefix="/api/v1", tags=["programmes"])


def _recorded(done: service.Recorded) -> RecordedOut:
    upcoming = FollowUpOut.model_validate(done.next) if done.next else None
    return RecordedOut(followup=FollowUpOut.model_validate(done.followup), next=upcoming)


def _institution(principal: Principal) -> int:
    if principal.institution_id is None:
        message = "须以医疗卫生机构的名义登记。"
        raise ValidationFailed(message, errors=[FieldError("institution", message)])
    return principal.institution_id


@router.get("/programmes/rules")
def rule_versions(_: ProgrammesRead) -> list[dict[str, Any]]:
    """The rule files shipped (programmes, immunisation schedule, notifiable diseases)."""
    return [
        {"kind": kind, "version": version, "title": title, "effective_from": start}
        for kind, version, title, start in rules.all_versions()
    ]


@router.post("/programmes/enrolments", response_model=EnrolmentOut, status_code=201)
def enrol(session: DbSession, principal: ProgrammesManage, data: EnrolmentIn) -> EnrolmentOut:
    """Enrol a resident with an active health record in a programme (纳入管理)."""
    return EnrolmentOut.model_validate(service.enrol(session, actor=principal, data=data))


@router.get("/programmes/enrolments", response_model=list[EnrolmentOut])
def enrolments(session: DbSession, principal: ProgrammesRead, person_id: int) -> list[EnrolmentOut]:
    """A resident's enrolments kept by the caller's institution."""
    found = service.enrolments_of(session, actor=principal, person_id=person_id)
    return [EnrolmentOut.model_validate(e) for e in found]


@router.post("/programmes/enrolments/{enrolment_id}/end", response_model=EnrolmentOut)
def end_enrolment(
    session: DbSession, principal: ProgrammesManage, enrolment_id: int, data: EndEnrolmentIn
) -> EnrolmentOut:
    """End a resident's management in a programme; open visits are cancelled."""
    ended = service.end_enrolment(
        session,
        actor=principal,
        enrolment_id=enrolment_id,
        reason=data.reason,
        ended_on=data.ended_on,
    )
    return EnrolmentOut.model_validate(ended)


@router.get("/programmes/enrolments/{enrolment_id}/followups", response_model=list[FollowUpOut])
def followups(
    session: DbSession, principal: ProgrammesRead, enrolment_id: int
) -> list[FollowUpOut]:
    """The visits of an enrolment, latest due first."""
    enrolment = service.get_enrolment(session, actor=principal, enrolment_id=enrolment_id)
    return [FollowUpOut.model_validate(f) for f in service.followups_of(session, enrolment)]


@router.get("/programmes/followups/{followup_id}", response_model=FollowUpOut)
def followup(session: DbSession, principal: ProgrammesRead, followup_id: int) -> FollowUpOut:
    """One visit, with the hospital measurements gathered for it."""
    return FollowUpOut.model_validate(
        service.get_followup(session, actor=principal, followup_id=followup_id)
    )


@router.post("/programmes/followups/{followup_id}", response_model=RecordedOut)
def record_followup(
    session: DbSession,
    principal: ProgrammesManage,
    followup_id: int,
    data: Annotated[dict[str, Any], Body()],
) -> RecordedOut:
    """Record a due visit on its programme's form; answers the visit and the next one."""
    done = service.record_followup(session, actor=principal, followup_id=followup_id, data=data)
    return _recorded(done)


@router.post("/programmes/followups/{followup_id}/missed", response_model=RecordedOut)
def miss_followup(
    session: DbSession, principal: ProgrammesManage, followup_id: int, data: MissedIn
) -> RecordedOut:
    """Mark an overdue visit as missed and schedule the next one."""
    done = service.miss_followup(
        session, actor=principal, followup_id=followup_id, reason=data.reason
    )
    return _recorded(done)


@router.get("/programmes/tasks", response_model=TaskListOut)
def tasks(
    session: DbSession,
    principal: ProgrammesRead,
    window: str = "overdue",
    team_id: int | None = None,
    programme: str | None = None,
    institution_id: int | None = None,
    offset: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> TaskListOut:
    """Due visits (overdue, this week, 30 days, all) of the institution, a team, or the caller's
    own residents for a village doctor; with counts by programme and team."""
    found = service.task_list(
        session,
        actor=principal,
        window=window,
        team_id=team_id,
        programme=programme,
        institution_id=institution_id,
        offset=offset,
        limit=limit,
    )
    items = [
        TaskOut(
            followup_id=f.id,
            person_id=f.person_id,
            name=p.name,
            sex=p.sex,
            birth_date=p.birth_date,
            programme=f.programme,
            visit_code=f.visit_code,
            due_date=f.due_date,
            days_overdue=max((found.as_of - f.due_date).days, 0),
            team_id=f.team_id,
            responsible_staff_id=f.responsible_staff_id,
            emergency=f.emergency,
        )
        for f, p in found.items
    ]
    counts = TaskCountsOut(
        overdue=found.counts.overdue,
        this_week=found.counts.this_week,
        by_programme=found.counts.by_programme,
        by_team=[
            {"team_id": t, "name": n, "overdue": o, "this_week": w}
            for t, n, o, w in found.counts.by_team
        ],
    )
    return TaskListOut(items=items, total=found.total, offset=offset, limit=limit, counts=counts)


@router.get("/immunisations/{person_id}", response_model=ScheduleOut)
def immunisation_schedule(
    session: DbSession, principal: ProgrammesRead, person_id: int
) -> ScheduleOut:
    """A child's doses against the national schedule: given, due, overdue, upcoming."""
    found = service.child_schedule(session, actor=principal, person_id=person_id)
    doses = [
        DoseOut(
            vaccine_code=d.vaccine_code,
            vaccine_name=d.vaccine_name,
            dose_number=d.dose_number,
            due_date=d.due_date,
            due_by=d.due_by,
            status=d.status,
            given_on=d.given.given_on if d.given else None,
        )
        for d in found.doses
    ]
    return ScheduleOut(
        person_id=person_id,
        birth_date=found.birth_date,
        schedule_version=found.schedule.version,
        as_of=found.as_of,
        doses=doses,
    )


@router.post("/immunisations", response_model=ImmunisationOut, status_code=201)
def record_immunisation(
    session: DbSession, principal: ImmunisationsRecord, data: ImmunisationIn
) -> ImmunisationOut:
    """Record a dose given at the caller's institution."""
    dose = service.record_immunisation(
        session,
        actor=principal,
        person_id=data.person_id,
        vaccine_code=data.vaccine_code,
        dose_number=data.dose_number,
        given_on=data.given_on,
        institution_id=_institution(principal),
        lot_number=data.lot_number,
        site=data.site,
        source="api",
    )
    return ImmunisationOut.model_validate(dose)


@router.post("/infectious-reports", response_model=ReportOut, status_code=201)
def file_report(session: DbSession, principal: InfectiousReport, data: ReportIn) -> ReportOut:
    """File a notifiable infectious-disease report; the deadline and lateness are computed."""
    return ReportOut.model_validate(service.file_report(session, actor=principal, data=data))


@router.get("/infectious-reports", response_model=list[ReportOut])
def reports(
    session: DbSession,
    principal: InfectiousReport,
    late: bool = False,
    offset: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[ReportOut]:
    """The reports of the caller's institution, newest first."""
    found, _ = service.list_reports(
        session, actor=principal, late_only=late, offset=offset, limit=limit
    )
    return [ReportOut.model_validate(r) for r in found]


@router.get("/infectious-reports/review", response_model=list[ReportOut])
def review_queue(
    session: DbSession,
    principal: InfectiousReview,
    late: bool = False,
    status: str | None = None,
    offset: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[ReportOut]:
    """Every report for the CDC, late ones only on request."""
    found, _ = service.list_reports(
        session, actor=principal, late_only=late, status=status, offset=offset, limit=limit
    )
    return [ReportOut.model_validate(r) for r in found]


@router.post("/infectious-reports/{report_id}/review", response_model=ReportOut)
def review(
    session: DbSession, principal: InfectiousReview, report_id: int, data: ReviewIn
) -> ReportOut:
    """Accept a report or return it with the reason."""
    reviewed = service.review_report(
        session, actor=principal, report_id=report_id, accept=data.accept, note=data.note
    )
    return ReportOut.model_validate(reviewed)


@router.post("/programmes/education", response_model=EducationOut, status_code=201)
def add_education(
    session: DbSession, principal: ProgrammesActivities, data: EducationIn
) -> EducationOut:
    """Record a health-education activity."""
    return EducationOut.model_validate(service.add_education(session, actor=principal, data=data))


@router.get("/programmes/education", response_model=list[EducationOut])
def education(session: DbSession, principal: ProgrammesActivities) -> list[EducationOut]:
    """The institution's recent health-education activities."""
    return [
        EducationOut.model_validate(a) for a in service.education_list(session, actor=principal)
    ]


@router.post("/programmes/referrals", response_model=ReferralOut, status_code=201)
def add_referral(
    session: DbSession, principal: ProgrammesActivities, data: ReferralIn
) -> ReferralOut:
    """Refer a resident up to a hospital or down to the community."""
    return ReferralOut.model_validate(service.add_referral(session, actor=principal, data=data))


@router.get("/programmes/referrals", response_model=list[ReferralOut])
def referrals(session: DbSession, principal: ProgrammesActivities) -> list[ReferralOut]:
    """Referrals from or to the institution."""
    return [ReferralOut.model_validate(r) for r in service.referral_list(session, actor=principal)]


@router.post("/programmes/consultations", response_model=ConsultationOut, status_code=201)
def add_consultation(
    session: DbSession, principal: ProgrammesActivities, data: ConsultationIn
) -> ConsultationOut:
    """Record a consultation about a resident."""
    found = service.add_consultation(session, actor=principal, data=data)
    return ConsultationOut.model_validate(found)


@router.get("/programmes/consultations", response_model=list[ConsultationOut])
def consultations(session: DbSession, principal: ProgrammesActivities) -> list[ConsultationOut]:
    """The institution's recent consultations."""
    found = service.consultation_list(session, actor=principal)
    return [ConsultationOut.model_validate(c) for c in found]
