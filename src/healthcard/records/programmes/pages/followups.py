"""Console pages: the task list, the enrolment list, a resident's programmes and the follow-up
form of each programme."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from healthcard.core.errors import AppError
from healthcard.core.principal import Principal
from healthcard.core.session import DbSession
from healthcard.core.templating import render
from healthcard.models import FollowUp
from healthcard.records.programmes import service
from healthcard.records.programmes.pages.fields import fields_of
from healthcard.records.programmes.permissions import (
    IMMUNISATIONS_RECORD,
    PROGRAMMES_MANAGE,
    ProgrammesManage,
    ProgrammesRead,
)
from healthcard.records.programmes.schemas import EnrolmentIn
from healthcard.records.programmes.service import rules
from healthcard.records.programmes.service.common import today

router = APIRouter()

SEX = {"1": "男", "2": "女", "0": "未知", "9": "未说明"}


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


def _common(**extra: Any) -> dict[str, Any]:
    ruleset = rules.programme_rules()
    return {
        "programmes": service.PROGRAMME_NAMES,
        "rule_names": {code: r.name for code, r in ruleset.programmes.items()},
        "sex_names": SEX,
        "today": today(),
        **extra,
    }


@router.get("/console/programmes/tasks")
def tasks(
    request: Request,
    session: DbSession,
    principal: ProgrammesRead,
    window: str = "overdue",
    team_id: str | None = None,
    programme: str | None = None,
    offset: int = 0,
) -> Response:
    """档案任务: due and overdue visits with counts by programme and team."""
    if window not in service.WINDOWS:
        window = "overdue"
    found = service.task_list(
        session,
        actor=principal,
        window=window,
        team_id=_int(team_id),
        programme=programme or None,
        offset=max(offset, 0),
    )
    ruleset = rules.programme_rules()
    labels = {
        f.id: service.visit_label(ruleset.programmes[f.programme], f.visit_code)
        for f, _ in found.items
    }
    context = _common(
        found=found,
        labels=labels,
        window=window,
        windows=service.WINDOWS,
        teams=service.teams(session, actor=principal),
        team_id=_int(team_id),
        programme=programme or "",
        base=f"?window={window}&team_id={team_id or ''}&programme={programme or ''}&",
    )
    return render(request, "records/programmes/tasks.html", context)


@router.get("/console/programmes/enrolments")
def enrolments(
    request: Request,
    session: DbSession,
    principal: ProgrammesRead,
    programme: str | None = None,
    offset: int = 0,
) -> Response:
    """Residents under management, by programme."""
    rows, total = service.enrolment_page(
        session, actor=principal, programme=programme, offset=offset
    )
    context = _common(
        rows=rows,
        total=total,
        offset=max(offset, 0),
        programme=programme or "",
        base=f"?programme={programme or ''}&",
    )
    return render(request, "records/programmes/enrolments.html", context)


def _resident(
    request: Request,
    session: Session,
    principal: Principal,
    person_id: int,
    *,
    status_code: int = 200,
    **extra: Any,
) -> Response:
    basics = service.person(session, person_id)
    found = service.enrolments_of(session, actor=principal, person_id=person_id)
    visits = {e.id: service.followups_of(session, e) for e in found}
    ruleset = rules.programme_rules()
    context = _common(
        person=basics,
        enrolments=found,
        visits=visits,
        ruleset=ruleset,
        visit_label=service.visit_label,
        can_manage=principal.has(PROGRAMMES_MANAGE),
        can_vaccinate=principal.has(IMMUNISATIONS_RECORD),
        form=extra.pop("form", {}),
        **extra,
    )
    return render(request, "records/programmes/resident.html", context, status_code=status_code)


@router.get("/console/programmes/residents/{person_id}")
def resident(
    request: Request, session: DbSession, principal: ProgrammesRead, person_id: int
) -> Response:
    """A resident's programmes: enrolments and their visits, and the enrolment form."""
    return _resident(request, session, principal, person_id)


@router.post("/console/programmes/residents/{person_id}/enrol")
async def enrol(
    request: Request, session: DbSession, principal: ProgrammesManage, person_id: int
) -> Response:
    """Enrol the resident in a programme."""
    form = await request.form()
    values = {k: str(v).strip() for k, v in form.items() if str(v).strip()}
    try:
        data = EnrolmentIn.model_validate({"person_id": person_id, **values})
        service.enrol(session, actor=principal, data=data)
    except AppError as error:
        return _resident(
            request,
            session,
            principal,
            person_id,
            status_code=error.status_code,
            flash=error.message,
            flash_kind="error",
            form=values,
        )
    except ValueError:
        return _resident(
            request,
            session,
            principal,
            person_id,
            status_code=422,
            flash="请检查纳入管理表单：日期格式应为 YYYY-MM-DD。",
            flash_kind="error",
            form=values,
        )
    name = service.PROGRAMME_NAMES.get(values.get("programme", ""), "")
    return _resident(request, session, principal, person_id, flash=f"已纳入{name}管理。")


# --- the follow-up form -------------------------------------------------------------------------


def _parse(programme: str, form: FormData) -> dict[str, Any]:
    """The form's values as the API takes them (numbers as numbers, checkboxes as booleans)."""
    data: dict[str, Any] = {}
    for field in fields_of(programme):
        if field.kind == "check":
            data[field.name] = field.name in form
        elif field.kind == "symptoms":
            data[field.name] = [str(v) for v in form.getlist(field.name)]
        else:
            raw = str(form.get(field.name) or "").strip()
            if raw:
                data[field.name] = _number(raw) if field.kind in ("number", "decimal") else raw
    if programme == "mental" and isinstance(data.get("risk_level"), str):
        data["risk_level"] = _number(data["risk_level"])
    return data


def _number(raw: str) -> int | float | str:
    try:
        return float(raw) if "." in raw else int(raw)
    except ValueError:
        return raw  # the schema names it as not a number


def _followup_page(
    request: Request,
    session: Session,
    principal: Principal,
    visit: FollowUp,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
    **extra: Any,
) -> Response:
    enrolment = service.get_enrolment(session, actor=principal, enrolment_id=visit.enrolment_id)
    ruleset = rules.programme_rules(version=visit.rule_version)
    rule = ruleset.programmes[visit.programme]
    history = [v for v in service.followups_of(session, enrolment) if v.status == "done"][:4]
    defaults: dict[str, Any] = {
        "done_on": today().isoformat(),
        "method": "clinic",
        "development_ok": True,
    }
    latest = visit.hospital_measurements[-1] if visit.hospital_measurements else {}
    for key in ("sbp", "dbp", "fasting_glucose"):
        if latest.get(key) is not None:
            defaults[key] = latest[key]
    context = _common(
        visit=visit,
        enrolment=enrolment,
        person=service.person(session, visit.person_id),
        rule=rule,
        label=service.visit_label(rule, visit.visit_code),
        fields=fields_of(visit.programme),
        values=values
        if values is not None
        else (visit.form if visit.status == "done" else defaults),
        errors=errors or {},
        history=history,
        visit_label=service.visit_label,
        can_manage=principal.has(PROGRAMMES_MANAGE),
        **extra,
    )
    return render(request, "records/programmes/followup.html", context, status_code=status_code)


@router.get("/console/programmes/followups/{followup_id}")
def followup(
    request: Request, session: DbSession, principal: ProgrammesRead, followup_id: int
) -> Response:
    """The follow-up form of a due visit (or the record of a visit done)."""
    visit = service.get_followup(session, actor=principal, followup_id=followup_id)
    return _followup_page(request, session, principal, visit)


@router.post("/console/programmes/followups/{followup_id}")
async def record(
    request: Request, session: DbSession, principal: ProgrammesManage, followup_id: int
) -> Response:
    """Record the visit; the page then shows its classification and the next visit."""
    visit = service.get_followup(session, actor=principal, followup_id=followup_id)
    form = await request.form()
    data = _parse(visit.programme, form)
    try:
        done = service.record_followup(session, actor=principal, followup_id=followup_id, data=data)
    except AppError as error:
        errors = {e.field.removeprefix("body."): e.message for e in error.errors}
        return _followup_page(
            request,
            session,
            principal,
            visit,
            values=data,
            errors=errors,
            status_code=error.status_code,
            flash=error.message,
            flash_kind="error",
        )
    target = f"/console/programmes/followups/{done.followup.id}?saved=1"
    return RedirectResponse(target, status_code=303)


@router.post("/console/programmes/followups/{followup_id}/missed")
async def missed(
    request: Request, session: DbSession, principal: ProgrammesManage, followup_id: int
) -> Response:
    """Mark an overdue visit as missed; the next one is scheduled."""
    form = await request.form()
    reason = str(form.get("reason") or "").strip() or "未能联系到居民"
    try:
        service.miss_followup(
            session, actor=principal, followup_id=followup_id, reason=reason[:300]
        )
    except AppError as error:
        visit = service.get_followup(session, actor=principal, followup_id=followup_id)
        return _followup_page(
            request,
            session,
            principal,
            visit,
            status_code=error.status_code,
            flash=error.message,
            flash_kind="error",
        )
    return RedirectResponse("/console/programmes/tasks", status_code=303)
