"""Console pages of family records (家庭档案): list and create, the family page with members."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from healthcard.core.errors import AppError
from healthcard.core.i18n import N_
from healthcard.core.principal import Principal
from healthcard.core.session import DbSession
from healthcard.core.templating import add_nav, render
from healthcard.records.pages.common import (
    SEX_NAMES,
    STATUS_NAMES,
    field_errors,
    number,
    options,
    pydantic_errors,
    settings_of,
    text,
)
from healthcard.records.permissions import RECORDS_READ, RECORDS_WRITE, RecordsRead, RecordsWrite
from healthcard.records.schemas import FamilyIn, FamilyUpdate, MemberIn
from healthcard.records.service import families

router = APIRouter()
add_nav(N_("健康档案"), N_("家庭档案"), "/console/families", RECORDS_READ, order=71)
LIVING = ("kitchen_exhaust", "fuel", "water", "toilet", "livestock")


def _relationships() -> list[tuple[str, str]]:
    return [(c, n) for c, n in options("relationship") if c != families.HEAD]


@router.get("/console/families")
def family_list(
    request: Request, session: DbSession, principal: RecordsRead, q: str | None = None
) -> Response:
    """Households of the institution, and the form for a new one."""
    return _list(request, session, principal, q=q or "")


def _list(
    request: Request,
    session: Session,
    principal: Principal,
    *,
    status_code: int = 200,
    **extra: Any,
) -> Response:
    context = {
        "rows": families.search_families(session, actor=principal, text=extra.get("q")),
        "can_write": principal.has(RECORDS_WRITE),
        "living": {name: options(name) for name in LIVING},
        "values": {},
        "errors": {},
        **extra,
    }
    return render(request, "records/families.html", context, status_code=status_code)


@router.post("/console/families")
async def create_family(request: Request, session: DbSession, principal: RecordsWrite) -> Response:
    """Create a household with its head (户主); members are added on its page."""
    form = await request.form()
    values = {k: text(form, k) for k in ("address", "area_code", "head_person_id")}
    living = {k: text(form, f"living_conditions.{k}") for k in LIVING}
    try:
        data = FamilyIn.model_validate(
            {**{k: v for k, v in values.items() if v}, "living_conditions": living}
        )
        family = families.create_family(
            session, settings=settings_of(request), actor=principal, data=data
        )
    except ValidationError as exc:
        errors = pydantic_errors(exc)
    except AppError as error:
        errors = field_errors(error)
    else:
        return RedirectResponse(f"/console/families/{family.id}?created=1", status_code=303)
    return _list(request, session, principal, status_code=422, values=values, errors=errors, q="")


@router.get("/console/families/{family_id}")
def family_page(
    request: Request, session: DbSession, principal: RecordsRead, family_id: int
) -> Response:
    """The household: head, members with relationships and their records, living conditions."""
    return _page(request, session, principal, family_id)


def _page(
    request: Request,
    session: Session,
    principal: Principal,
    family_id: int,
    *,
    status_code: int = 200,
    **extra: Any,
) -> Response:
    view = families.get_family(session, actor=principal, family_id=family_id)
    context = {
        "view": view,
        "family": view.family,
        "relationships": _relationships(),
        "living": {name: options(name) for name in LIVING},
        "sexes": SEX_NAMES,
        "statuses": STATUS_NAMES,
        "can_write": principal.has(RECORDS_WRITE),
        "errors": {},
        **extra,
    }
    return render(request, "records/family.html", context, status_code=status_code)


@router.post("/console/families/{family_id}/members")
async def add_member(
    request: Request, session: DbSession, principal: RecordsWrite, family_id: int
) -> Response:
    """Add a resident (by index id) with their relationship to the head."""
    form = await request.form()
    try:
        data = MemberIn.model_validate(
            {"person_id": number(form, "person_id"), "relationship": text(form, "relationship")}
        )
        families.add_member(
            session, settings=settings_of(request), actor=principal, family_id=family_id, data=data
        )
    except ValidationError as exc:
        errors = pydantic_errors(exc)
    except AppError as error:
        errors = field_errors(error)
    else:
        return RedirectResponse(f"/console/families/{family_id}?added=1", status_code=303)
    return _page(request, session, principal, family_id, status_code=422, errors=errors)


@router.post("/console/families/{family_id}/members/{person_id}/remove")
def remove_member(
    request: Request, session: DbSession, principal: RecordsWrite, family_id: int, person_id: int
) -> Response:
    """Take a member out of the household."""
    try:
        families.remove_member(session, actor=principal, family_id=family_id, person_id=person_id)
    except AppError as error:
        return _page(
            request,
            session,
            principal,
            family_id,
            status_code=error.status_code,
            flash=error.message,
            flash_kind="error",
        )
    return RedirectResponse(f"/console/families/{family_id}?removed=1", status_code=303)


@router.post("/console/families/{family_id}/head")
async def set_head(
    request: Request, session: DbSession, principal: RecordsWrite, family_id: int
) -> Response:
    """Make another member the head; the former head's relationship to them is given."""
    form = await request.form()
    try:
        data = FamilyUpdate.model_validate(
            {
                "head_person_id": number(form, "head_person_id"),
                "former_head_relationship": text(form, "former_head_relationship"),
            }
        )
        families.update_family(session, actor=principal, family_id=family_id, data=data)
    except ValidationError as exc:
        errors = pydantic_errors(exc)
    except AppError as error:
        errors = field_errors(error)
    else:
        return RedirectResponse(f"/console/families/{family_id}?head=1", status_code=303)
    return _page(request, session, principal, family_id, status_code=422, errors=errors)
