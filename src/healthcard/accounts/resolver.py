"""Turn a request into a principal: a bearer token (institution systems) or a console cookie."""

from __future__ import annotations

from fastapi import Request
from sqlalchemy.orm import Session

from healthcard.accounts import service
from healthcard.core.errors import NotAuthenticated
from healthcard.core.http import SESSION_COOKIE
from healthcard.core.principal import Principal


def resolve_principal(request: Request, session: Session) -> Principal | None:
    """The caller of ``request``, or None when it carries no credentials at all."""
    settings = request.app.state.settings
    authorization = request.headers.get("authorization")
    if authorization:
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() == "basic":
            return None  # client credentials for /oauth/token, not a way to call the API
        if scheme.lower() != "bearer" or not token.strip():
            raise NotAuthenticated(
                "Authorization 头格式应为“Bearer <访问令牌>”。", code="malformed_authorization"
            )
        return service.principal_from_token(session, settings=settings, token=token.strip())
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        state = service.resolve_session(session, settings=settings, token=cookie)
        request.state.session_status = state.status
        if state.status == "idle":
            # The request will be refused (401) and rolled back; the end of the session and its
            # audit entry must stay, so they are committed now, before anything else happens.
            session.commit()
        return state.principal
    return None
