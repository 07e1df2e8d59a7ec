"""Console pages for institutions and their departments."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from healthcard.accounts import service
from healthcard.accounts.permissions import (
    DEPARTMENTS_MANAGE,
    INSTITUTIONS_MANAGE,
    INSTITUTIONS_READ,
    DepartmentsManage,
    InstitutionsManage,
    InstitutionsRead,
)
from healthcard.accounts.schemas import (
    HOSPITAL_LEVEL_LABELS,
    INSTITUTION_KIND_LABELS,
    DepartmentIn,
    InstitutionIn,
    InstitutionPatch,
)
from healthcard.core.errors import AppError
from healthcard.core.forms import FormErrors, errors_of, form_values, validate
from healthcard.core.i18n import N_
from healthcard.core.principal import Principal
from healthcard.core.session import DbSession
from healthcard.core.templating import add_nav, render
from healthcard.divisions import service as divisions_service

router = APIRouter(prefix="/console/institutions")
add_nav(N_("机构与人员"), N_("机构"), "/console/institutions", INSTITUTIONS_READ, order=10)

PAGE_SIZE = 25


def _form_context(session: Session, **extra: Any) -> dict[str, Any]:
    return {
        "kinds": INSTITUTION_KIND_LABELS,
        "levels": HOSPITAL_LEVEL_LABELS,
        "institutions": service.list_all_institutions(session),
        **extra,
    }


@router.get("")
def list_page(
    request: Request,
    session: DbSession,
    principal: InstitutionsRead,
    q: Annotated[str | None, Query(max_length=100)] = None,
    kind: Annotated[str | None, Query(max_length=40)] = None,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> Response:
    """Institutions, searchable by name or credit code and kind."""
    rows, total = service.search_institutions(
        session, actor=principal, text=q, kind=kind or None, offset=offset, limit=PAGE_SIZE
    )
    context = {
        "rows": rows,
        "total": total,
        "offset": offset,
        "limit": PAGE_SIZE,
        "q": q or "",
        "kind": kind or "",
        "kinds": INSTITUTION_KIND_LABELS,
        "levels": HOSPITAL_LEVEL_LABELS,
        "can_manage": principal.has(INSTITUTIONS_MANAGE),
    }
    template = (
        "accounts/_institution_rows.html"
        if request.headers.get("hx-request")
        else "accounts/institutions.html"
    )
    return render(request, template, context)


@router.get("/new")
def new_page(request: Request, session: DbSession, _: InstitutionsManage) -> Response:
    """The form for registering an institution."""
    return render(
        request, "accounts/institution_form.html", _form_context(session, values={}, errors={})
    )


@router.post("/new")
async def create(request: Request, session: DbSession, principal: InstitutionsManage) -> Response:
    """Register an institution from the form."""
    values = form_values(await request.form())
    data, errors = validate(InstitutionIn, values)
    if data is not None:
        try:
            institution = service.create_institution(session, actor=principal, data=data)
        except AppError as error:
            errors = errors_of(error)
        else:
            return RedirectResponse(
                f"/console/institutions/{institution.id}?created=1", status_code=303
            )
    return _form_again(request, session, values, errors)


def _form_again(
    request: Request, session: Session, values: dict[str, Any], errors: FormErrors, **extra: Any
) -> Response:
    return render(
        request,
        "accounts/institution_form.html",
        _form_context(session, values=values, errors=errors, **extra),
        status_code=422,
    )


@router.get("/{institution_id}")
def detail(
    request: Request,
    session: DbSession,
    principal: InstitutionsRead,
    institution_id: int,
    created: int = 0,
) -> Response:
    """One institution with its departments."""
    return _detail(
        request, session, principal, institution_id, flash="机构已登记。" if created else None
    )


def _detail(
    request: Request,
    session: Session,
    principal: Principal,
    institution_id: int,
    *,
    status_code: int = 200,
    **extra: Any,
) -> Response:
    institution = service.get_institution(session, actor=principal, institution_id=institution_id)
    context = {
        "institution": institution,
        "division": divisions_service.describe(session, institution.division_code),
        "parent": service.get_institution(
            session, actor=principal, institution_id=institution.parent_id
        )
        if institution.parent_id and principal.may_act_in(institution.parent_id)
        else None,
        "departments": service.list_departments(
            session, actor=principal, institution_id=institution_id
        ),
        "kinds": INSTITUTION_KIND_LABELS,
        "levels": HOSPITAL_LEVEL_LABELS,
        "can_manage": principal.has(INSTITUTIONS_MANAGE),
        "can_manage_departments": principal.has(DEPARTMENTS_MANAGE)
        and principal.may_act_in(institution_id),
        "dept_values": {},
        "dept_errors": {},
        **extra,
    }
    return render(request, "accounts/institution.html", context, status_code=status_code)


@router.get("/{institution_id}/edit")
def edit_page(
    request: Request, session: DbSession, principal: InstitutionsManage, institution_id: int
) -> Response:
    """The form for changing an institution."""
    institution = service.get_institution(session, actor=principal, institution_id=institution_id)
    values = {c: getattr(institution, c) for c in InstitutionIn.model_fields}
    return render(
        request,
        "accounts/institution_form.html",
        _form_context(session, values=values, errors={}, institution=institution),
    )


@router.post("/{institution_id}/edit")
async def update(
    request: Request, session: DbSession, principal: InstitutionsManage, institution_id: int
) -> Response:
    """Save changes to an institution."""
    institution = service.get_institution(session, actor=principal, institution_id=institution_id)
    values = form_values(await request.form())
    values.pop("uscc", None)  # the credit code identifies the institution; it is not edited
    patch_values = {k: values.get(k) for k in InstitutionPatch.model_fields if k != "active"}
    data, errors = validate(
        InstitutionPatch, {k: v for k, v in patch_values.items() if v is not None}
    )
    if data is not None:
        for optional in ("short_name", "hospital_level", "parent_id", "address", "phone"):
            if patch_values.get(optional) is None:
                setattr(data, optional, None)  # an emptied field clears the value
        try:
            service.update_institution(
                session, actor=principal, institution_id=institution_id, data=data
            )
        except AppError as error:
            errors = errors_of(error)
        else:
            return RedirectResponse(f"/console/institutions/{institution_id}", status_code=303)
    values["uscc"] = institution.uscc
    return _form_again(request, session, values, errors, institution=institution)


@router.post("/{institution_id}/departments")
async def add_department(
    request: Request, session: DbSession, principal: DepartmentsManage, institution_id: int
) -> Response:
    """Add a department from the form on the institution page."""
    values = form_values(await request.form())
    data, errors = validate(DepartmentIn, values)
    if data is not None:
        try:
            service.create_department(
                session, actor=principal, institution_id=institution_id, data=data
            )
        except AppError as error:
            errors = errors_of(error)
        else:
            return RedirectResponse(f"/console/institutions/{institution_id}", status_code=303)
    return _detail(
        request,
        session,
        principal,
        institution_id,
        status_code=422,
        dept_values=values,
        dept_errors=errors,
    )


@router.post("/{institution_id}/departments/{department_id}/toggle")
async def toggle_department(
    request: Request,
    session: DbSession,
    principal: DepartmentsManage,
    institution_id: int,
    department_id: int,
) -> Response:
    """Close an open department or reopen a closed one."""
    form = await request.form()
    service.set_department_active(
        session, actor=principal, department_id=department_id, active=form.get("active") == "1"
    )
    return RedirectResponse(f"/console/institutions/{institution_id}", status_code=303)
