"""Login, second factor, logout and the language switch."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from healthcard.accounts import service
from healthcard.accounts.exceptions import AccountLocked, InvalidCredentials, InvalidTotp
from healthcard.core.auth import Public
from healthcard.core.context import client_address_var
from healthcard.core.http import LOCALE_COOKIE, SESSION_COOKIE
from healthcard.core.i18n import LOCALES, N_
from healthcard.core.session import DbSession
from healthcard.core.templating import render

router = APIRouter()


def safe_next(target: str | None) -> str:
    """Only local paths are followed after login (no open redirect)."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/console"


def set_session_cookie(request: Request, response: Response, token: str) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        httponly=True,
        samesite="lax",
        secure=request.app.state.settings.secure_cookies,
        path="/",
    )


@router.get("/")
def root(_: Public) -> RedirectResponse:
    """The console is the home page."""
    return RedirectResponse("/console", status_code=303)


@router.get("/login")
def login_page(
    request: Request, principal: Public, next: str | None = None, expired: int = 0, bye: int = 0
) -> Response:
    """The login form."""
    if principal is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    notice = None
    if expired:
        notice = N_("会话已超时（30 分钟无操作），请重新登录。")
    elif bye:
        notice = N_("您已安全退出。")
    return render(request, "accounts/login.html", {"next": next or "", "notice": notice})


@router.post("/login")
def login_submit(
    request: Request,
    session: DbSession,
    _: Public,
    username: Annotated[str, Form(max_length=100)] = "",
    password: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    """Check the credentials; on failure show why (the failure itself is committed and audited)."""
    try:
        outcome = service.login(
            session,
            settings=request.app.state.settings,
            username=username,
            password=password,
            client_address=client_address_var.get(),
            user_agent=request.headers.get("user-agent"),
        )
    except (InvalidCredentials, AccountLocked) as error:
        return render(
            request,
            "accounts/login.html",
            {"next": next, "error": error.message, "error_code": error.code, "username": username},
            status_code=error.status_code,
        )
    target = safe_next(next)
    if outcome.next_step == "totp":
        target = "/login/totp?next=" + target
    elif outcome.next_step == "enrol_totp":
        target = "/console/account/totp?required=1"
    response = RedirectResponse(target, status_code=303)
    set_session_cookie(request, response, outcome.token)
    return response


@router.get("/login/totp")
def totp_page(request: Request, _: Public, next: str | None = None) -> Response:
    """Ask for the authenticator's code after the password."""
    if SESSION_COOKIE not in request.cookies:
        return RedirectResponse("/login", status_code=303)
    return render(request, "accounts/totp.html", {"next": next or ""})


@router.post("/login/totp")
def totp_submit(
    request: Request,
    session: DbSession,
    _: Public,
    code: Annotated[str, Form(max_length=10)] = "",
    next: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    """Complete the login with a TOTP code."""
    token = request.cookies.get(SESSION_COOKIE, "")
    try:
        service.pass_second_factor(
            session, settings=request.app.state.settings, token=token, code=code
        )
    except InvalidTotp as error:
        return render(
            request, "accounts/totp.html", {"next": next, "error": error.message}, status_code=401
        )
    return RedirectResponse(safe_next(next), status_code=303)


@router.post("/logout")
def logout(request: Request, session: DbSession, _: Public) -> Response:
    """End the console session."""
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        service.logout(session, settings=request.app.state.settings, token=token)
    response = RedirectResponse("/login?bye=1", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/lang/{code}")
def switch_language(request: Request, _: Public, code: str) -> Response:
    """Switch the console language (remembered in a cookie)."""
    referer = request.headers.get("referer", "")
    host = request.headers.get("host", "")
    back = "/console"
    if referer.split("//", 1)[-1].startswith(host + "/"):
        back = safe_next("/" + referer.split("//", 1)[-1].split("/", 1)[1])
    response = RedirectResponse(back, status_code=303)
    if code in LOCALES:
        response.set_cookie(LOCALE_COOKIE, code, max_age=365 * 24 * 3600, samesite="lax", path="/")
    return response
