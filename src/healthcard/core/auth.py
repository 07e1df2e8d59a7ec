"""Who is calling: the :class:`Principal`, and the dependencies that demand a permission.

Core does not know where principals come from (staff sessions, API tokens, resident logins live in
domains); the application registers a resolver at start-up (:func:`set_resolver`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from healthcard.core.errors import NotAuthenticated, PermissionDenied
from healthcard.core.principal import Principal
from healthcard.core.session import DbSession

Resolver = Callable[[Request, Session], Principal | None]
_resolver: Resolver | None = None


def set_resolver(resolver: Resolver) -> None:
    """Install the function that turns a request into a principal (done once by create_app)."""
    global _resolver
    _resolver = resolver


def optional_principal(request: Request, session: DbSession) -> Principal | None:
    """The caller, or None when the request carries no valid credentials."""
    cached: Principal | None = getattr(request.state, "principal", None)
    if cached is not None:
        return cached
    if _resolver is None:
        raise RuntimeError("no principal resolver installed; call create_app()")
    principal = _resolver(request, session)
    request.state.principal = principal
    return principal


class PermissionCheck:
    """A dependency demanding one permission. Route tests look for these on every route."""

    def __init__(self, permission: str | None) -> None:
        self.permission = permission

    def __call__(
        self,
        principal: Annotated[Principal | None, Depends(optional_principal)],
    ) -> Principal:
        if principal is None:
            raise NotAuthenticated()
        if self.permission is not None and not principal.has(self.permission):
            error = PermissionDenied()
            error.pending_audit.append(
                {
                    "actor": principal,
                    "action": "access.denied",
                    "resource_type": "permission",
                    "resource_id": self.permission,
                    "outcome": "denied",
                }
            )
            raise error
        return principal


class PublicAccess:
    """A dependency that marks a route as deliberately open to anyone (login page, health)."""

    def __call__(
        self, principal: Annotated[Principal | None, Depends(optional_principal)]
    ) -> Principal | None:
        return principal


Authenticated = Annotated[Principal, Depends(PermissionCheck(None))]
Public = Annotated[Principal | None, Depends(PublicAccess())]
