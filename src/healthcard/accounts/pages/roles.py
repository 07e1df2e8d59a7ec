"""Console page for roles and the permissions each grants."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from healthcard.accounts import service
from healthcard.accounts.permissions import ROLES_MANAGE, RolesManage
from healthcard.accounts.schemas import RoleIn
from healthcard.core.errors import AppError
from healthcard.core.forms import errors_of, form_values, validate
from healthcard.core.i18n import N_
from healthcard.core.session import DbSession
from healthcard.core.templating import add_nav, render

router = APIRouter(prefix="/console/roles")
add_nav(N_("机构与人员"), N_("角色与权限"), "/console/roles", ROLES_MANAGE, order=30)


def _page(request: Request, session: Session, *, status_code: int = 200, **extra: Any) -> Response:
    context = {
        "roles": service.list_roles(session),
        "permissions": service.list_permissions(session),
        "values": {},
        "errors": {},
        **extra,
    }
    return render(request, "accounts/roles.html", context, status_code=status_code)


@router.get("")
def roles_page(request: Request, session: DbSession, _: RolesManage) -> Response:
    """Every role and its permissions, editable."""
    return _page(request, session)


@router.post("")
async def create_role(request: Request, session: DbSession, principal: RolesManage) -> Response:
    """Define a new role."""
    values = form_values(await request.form(), lists=("permissions",))
    values["platform_wide"] = values.get("platform_wide") == "1"
    data, errors = validate(RoleIn, values)
    if data is not None:
        try:
            service.create_role(session, actor=principal, data=data)
        except AppError as error:
            errors = errors_of(error)
        else:
            return _page(request, session, flash=f"角色 {data.code} 已创建。")
    return _page(request, session, status_code=422, values=values, errors=errors)


@router.post("/{code}/permissions")
async def set_permissions(
    request: Request, session: DbSession, principal: RolesManage, code: str
) -> Response:
    """Replace the permissions of a role."""
    form = await request.form()
    codes = [str(v) for v in form.getlist("permissions")]
    try:
        service.set_role_permissions(session, actor=principal, role_code=code, permissions=codes)
    except AppError as error:
        return _page(
            request, session, status_code=error.status_code, flash=error.message, flash_kind="error"
        )
    return _page(request, session, flash=f"角色 {code} 的权限已保存。")


@router.post("/{code}/delete")
def delete_role(
    request: Request, session: DbSession, principal: RolesManage, code: str
) -> Response:
    """Remove a custom role that nobody holds."""
    try:
        service.delete_role(session, actor=principal, role_code=code)
    except AppError as error:
        return _page(
            request, session, status_code=error.status_code, flash=error.message, flash_kind="error"
        )
    return _page(request, session, flash=f"角色 {code} 已删除。")
