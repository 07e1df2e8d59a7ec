"""Console pages: filing an infectious-disease report card, the institution's reports, and the
CDC's list with late reports flagged and the review."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from healthcard.core.errors import AppError
from healthcard.core.principal import Principal
from healthcard.core.session import DbSession
from healthcard.core.templating import render
from healthcard.records.programmes import service
from healthcard.records.programmes.permissions import InfectiousReport, InfectiousReview
from healthcard.records.programmes.schemas import ReportIn
from healthcard.records.programmes.service import rules
from healthcard.records.programmes.service.common import LOCAL_ZONE

router = APIRouter()
STATUS_NAMES = {"submitted": "待审核", "accepted": "已审核", "returned": "已退回"}


def _context(**extra: Any) -> dict[str, Any]:
    diseases = rules.disease_list()
    return {
        "diseases": diseases,
        "class_names": service.CLASS_NAMES,
        "status_names": STATUS_NAMES,
        "disease_names": {d.code: d.name for d in diseases.diseases},
        **extra,
    }


def _own(
    request: Request,
    session: Session,
    principal: Principal,
    *,
    status_code: int = 200,
    **extra: Any,
) -> Response:
    reports, total = service.list_reports(session, actor=principal, limit=100)
    context = _context(reports=reports, total=total, form=extra.pop("form", {}), **extra)
    return render(request, "records/programmes/infectious.html", context, status_code=status_code)


@router.get("/console/infectious")
def own(request: Request, session: DbSession, principal: InfectiousReport) -> Response:
    """The report card form and the institution's reports."""
    return _own(request, session, principal)


@router.post("/console/infectious")
async def file(request: Request, session: DbSession, principal: InfectiousReport) -> Response:
    """File a report card; the deadline and lateness are shown at once."""
    form = await request.form()
    values = {k: str(v).strip() for k, v in form.items()}
    try:
        diagnosed = datetime.fromisoformat(values.get("diagnosed_at", "")).replace(
            tzinfo=LOCAL_ZONE
        )
        data = ReportIn.model_validate(
            {
                "person_id": values.get("person_id"),
                "disease_code": values.get("disease_code"),
                "case_classification": values.get("case_classification"),
                "onset_on": values.get("onset_on"),
                "diagnosed_at": diagnosed,
                "note": values.get("note") or None,
            }
        )
        report = service.file_report(session, actor=principal, data=data)
    except AppError as error:
        return _own(
            request,
            session,
            principal,
            status_code=error.status_code,
            flash=error.message,
            flash_kind="error",
            form=values,
        )
    except (ValueError, ValidationError):
        return _own(
            request,
            session,
            principal,
            status_code=422,
            flash="请完整填写报告卡：居民编号、病种、病例分类、发病日期和诊断时间。",
            flash_kind="error",
            form=values,
        )
    if report.late:
        due = report.deadline_at.astimezone(LOCAL_ZONE)
        message = f"报告卡已提交。注意：已超过报告时限（{due:%m-%d %H:%M}），标记为迟报。"
        return _own(request, session, principal, flash=message, flash_kind="warn")
    return _own(request, session, principal, flash="报告卡已提交。")


def _review(
    request: Request,
    session: Session,
    principal: Principal,
    *,
    late: bool,
    status_code: int = 200,
    **extra: Any,
) -> Response:
    reports, _total = service.list_reports(session, actor=principal, late_only=late, limit=200)
    late_count = service.list_reports(session, actor=principal, late_only=True, limit=1)[1]
    all_count = service.list_reports(session, actor=principal, limit=1)[1]
    context = _context(reports=reports, total=all_count, late=late, late_count=late_count, **extra)
    return render(request, "records/programmes/cdc.html", context, status_code=status_code)


@router.get("/console/cdc/infectious")
def review_list(
    request: Request, session: DbSession, principal: InfectiousReview, late: bool = False
) -> Response:
    """Every report for the CDC, late reports flagged (or only them)."""
    return _review(request, session, principal, late=late)


@router.post("/console/cdc/infectious/{report_id}")
async def review(
    request: Request, session: DbSession, principal: InfectiousReview, report_id: int
) -> Response:
    """Accept a report, or return it with the reason."""
    form = await request.form()
    accept = form.get("decision") == "accept"
    note = str(form.get("note") or "").strip() or None
    try:
        service.review_report(
            session, actor=principal, report_id=report_id, accept=accept, note=note
        )
    except AppError as error:
        return _review(
            request,
            session,
            principal,
            late=False,
            status_code=error.status_code,
            flash=error.message,
            flash_kind="error",
        )
    return _review(
        request, session, principal, late=False, flash="已审核。" if accept else "已退回。"
    )
