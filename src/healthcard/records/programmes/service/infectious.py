"""Notifiable infectious-disease reports (传染病报告卡): the reporting deadline from the disease's
class (2 hours for class A and B managed as A, 24 hours otherwise), late reports flagged to the
CDC, and the CDC's review."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from healthcard.core import audit
from healthcard.core.db import utcnow
from healthcard.core.errors import FieldError, ValidationFailed
from healthcard.core.principal import Principal
from healthcard.models import InfectiousReport
from healthcard.records.programmes import repository
from healthcard.records.programmes.exceptions import ReportAlreadyReviewed, ReportNotFound
from healthcard.records.programmes.permissions import INFECTIOUS_REVIEW
from healthcard.records.programmes.schemas import ReportIn
from healthcard.records.programmes.service import rules
from healthcard.records.programmes.service.common import LOCAL_ZONE, invalid, who
from healthcard.records.programmes.service.enrolments import person

CLASS_NAMES = {"A": "甲类", "B": "乙类", "C": "丙类"}


def deadline(
    diseases: rules.DiseaseList, disease: rules.Disease, diagnosed_at: datetime
) -> datetime:
    """When the report is due: diagnosis time plus the hours for the disease's class."""
    return diagnosed_at + timedelta(hours=diseases.deadline_for(disease))


def _check(data: ReportIn, diseases: rules.DiseaseList, now: datetime) -> rules.Disease:
    errors = []
    disease = diseases.disease(data.disease_code)
    if disease is None:
        errors.append(
            FieldError("body.disease_code", "请从法定传染病目录中选择病种。", "unknown_disease")
        )
    if data.case_classification not in diseases.case_classifications:
        errors.append(
            FieldError(
                "body.case_classification", "请从列表中选择病例分类。", "unknown_classification"
            )
        )
    if data.diagnosed_at.tzinfo is None:
        errors.append(
            FieldError("body.diagnosed_at", "诊断时间须带时区（如 +08:00）。", "naive_datetime")
        )
    elif data.diagnosed_at > now + timedelta(minutes=5):
        errors.append(FieldError("body.diagnosed_at", "诊断时间不能晚于现在。", "in_future"))
    elif data.onset_on > data.diagnosed_at.astimezone(LOCAL_ZONE).date():
        errors.append(FieldError("body.onset_on", "发病日期不能晚于诊断日期。", "after_diagnosis"))
    if errors or disease is None:
        raise ValidationFailed("；".join(e.message for e in errors), errors=errors)
    return disease


def file_report(
    session: Session, *, actor: Principal, data: ReportIn, now: datetime | None = None
) -> InfectiousReport:
    """File a report card; the deadline is computed and a late report is flagged."""
    if actor.institution_id is None:
        raise invalid("institution", "报告须以医疗卫生机构的名义填报。", "no_institution")
    person(session, data.person_id)
    now = now or utcnow()
    local_day = (
        data.diagnosed_at.astimezone(LOCAL_ZONE).date() if data.diagnosed_at.tzinfo else None
    )
    diseases = rules.disease_list(on=local_day)
    disease = _check(data, diseases, now)
    due = deadline(diseases, disease, data.diagnosed_at)
    report = InfectiousReport(
        person_id=data.person_id,
        institution_id=actor.institution_id,
        disease_code=disease.code,
        disease_class=disease.disease_class,
        managed_as_a=disease.managed_as_a,
        case_classification=data.case_classification,
        onset_on=data.onset_on,
        diagnosed_at=data.diagnosed_at,
        reported_at=now,
        deadline_at=due,
        late=now > due,
        rule_version=diseases.version,
        reported_by=who(actor),
        note=data.note,
        status="submitted",
    )
    session.add(report)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="infectious.report",
        resource_type="InfectiousReport",
        resource_id=report.id,
        detail={"disease": disease.code, "late": report.late, "person_id": data.person_id},
    )
    return report


def _sees_all(actor: Principal) -> bool:
    return actor.has(INFECTIOUS_REVIEW) or actor.platform_wide


def get_report(session: Session, *, actor: Principal, report_id: int) -> InfectiousReport:
    """A report of the actor's institution, or any report for the CDC (404 otherwise)."""
    report = repository.get_report(session, report_id)
    if report is None or not (_sees_all(actor) or actor.institution_id == report.institution_id):
        raise ReportNotFound()
    return report


def list_reports(
    session: Session,
    *,
    actor: Principal,
    late_only: bool = False,
    status: str | None = None,
    offset: int = 0,
    limit: int = 50,
) -> tuple[Sequence[InfectiousReport], int]:
    """Reports newest first: all of them for the CDC, the institution's own for reporters."""
    institution = None if _sees_all(actor) else actor.institution_id
    if institution is None and not _sees_all(actor):
        return [], 0
    return repository.reports(
        session,
        institution_id=institution,
        late_only=late_only,
        status=status,
        offset=offset,
        limit=limit,
    )


def review_report(
    session: Session, *, actor: Principal, report_id: int, accept: bool, note: str | None
) -> InfectiousReport:
    """The CDC accepts a report or returns it with a reason (once)."""
    report = get_report(session, actor=actor, report_id=report_id)
    locked = repository.get_report(session, report.id, lock=True)
    assert locked is not None  # noqa: S101
    if locked.status != "submitted":
        raise ReportAlreadyReviewed()
    if not accept and not (note and note.strip()):
        raise invalid("body.note", "退回报告卡须写明原因。", "missing")
    locked.status = "accepted" if accept else "returned"
    locked.review_note = note
    locked.reviewed_by = who(actor)
    locked.reviewed_at = utcnow()
    audit.record(
        session,
        actor=actor,
        action="infectious.review",
        resource_type="InfectiousReport",
        resource_id=locked.id,
        detail={"status": locked.status},
    )
    return locked
