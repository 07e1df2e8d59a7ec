"""Console pages for staff accounts."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from healthcard.accounts import service
from healthcard.accounts.permissions import STAFF_MANAGE, STAFF_READ, StaffManage, StaffRead
from healthcard.accounts.schemas import StaffIn, StaffPatch
from healthcard.core.errors import AppError
from healthcard.core.forms import FormErrors, errors_of, form_values, validate
from healthcard.core.i18n import N_
from healthcard.core.principal import Principal
from healthcard.core.session import DbSession
from healthcard.core.templating import add_nav, render

router = APIRouter(prefix="/console/staff")
add_nav(N_("机构与人员"), N_("人员"), "/console/staff", STAFF_READ, order=20)

PAGE_SIZE = 25


def _choices(session: Session, principal: Principal) -> dict[str, Any]:
    institutions = [i for i in service.list_all_institutions(session) if principal.may_act_in(i.id)]
    departments = {
        i.id: service.list_departments(session, actor=principal, institution_id=i.id)
        for i in institutions
    }
    roles = [
        role
        for role, _ in service.list_roles(session)
        if principal.platform_wide or not role.platform_wide
    ]
    return {"institutions": institutions, "departments": departments, "roles": roles}


@router.get("")
def list_page(
    request: Request,
    session: DbSession,
    principal: StaffRead,
    q: Annotated[str | None, Query(max_length=100)] = None,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> Response:
    """Staff accounts; administrators of an institution see only their own staff."""
    rows, total = service.search_staff(
        session, actor=principal, text=q, offset=offset, limit=PAGE_SIZE
    )
    institutions = {i.id: i.name for i in service.list_all_institutions(session)}
    context = {
        "rows": rows,
        "total": total,
        "offset": offset,
        "limit": PAGE_SIZE,
        "q": q or "",
        "institution_names": institutions,
        "can_manage": principal.has(STAFF_MANAGE),
    }
    template = (
        "accounts/_staff_rows.html" if request.headers.get("hx-request") else "accounts/staff.html"
    )
    return render(request, template, context)


@router.get("/new")
def new_page(request: Request, session: DbSession, principal: StaffManage) -> Response:
    """The form for opening a staff account."""
    values: dict[str, object] = {"institution_id": principal.institution_id, "roles": []}
    return render(
        request,
        "accounts/staff_form.html",
        {**_choices(session, principal), "values": values, "errors": {}},
    )


@router.post("/new")
async def create(request: Request, session: DbSession, principal: StaffManage) -> Response:
    """Open a staff account from the form."""
    values = form_values(await request.form(), lists=("roles",))
    data, errors = validate(StaffIn, values)
    if data is not None:
        try:
            view = service.create_staff(session, actor=principal, data=data)
        except AppError as error:
            errors = errors_of(error)
        else:
            return RedirectResponse(f"/console/staff/{view.user.id}?created=1", status_code=303)
    return _form_again(request, session, principal, values, errors)


def _form_again(
    request: Request,
    session: Session,
    principal: Principal,
    values: dict[str, Any],
    errors: FormErrors,
) -> Response:
    values.pop("password", None)  # never echo a password back into the page
    return render(
        request,
        "accounts/staff_form.html",
        {**_choices(session, principal), "values": values, "errors": errors},
        status_code=422,
    )


@router.get("/{user_id}")
def detail(
    request: Request, session: DbSession, principal: StaffRead, user_id: int, created: int = 0
) -> Response:
    """One staff account, with the actions an administrator can take."""
    return _detail(request, session, principal, user_id, flash="账户已开通。" if created else None)


def _detail(
    request: Request,
    session: Session,
    principal: Principal,
    user_id: int,
    *,
    status_code: int = 200,
    **extra: Any,
) -> Response:
    view = service.get_staff(session, actor=principal, user_id=user_id)
    user = view.user
    values = {
        "display_name": user.display_name,
        "department_id": user.department_id,
        "phone": user.phone,
        "email": user.email,
        "roles": view.roles,
    }
    context = {
        **_choices(session, principal),
        "view": view,
        "values": extra.pop("values", values),
        "errors": extra.pop("errors", {}),
        "can_manage": principal.has(STAFF_MANAGE),
        **extra,
    }
    return render(request, "accounts/staff_detail.html", context, status_code=status_code)


@router.post("/{user_id}")
async def update(
    request: Request, session: DbSession, principal: StaffManage, user_id: int
) -> Response:
    """Save changes to a staff account."""
    values = form_values(await request.form(), lists=("roles",))
    patch = {k: values.get(k) for k in ("display_name", "department_id", "phone", "email", "roles")}
    data, errors = validate(StaffPatch, {k: v for k, v in patch.items() if v is not None})
    if data is not None:
        for optional in ("department_id", "phone", "email"):
            if patch.get(optional) is None:
                setattr(data, optional, None)
        try:
            service.update_staff(session, actor=principal, user_id=user_id, data=data)
        except AppError as error:
            errors = errors_of(error)
        else:
            return _detail(request, session, principal, user_id, flash="已保存。")
    return _detail(
        request, session, principal, user_id, status_code=422, values=values, errors=errors
    )


@router.post("/{user_id}/active")
async def set_active(
    request: Request, session: DbSession, principal: StaffManage, user_id: int
) -> Response:
    """Deactivate an account (ends its sessions) or activate it again."""
    form = await request.form()
    try:
        service.update_staff(
            session,
            actor=principal,
            user_id=user_id,
            data=StaffPatch(active=form.get("active") == "1"),
        )
    except AppError as error:
        return _detail(
            request,
            session,
            principal,
            user_id,
            status_code=error.status_code,
            flash=error.message,
            flash_kind="error",
        )
    return _detail(request, session, principal, user_id, flash="账户状态已更新。")


@router.post("/{user_id}/password")
async def reset_password(
    request: Request, session: DbSession, principal: StaffManage, user_id: int
) -> Response:
    """Set a new password for someone who forgot theirs."""
    form = await request.form()
    password = str(form.get("new_password") or "")
    try:
        service.reset_password(session, actor=principal, user_id=user_id, new_password=password)
    except AppError as error:
        return _detail(
            request, session, principal, user_id, status_code=422, password_error=error.message
        )
    return _detail(
        request, session, principal, user_id, flash="密码已重置，该账户的登录会话已全部结束。"
    )


@router.post("/{user_id}/unlock")
def unlock(request: Request, session: DbSession, principal: StaffManage, user_id: int) -> Response:
    """Lift a lockout after failed logins."""
    service.unlock(session, actor=principal, user_id=user_id)
    return _detail(request, session, principal, user_id, flash="账户已解锁。")


@router.post("/{user_id}/reset-totp")
def reset_totp(
    request: Request, session: DbSession, principal: StaffManage, user_id: int
) -> Response:
    """Remove a lost second factor."""
    service.reset_totp(session, actor=principal, user_id=user_id)
    return _detail(
        request, session, principal, user_id, flash="已清除双因素认证，下次登录时重新绑定。"
    )
