"""A staff member's own account: password and TOTP second factor."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from healthcard.accounts import service
from healthcard.accounts.exceptions import InvalidCredentials, InvalidTotp, WeakPassword
from healthcard.accounts.permissions import AccountSelf
from healthcard.core.principal import Principal
from healthcard.core.session import DbSession
from healthcard.core.templating import render

router = APIRouter(prefix="/console/account")


def _page(
    request: Request,
    session: Session,
    principal: Principal,
    *,
    status_code: int = 200,
    **extra: object,
) -> Response:
    user = service.staff_user(session, principal.id)
    return render(
        request, "accounts/account.html", {"user": user, **extra}, status_code=status_code
    )


@router.get("")
def account(request: Request, session: DbSession, principal: AccountSelf) -> Response:
    """The profile page."""
    return _page(request, session, principal)


@router.post("/password")
def change_password(
    request: Request,
    session: DbSession,
    principal: AccountSelf,
    current_password: Annotated[str, Form(max_length=200)] = "",
    new_password: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Change one's own password."""
    try:
        service.change_own_password(
            session, actor=principal, current_password=current_password, new_password=new_password
        )
    except (InvalidCredentials, WeakPassword) as error:
        message = "当前密码不正确。" if isinstance(error, InvalidCredentials) else error.message
        return _page(request, session, principal, status_code=422, password_error=message)
    return _page(request, session, principal, flash="密码已修改。")


@router.get("/totp")
def totp_enrol(
    request: Request, session: DbSession, principal: AccountSelf, required: int = 0
) -> Response:
    """Show the QR code to scan with an authenticator app."""
    settings = request.app.state.settings
    user = service.staff_user(session, principal.id)
    if user is not None and user.totp_enabled:
        return RedirectResponse("/console/account", status_code=303)
    enrolment = service.pending_enrolment(session, settings=settings, user_id=principal.id)
    if enrolment is None:
        enrolment = service.begin_totp_enrolment(session, settings=settings, user_id=principal.id)
    return render(
        request, "accounts/totp_enrol.html", {"enrolment": enrolment, "required": bool(required)}
    )


@router.post("/totp")
def totp_confirm(
    request: Request,
    session: DbSession,
    principal: AccountSelf,
    code: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """Turn the second factor on with a first code from the app."""
    settings = request.app.state.settings
    try:
        service.confirm_totp_enrolment(session, settings=settings, actor=principal, code=code)
    except InvalidTotp as error:
        enrolment = service.pending_enrolment(session, settings=settings, user_id=principal.id)
        return render(
            request,
            "accounts/totp_enrol.html",
            {"enrolment": enrolment, "error": error.message, "required": False},
            status_code=422,
        )
    return RedirectResponse("/console/account?totp=on", status_code=303)


@router.post("/totp/disable")
def totp_disable(
    request: Request,
    session: DbSession,
    principal: AccountSelf,
    code: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """Turn one's own second factor off (needs a current code)."""
    try:
        service.disable_totp(
            session, settings=request.app.state.settings, actor=principal, code=code
        )
    except InvalidTotp as error:
        return _page(request, session, principal, status_code=422, totp_error=error.message)
    return _page(request, session, principal, flash="已关闭双因素认证。")
