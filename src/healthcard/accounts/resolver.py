"""Turn a request into a principal: a bearer token (institution systems) or a console cookie."""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import Request
from sqlalchemy.orm import Session

from healthcard.accounts import service
from healthcard.core.errors import AppError, NotAuthenticated
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


def resolve_principals(
    requests: Sequence[Request], session: Session
) -> list[Principal | AppError | None]:
    """:func:`resolve_principal` for several requests at once (a batch sharing a transaction):
    their bearer tokens are looked up in one statement; each answer is the principal, None, or
    the refusal that request would have raised."""
    tokens: dict[int, str] = {}
    for index, request in enumerate(requests):
        scheme, _, token = (request.headers.get("authorization") or "").partition(" ")
        if scheme.lower() == "bearer" and token.strip():
            tokens[index] = token.strip()
    settings = requests[0].app.state.settings if requests else None
    found = (
        service.principals_from_tokens(session, settings=settings, tokens=list(tokens.values()))
        if tokens and settings is not None
        else {}
    )
    answers: list[Principal | AppError | None] = []
    for index, request in enumerate(requests):
        if index in tokens:
            answers.append(found[tokens[index]])
            continue
        try:
            answers.append(resolve_principal(request, session))
        except AppError as error:
            answers.append(error)
    return answers
