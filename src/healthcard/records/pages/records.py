"""Console pages of health records: search list, the basic-information form, the record page,
the examination form, termination, assignment to a team."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from healthcard.core.errors import AppError
from healthcard.core.i18n import N_
from healthcard.core.principal import Principal
from healthcard.core.session import DbSession
from healthcard.core.templating import add_nav, add_panel, render
from healthcard.identity import service as identity_service
from healthcard.models import HealthRecord
from healthcard.records.pages.common import (
    SEX_NAMES,
    STATUS_NAMES,
    field_errors,
    many,
    number,
    options,
    pydantic_errors,
    real,
    settings_of,
    text,
)
from healthcard.records.permissions import (
    RECORDS_MIGRATE,
    RECORDS_READ,
    RECORDS_TEAMS,
    RECORDS_TERMINATE,
    RECORDS_WRITE,
    RecordsRead,
    RecordsTeams,
    RecordsTerminate,
    RecordsWrite,
)
from healthcard.records.schemas import ExamIn, RecordFields, RecordIn, TerminationIn
from healthcard.records.service import (
    access,
    codes,
    exams,
    families,
    migration,
    records,
    teams,
    termination,
)

router = APIRouter()
add_nav(N_("健康档案"), N_("居民健康档案"), "/console/records", RECORDS_READ, order=70)

CHOICES = (
    "residence_type",
    "ethnicity",
    "abo_blood_type",
    "rh_blood_type",
    "education",
    "occupation",
    "marital_status",
)
MULTI = {
    "payment_methods": "payment_method",
    "drug_allergies": "drug_allergy",
    "exposures": "exposure",
    "disabilities": "disability",
}
LIVING = ("kitchen_exhaust", "fuel", "water", "toilet", "livestock")
RELATIVES = {"father": "父亲", "mother": "母亲", "siblings": "兄弟姐妹", "children": "子女"}


def _record_panel(request: Request, session: Any, person_id: int) -> dict[str, Any] | None:
    """The link to the resident's health record, on the resident's page."""
    principal = getattr(request.state, "principal", None)
    if principal is None or not principal.has(RECORDS_READ):
        return None
    record = records.record_for_person(session, person_id)
    can_create = record is None and principal.has(RECORDS_WRITE)
    if record is None and not can_create:
        return None
    return {"health_record": record, "record_person_id": person_id, "status_names": STATUS_NAMES}


add_panel("person", "records/_person_panel.html", _record_panel)


@router.get("/console/records")
def record_list(
    request: Request,
    session: DbSession,
    principal: RecordsRead,
    q: str | None = None,
    status: str | None = None,
    offset: int = 0,
) -> Response:
    """Records of the institution (a village doctor: their own residents), searchable."""
    rows, total = records.search(
        session, actor=principal, text=q, status=status or None, offset=max(offset, 0), limit=50
    )
    context = {
        "rows": rows,
        "total": total,
        "offset": offset,
        "q": q or "",
        "status": status or "",
        "statuses": STATUS_NAMES,
        "sexes": SEX_NAMES,
        "own_only": records.only_own_residents(principal),
        "can_write": principal.has(RECORDS_WRITE),
    }
    return render(request, "records/list.html", context)


# --- the basic-information form ----------------------------------------------------------------


def _form_context(session: Session, principal: Principal, **extra: Any) -> dict[str, Any]:
    return {
        "choices": {name: options(name) for name in CHOICES},
        "labels": codes.LIST_NAMES,
        "multi": {field: options(name) for field, name in MULTI.items()},
        "living": {name: options(name) for name in LIVING},
        "past_diseases": options("past_disease"),
        "family_diseases": options("family_disease"),
        "relatives": RELATIVES,
        "team_options": [
            (v.team.id, v.team.name) for v in teams.list_teams(session, actor=principal)
        ],
        "values": {},
        "errors": {},
        **extra,
    }


def _fields(form: FormData) -> dict[str, Any]:
    values: dict[str, Any] = {name: text(form, name) for name in CHOICES}
    values |= {f: many(form, f) for f in MULTI}
    values |= {
        "address": text(form, "address"),
        "work_unit": text(form, "work_unit"),
        "contact_name": text(form, "contact_name"),
        "contact_phone": text(form, "contact_phone"),
        "genetic_disease": text(form, "genetic_disease"),
        "past_diseases": [{"code": c} for c in many(form, "past_diseases")],
        "family_history": {r: many(form, f"family_history.{r}") for r in RELATIVES},
        "living_conditions": {k: text(form, f"living_conditions.{k}") for k in LIVING},
    }
    return {k: v for k, v in values.items() if v is not None}


def _values_of(record: HealthRecord) -> dict[str, Any]:
    form = record.form or {}
    values: dict[str, Any] = {name: getattr(record, name, None) for name in CHOICES}
    values["residence_type"] = form.get("residence_type")
    values |= {f: form.get(f, []) for f in MULTI}
    values["past_diseases"] = [d.get("code") for d in form.get("past_diseases", [])]
    for relative in RELATIVES:
        values[f"family_history.{relative}"] = form.get("family_history", {}).get(relative, [])
    for key in LIVING:
        values[f"living_conditions.{key}"] = form.get("living_conditions", {}).get(key)
    for name in ("address", "work_unit", "contact_name", "genetic_disease"):
        values[name] = getattr(record, name, None) or form.get(name)
    return values


@router.get("/console/records/new")
def new_record(
    request: Request, session: DbSession, principal: RecordsWrite, person_id: int | None = None
) -> Response:
    """The basic-information form for a new record (the resident chosen from the index)."""
    family = families.family_of_person(session, person_id) if person_id else None
    values = {"person_id": person_id, "area_code": family.area_code if family else None}
    return render(request, "records/form.html", _form_context(session, principal, values=values))


@router.post("/console/records/new")
async def create_record(request: Request, session: DbSession, principal: RecordsWrite) -> Response:
    """Establish the record; errors are shown next to their fields."""
    form = await request.form()
    raw = _fields(form) | {
        "person_id": number(form, "person_id"),
        "area_code": text(form, "area_code"),
        "team_id": number(form, "team_id"),
    }
    values = {**{k: v for k, v in raw.items() if not isinstance(v, dict)}, **_dotted(form)}
    try:
        data = RecordIn.model_validate({k: v for k, v in raw.items() if v is not None})
        record = records.create_record(
            session, settings=settings_of(request), actor=principal, data=data
        )
    except ValidationError as exc:
        errors = pydantic_errors(exc)
    except AppError as error:
        errors = field_errors(error)
    else:
        return RedirectResponse(f"/console/records/{record.id}?created=1", status_code=303)
    context = _form_context(session, principal, values=values, errors=errors)
    return render(request, "records/form.html", context, status_code=422)


def _dotted(form: FormData) -> dict[str, Any]:
    values: dict[str, Any] = {
        f"living_conditions.{k}": text(form, f"living_conditions.{k}") for k in LIVING
    }
    values |= {f"family_history.{r}": many(form, f"family_history.{r}") for r in RELATIVES}
    values["past_diseases"] = many(form, "past_diseases")
    return values


@router.get("/console/records/{record_id}/edit")
def edit_record(
    request: Request, session: DbSession, principal: RecordsWrite, record_id: int
) -> Response:
    """The basic-information form of an existing record."""
    record = records.kept_record(session, actor=principal, record_id=record_id)
    context = _form_context(session, principal, values=_values_of(record), record=record)
    return render(request, "records/form.html", context)


@router.post("/console/records/{record_id}/edit")
async def update_record(
    request: Request, session: DbSession, principal: RecordsWrite, record_id: int
) -> Response:
    """Save the basic-information form (refused while terminated or migrating)."""
    form = await request.form()
    raw = _fields(form)
    record = records.kept_record(session, actor=principal, record_id=record_id)
    try:
        data = RecordFields.model_validate(raw)
        records.update_record(
            session, settings=settings_of(request), actor=principal, record_id=record_id, data=data
        )
    except ValidationError as exc:
        errors = pydantic_errors(exc)
    except AppError as error:
        errors = field_errors(error)
    else:
        return RedirectResponse(f"/console/records/{record_id}?saved=1", status_code=303)
    values = {**{k: v for k, v in raw.items() if not isinstance(v, dict)}, **_dotted(form)}
    context = _form_context(session, principal, values=values, errors=errors, record=record)
    return render(request, "records/form.html", context, status_code=422)


# --- the record page ---------------------------------------------------------------------------


@router.get("/console/records/{record_id}")
def record_page(
    request: Request, session: DbSession, principal: RecordsRead, record_id: int
) -> Response:
    """The record: identity from the index, the form, exams, status, migrations (read audited)."""
    record, basis = access.readable_record(
        session, actor=principal, record_id=record_id, purpose="record"
    )
    return _record_page(request, session, principal, record, basis)


def _record_page(
    request: Request,
    session: Session,
    principal: Principal,
    record: HealthRecord,
    basis: str,
    *,
    status_code: int = 200,
    **extra: Any,
) -> Response:
    person = identity_service.view(
        session,
        settings=settings_of(request),
        actor=principal,
        person_id=record.person_id,
        purpose="record",
    )
    own = records.may_keep(principal, record)
    team_views = teams.list_teams(session, actor=principal) if own else []
    context = {
        "record": record,
        "person": person,
        "basis": basis,
        "basis_name": access.BASIS_NAMES.get(basis, basis),
        "age": records.age_on(person.person.birth_date, record.established_on),
        "phone": records.contact_phone(settings_of(request), record),
        "exams": exams.exams_of(session, record=record),
        "migrations": migration.history(session, record=record),
        "family": families.family_of_person(session, record.person_id) if own else None,
        "consents": access.consents_of(session, actor=principal, person_id=record.person_id)
        if own
        else [],
        "teams": team_views,
        "team_name": next((v.team.name for v in team_views if v.team.id == record.team_id), None),
        "label": codes.label,
        "list_names": codes.LIST_NAMES,
        "findings": codes.exam_findings(),
        "statuses": STATUS_NAMES,
        "sexes": SEX_NAMES,
        "termination_names": records.TERMINATION_NAMES,
        "step_names": migration.STEP_NAMES,
        "migration_status": migration.STATUS_NAMES,
        "kind_names": migration.KIND_NAMES,
        "relatives": RELATIVES,
        "own": own,
        "writable": own and record.status == "active",
        "can_write": principal.has(RECORDS_WRITE),
        "can_terminate": principal.has(RECORDS_TERMINATE),
        "can_assign": principal.has(RECORDS_TEAMS),
        "can_migrate": principal.has(RECORDS_MIGRATE),
        **extra,
    }
    return render(request, "records/record.html", context, status_code=status_code)


@router.post("/console/records/{record_id}/assignment")
async def assign(
    request: Request, session: DbSession, principal: RecordsTeams, record_id: int
) -> Response:
    """Put the record under a team and a responsible staff member."""
    form = await request.form()
    try:
        teams.assign(
            session,
            actor=principal,
            record_id=record_id,
            team_id=number(form, "team_id"),
            responsible_staff_id=number(form, "responsible_staff_id"),
        )
    except AppError as error:
        record = records.kept_record(session, actor=principal, record_id=record_id)
        return _record_page(
            request,
            session,
            principal,
            record,
            "own",
            status_code=error.status_code,
            flash=error.message,
            flash_kind="error",
        )
    return RedirectResponse(f"/console/records/{record_id}?saved=1", status_code=303)


# --- examinations ------------------------------------------------------------------------------


def _exam_context(record: HealthRecord, **extra: Any) -> dict[str, Any]:
    lists: tuple[str, ...] = ("symptom", "exercise_frequency", "diet", "smoking", "drinking")
    lists += ("hearing", "motor", "assessment", "guidance", "risk_control")
    return {
        "record": record,
        "lists": {name: options(name) for name in lists},
        "findings": codes.exam_findings(),
        "values": {},
        "errors": {},
        **extra,
    }


@router.get("/console/records/{record_id}/exams/new")
def new_exam(
    request: Request, session: DbSession, principal: RecordsWrite, record_id: int
) -> Response:
    """The health examination form (健康体检表)."""
    record = records.kept_record(session, actor=principal, record_id=record_id)
    return render(request, "records/exam_form.html", _exam_context(record))


def _exam_body(form: FormData) -> dict[str, Any]:
    vitals: dict[str, Any] = {
        name: real(form, name) for name in ("temperature", "height_cm", "weight_kg", "waist_cm")
    }
    vitals |= {"pulse": number(form, "pulse"), "respiration": number(form, "respiration")}
    for side in ("bp_left", "bp_right"):
        sbp, dbp = number(form, f"{side}.sbp"), number(form, f"{side}.dbp")
        if sbp is not None or dbp is not None:
            vitals[side] = {"sbp": sbp, "dbp": dbp}
    findings = {}
    for part in codes.exam_findings():
        result = text(form, f"findings.{part}")
        if result:
            findings[part] = {"result": result, "note": text(form, f"findings.{part}.note")}
    body: dict[str, Any] = {
        "exam_date": text(form, "exam_date"),
        "symptoms": many(form, "symptoms"),
        "vitals": {k: v for k, v in vitals.items() if v is not None},
        "lifestyle": {
            "exercise_frequency": text(form, "exercise_frequency"),
            "exercise_minutes": number(form, "exercise_minutes"),
            "diet": many(form, "diet"),
            "smoking": text(form, "smoking"),
            "cigarettes_per_day": number(form, "cigarettes_per_day"),
            "drinking": text(form, "drinking"),
        },
        "organ_function": {"hearing": text(form, "hearing"), "motor": text(form, "motor")},
        "findings": findings,
        "assessment": text(form, "assessment"),
        "abnormalities": [
            a.strip() for a in (text(form, "abnormalities") or "").split("；") if a.strip()
        ],
        "guidance": many(form, "guidance"),
        "risk_control": many(form, "risk_control"),
        "note": text(form, "note"),
    }
    return body


@router.post("/console/records/{record_id}/exams/new")
async def add_exam(
    request: Request, session: DbSession, principal: RecordsWrite, record_id: int
) -> Response:
    """Save an examination; errors are shown next to their fields."""
    form = await request.form()
    record = records.kept_record(session, actor=principal, record_id=record_id)
    try:
        data = ExamIn.model_validate(_exam_body(form))
        exams.add_exam(session, actor=principal, record_id=record_id, data=data)
    except ValidationError as exc:
        errors = pydantic_errors(exc)
    except AppError as error:
        errors = field_errors(error)
    else:
        return RedirectResponse(f"/console/records/{record_id}?exam=1", status_code=303)
    values = {k: form.getlist(k) if len(form.getlist(k)) > 1 else form.get(k) for k in form}
    context = _exam_context(record, values=values, errors=errors)
    return render(request, "records/exam_form.html", context, status_code=422)


# --- termination -------------------------------------------------------------------------------


@router.get("/console/records/{record_id}/terminate")
def termination_form(
    request: Request, session: DbSession, principal: RecordsTerminate, record_id: int
) -> Response:
    """The termination form (death, moved away, lost to follow-up, refused, other)."""
    record = records.kept_record(session, actor=principal, record_id=record_id)
    context = {"record": record, "reasons": records.TERMINATION_NAMES, "values": {}, "errors": {}}
    return render(request, "records/terminate.html", context)


@router.post("/console/records/{record_id}/terminate")
async def terminate(
    request: Request, session: DbSession, principal: RecordsTerminate, record_id: int
) -> Response:
    """End the record; it is kept read-only."""
    form = await request.form()
    values = {k: text(form, k) for k in ("reason", "on", "note", "moved_to")}
    record = records.kept_record(session, actor=principal, record_id=record_id)
    try:
        data = TerminationIn.model_validate({k: v for k, v in values.items() if v})
        termination.terminate(session, actor=principal, record_id=record_id, data=data)
    except ValidationError as exc:
        errors = pydantic_errors(exc)
    except AppError as error:
        errors = field_errors(error)
    else:
        return RedirectResponse(f"/console/records/{record_id}?terminated=1", status_code=303)
    context = {
        "record": record,
        "reasons": records.TERMINATION_NAMES,
        "values": values,
        "errors": errors,
    }
    return render(request, "records/terminate.html", context, status_code=422)
