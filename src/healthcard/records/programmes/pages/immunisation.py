"""Console pages: a child's immunisations against the national schedule (due and overdue doses,
recording a dose) and the printable vaccination certificate."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from healthcard.accounts import service as accounts_service
from healthcard.core.errors import AppError
from healthcard.core.principal import Principal
from healthcard.core.session import DbSession
from healthcard.core.templating import render
from healthcard.records.programmes import service
from healthcard.records.programmes.pages.followups import SEX
from healthcard.records.programmes.permissions import (
    IMMUNISATIONS_RECORD,
    ImmunisationsRecord,
    ProgrammesRead,
)

router = APIRouter()

STATUS_NAMES = {"given": "已接种", "overdue": "逾期未种", "due": "应种", "upcoming": "未到期"}


@router.get("/console/immunisations")
def search(request: Request, _: ProgrammesRead, person_id: str | None = None) -> Response:
    """Open a child's immunisation page by resident id."""
    if person_id and person_id.isdigit():
        return RedirectResponse(f"/console/immunisations/{person_id}", status_code=303)
    return render(request, "records/programmes/immunisation_search.html", {})


def _page(
    request: Request,
    session: Session,
    principal: Principal,
    person_id: int,
    *,
    status_code: int = 200,
    **extra: Any,
) -> Response:
    found = service.child_schedule(session, actor=principal, person_id=person_id)
    context = {
        "found": found,
        "person": found.person,
        "sex_names": SEX,
        "status_names": STATUS_NAMES,
        "can_record": principal.has(IMMUNISATIONS_RECORD),
        "sites": found.schedule.sites,
        "form": extra.pop("form", {}),
        **extra,
    }
    return render(request, "records/programmes/immunisation.html", context, status_code=status_code)


@router.get("/console/immunisations/{person_id}")
def child(
    request: Request, session: DbSession, principal: ProgrammesRead, person_id: int
) -> Response:
    """A child's doses: given, due, overdue and upcoming, with the form to record one."""
    return _page(request, session, principal, person_id)


@router.post("/console/immunisations/{person_id}")
async def record(
    request: Request, session: DbSession, principal: ImmunisationsRecord, person_id: int
) -> Response:
    """Record a dose given at the worker's institution."""
    form = await request.form()
    values = {k: str(v).strip() for k, v in form.items()}
    vaccine, _, dose = values.get("dose", "").partition(":")
    try:
        if principal.institution_id is None or not dose.isdigit():
            raise AppError("请选择疫苗与剂次。", status_code=422, code="validation_failed")
        service.record_immunisation(
            session,
            actor=principal,
            person_id=person_id,
            vaccine_code=vaccine,
            dose_number=int(dose),
            given_on=date.fromisoformat(values.get("given_on") or ""),
            institution_id=principal.institution_id,
            lot_number=values.get("lot_number") or None,
            site=values.get("site") or None,
            source="console",
        )
    except (AppError, ValueError) as error:
        message = error.message if isinstance(error, AppError) else "接种日期格式应为 YYYY-MM-DD。"
        status = error.status_code if isinstance(error, AppError) else 422
        return _page(
            request,
            session,
            principal,
            person_id,
            status_code=status,
            flash=message,
            flash_kind="error",
            form=values,
        )
    return _page(request, session, principal, person_id, flash="已登记接种。")


@router.get("/console/immunisations/{person_id}/certificate")
def certificate(
    request: Request, session: DbSession, principal: ProgrammesRead, person_id: int
) -> Response:
    """The vaccination certificate (预防接种证), laid out for printing."""
    found = service.child_schedule(session, actor=principal, person_id=person_id)
    institutions = {i.id: i.name for i in accounts_service.list_all_institutions(session)}
    context = {
        "found": found,
        "person": found.person,
        "sex_names": SEX,
        "institutions": institutions,
        "given": [d for d in found.doses if d.given is not None],
        "sites": found.schedule.sites,
    }
    return render(request, "records/programmes/certificate.html", context)
