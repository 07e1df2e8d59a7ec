"""Console pages of access and oversight: break-glass (the clinician's form, the auditor's
report), consents, doctor teams, and coverage for institution managers."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from healthcard.accounts import service as accounts_service
from healthcard.core.errors import AppError, FieldError
from healthcard.core.i18n import N_
from healthcard.core.principal import Principal
from healthcard.core.session import DbSession
from healthcard.core.templating import add_nav, render
from healthcard.records.config import get_records_settings
from healthcard.records.exceptions import RecordInvalid
from healthcard.records.pages.common import field_errors, number, pydantic_errors, text
from healthcard.records.permissions import (
    RECORDS_BREAK_GLASS,
    RECORDS_BREAK_GLASS_REVIEW,
    RECORDS_COVERAGE,
    RECORDS_TEAMS,
    RecordsBreakGlass,
    RecordsBreakGlassReview,
    RecordsConsent,
    RecordsCoverage,
    RecordsTeams,
)
from healthcard.records.schemas import ConsentIn, PopulationIn, TeamIn, TeamMemberIn
from healthcard.records.service import access, coverage, records, teams

router = APIRouter()
add_nav(N_("健康档案"), N_("家庭医生团队"), "/console/teams", RECORDS_TEAMS, order=74)
add_nav(N_("健康档案"), N_("建档覆盖率"), "/console/records-coverage", RECORDS_COVERAGE, order=75)
add_nav(N_("健康档案"), N_("紧急查阅"), "/console/break-glass", RECORDS_BREAK_GLASS, order=76)
add_nav(
    N_("审计"),
    N_("紧急查阅审查"),
    "/console/break-glass-report",
    RECORDS_BREAK_GLASS_REVIEW,
    order=95,
)


# --- break-glass -------------------------------------------------------------------------------


@router.get("/console/break-glass")
def break_glass_form(request: Request, _: RecordsBreakGlass) -> Response:
    """The emergency access form: which resident, why, for how long."""
    return _break_glass(request, values={}, errors={})


def _break_glass(request: Request, *, status_code: int = 200, **extra: Any) -> Response:
    settings = get_records_settings()
    context = {
        "max_hours": settings.break_glass_max_hours,
        "presence_minutes": settings.presence_minutes,
        **extra,
    }
    return render(request, "records/break_glass.html", context, status_code=status_code)


@router.post("/console/break-glass")
async def break_glass(
    request: Request, session: DbSession, principal: RecordsBreakGlass
) -> Response:
    """Open emergency access and go to the record (or say there is none)."""
    form = await request.form()
    values = {k: text(form, k) for k in ("person_id", "reason", "hours")}
    person_id = number(form, "person_id")
    try:
        if person_id is None:
            raise RecordInvalid(errors=[FieldError("person_id", "请填写居民编号。")])
        reason = values["reason"] or ""
        if len(reason) < 10:
            raise RecordInvalid(errors=[FieldError("reason", "请写明紧急情况（至少 10 个字）。")])
        access.break_glass(
            session,
            actor=principal,
            person_id=person_id,
            reason=reason,
            hours=number(form, "hours") or 4,
        )
    except AppError as error:
        return _break_glass(
            request, status_code=error.status_code, values=values, errors=field_errors(error)
        )
    record = records.record_for_person(session, person_id)
    if record is None:
        return _break_glass(
            request, values={}, errors={}, flash="已开启紧急查阅，但该居民尚未建立健康档案。"
        )
    return RedirectResponse(f"/console/records/{record.id}", status_code=303)


@router.get("/console/break-glass-report")
def break_glass_report(
    request: Request, session: DbSession, _: RecordsBreakGlassReview, all: int = 0
) -> Response:
    """Every break-glass access for the auditor, unreviewed first."""
    return _report(request, session, all=bool(all))


def _report(request: Request, session: Session, *, all: bool, **extra: Any) -> Response:
    names = {i.id: i.name for i in accounts_service.list_all_institutions(session)}
    context = {
        "rows": access.break_glass_report(session, unreviewed_only=not all),
        "names": names,
        "all": all,
        "now": datetime.now(UTC),
        **extra,
    }
    return render(request, "records/break_glass_report.html", context)


@router.post("/console/break-glass-report/{access_id}")
async def review(
    request: Request, session: DbSession, principal: RecordsBreakGlassReview, access_id: int
) -> Response:
    """Record the auditor's finding."""
    form = await request.form()
    note = text(form, "note")
    if not note:
        return _report(request, session, all=False, flash="请填写审查意见。", flash_kind="error")
    access.review_break_glass(session, actor=principal, access_id=access_id, note=note)
    return RedirectResponse("/console/break-glass-report?reviewed=1", status_code=303)


# --- consent -----------------------------------------------------------------------------------


@router.post("/console/records/{record_id}/consents")
async def add_consent(
    request: Request, session: DbSession, principal: RecordsConsent, record_id: int
) -> Response:
    """Record the resident's consent for another institution."""
    form = await request.form()
    record = records.kept_record(session, actor=principal, record_id=record_id)
    try:
        data = ConsentIn.model_validate(
            {
                "institution_id": number(form, "institution_id"),
                "granted_by": text(form, "granted_by"),
                **({"expires_on": text(form, "expires_on")} if text(form, "expires_on") else {}),
            }
        )
        access.record_consent(session, actor=principal, person_id=record.person_id, data=data)
    except (ValidationError, AppError):
        return RedirectResponse(f"/console/records/{record_id}?consent=invalid", status_code=303)
    return RedirectResponse(f"/console/records/{record_id}?consent=1", status_code=303)


# --- teams -------------------------------------------------------------------------------------


@router.get("/console/teams")
def team_list(request: Request, session: DbSession, principal: RecordsTeams) -> Response:
    """The doctor teams of the institution with their members and record counts."""
    return _teams(request, session, principal)


def _teams(
    request: Request,
    session: Session,
    principal: Principal,
    *,
    status_code: int = 200,
    **extra: Any,
) -> Response:
    staff, _ = accounts_service.search_staff(session, actor=principal, limit=200)
    context = {
        "views": teams.list_teams(session, actor=principal),
        "staff": [s.user for s in staff if s.user.institution_id == principal.institution_id],
        "values": {},
        "errors": {},
        **extra,
    }
    return render(request, "records/teams.html", context, status_code=status_code)


@router.post("/console/teams")
async def create_team(request: Request, session: DbSession, principal: RecordsTeams) -> Response:
    """Create a team."""
    form = await request.form()
    values = {k: text(form, k) for k in ("name", "area_code", "leader_id")}
    try:
        teams.create_team(
            session,
            actor=principal,
            data=TeamIn.model_validate({k: v for k, v in values.items() if v}),
        )
    except ValidationError as exc:
        return _teams(
            request, session, principal, status_code=422, values=values, errors=pydantic_errors(exc)
        )
    except AppError as error:
        return _teams(
            request,
            session,
            principal,
            status_code=error.status_code,
            values=values,
            errors=field_errors(error),
        )
    return RedirectResponse("/console/teams?created=1", status_code=303)


@router.post("/console/teams/{team_id}/members")
async def add_team_member(
    request: Request, session: DbSession, principal: RecordsTeams, team_id: int
) -> Response:
    """Add a staff member to a team."""
    form = await request.form()
    try:
        data = TeamMemberIn.model_validate(
            {"staff_id": number(form, "staff_id"), "role": text(form, "role") or "member"}
        )
        teams.add_member(session, actor=principal, team_id=team_id, data=data)
    except (ValidationError, AppError) as error:
        message = error.message if isinstance(error, AppError) else "请选择人员与角色。"
        return _teams(
            request, session, principal, status_code=422, flash=message, flash_kind="error"
        )
    return RedirectResponse("/console/teams?added=1", status_code=303)


# --- coverage ----------------------------------------------------------------------------------


@router.get("/console/records-coverage")
def coverage_page(
    request: Request,
    session: DbSession,
    principal: RecordsCoverage,
    institution_id: int | None = None,
) -> Response:
    """Coverage of the institution (a bureau chooses one): 建档率, 动态使用率, programmes."""
    return _coverage(request, session, principal, institution_id)


def _coverage(
    request: Request,
    session: Session,
    principal: Principal,
    institution_id: int | None,
    *,
    status_code: int = 200,
    **extra: Any,
) -> Response:
    choices = coverage.institutions_for(session, actor=principal)
    chosen = institution_id or (principal.institution_id if not principal.platform_wide else None)
    if chosen is None and choices:
        chosen = choices[0].id
    found = coverage.coverage(session, actor=principal, institution_id=chosen) if chosen else None
    context = {"choices": choices, "found": found, "chosen": chosen, "errors": {}, **extra}
    return render(request, "records/coverage.html", context, status_code=status_code)


@router.post("/console/records-coverage")
async def set_population(
    request: Request, session: DbSession, principal: RecordsCoverage
) -> Response:
    """Enter the population served this year (the 建档率 denominator)."""
    form = await request.form()
    institution_id = number(form, "institution_id")
    try:
        data = PopulationIn.model_validate(
            {
                "institution_id": institution_id,
                "year": number(form, "year"),
                "population": number(form, "population"),
                "source": text(form, "source"),
            }
        )
        coverage.set_population(session, actor=principal, data=data)
    except ValidationError as exc:
        return _coverage(
            request,
            session,
            principal,
            institution_id,
            status_code=422,
            errors=pydantic_errors(exc),
        )
    except AppError as error:
        return _coverage(
            request,
            session,
            principal,
            institution_id,
            status_code=error.status_code,
            errors=field_errors(error),
        )
    return RedirectResponse(
        f"/console/records-coverage?institution_id={institution_id}", status_code=303
    )
