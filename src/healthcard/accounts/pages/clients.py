"""Console page for institution systems (API clients)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from healthcard.accounts import service
from healthcard.accounts.permissions import CLIENTS_MANAGE, ClientsManage
from healthcard.accounts.schemas import ClientIn
from healthcard.core.errors import AppError
from healthcard.core.forms import errors_of, form_values, validate
from healthcard.core.i18n import N_
from healthcard.core.principal import Principal
from healthcard.core.session import DbSession
from healthcard.core.templating import add_nav, render
from healthcard.core.uses import USE_NAMES

router = APIRouter(prefix="/console/clients")
add_nav(N_("机构与人员"), N_("接入系统"), "/console/clients", CLIENTS_MANAGE, order=40)


def _page(
    request: Request,
    session: Session,
    principal: Principal,
    *,
    status_code: int = 200,
    **extra: Any,
) -> Response:
    institutions = service.list_all_institutions(session)
    context = {
        "clients": service.list_clients(session, actor=principal),
        "institutions": [i for i in institutions if principal.may_act_in(i.id)],
        "institution_names": {i.id: i.name for i in institutions},
        "scopes": service.grantable_scopes(),
        "use_names": USE_NAMES,
        "values": {},
        "errors": {},
        **extra,
    }
    return render(request, "accounts/clients.html", context, status_code=status_code)


@router.get("")
def clients_page(request: Request, session: DbSession, principal: ClientsManage) -> Response:
    """Registered systems, their scopes and state."""
    return _page(request, session, principal)


@router.post("")
async def create_client(request: Request, session: DbSession, principal: ClientsManage) -> Response:
    """Register a system; its secret is shown once."""
    values = form_values(await request.form(), lists=("scopes", "uses"))
    data, errors = validate(ClientIn, values)
    if data is not None:
        try:
            issued = service.create_client(
                session, settings=request.app.state.settings, actor=principal, data=data
            )
        except AppError as error:
            errors = errors_of(error)
        else:
            return _page(request, session, principal, issued=issued)
    return _page(request, session, principal, status_code=422, values=values, errors=errors)


@router.post("/{pk}/rotate")
def rotate(request: Request, session: DbSession, principal: ClientsManage, pk: int) -> Response:
    """Issue a new secret (the old one stops working)."""
    issued = service.rotate_secret(
        session, settings=request.app.state.settings, actor=principal, pk=pk
    )
    return _page(request, session, principal, issued=issued)


@router.post("/{pk}/revoke")
def revoke(request: Request, session: DbSession, principal: ClientsManage, pk: int) -> Response:
    """Revoke a system and every token it holds."""
    client = service.revoke_client(session, actor=principal, pk=pk)
    return _page(request, session, principal, flash=f"已吊销 {client.name}，其全部令牌立即失效。")
