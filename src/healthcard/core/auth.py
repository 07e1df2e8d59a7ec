"""Who is calling: the :class:`Principal`, and the dependencies that demand a permission.

Core does not know where principals come from (staff sessions, API tokens, resident logins live in
domains); the application registers a resolver at start-up (:func:`set_resolver`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from healthcard.core import audit
from healthcard.core.context import client_address_var, request_id_var
from healthcard.core.errors import AppError, NotAuthenticated, PermissionDenied
from healthcard.core.principal import Principal
from healthcard.core.session import DbSession

Resolver = Callable[[Request, Session], Principal | None]
# Several requests at once, in one transaction: each one's principal, None, or the refusal.
BulkResolver = Callable[[Sequence[Request], Session], list[Principal | AppError | None]]
_resolver: Resolver | None = None
_bulk_resolver: BulkResolver | None = None


def set_resolver(resolver: Resolver, bulk: BulkResolver | None = None) -> None:
    """Install the functions that turn requests into principals (done once by create_app)."""
    global _resolver, _bulk_resolver
    _resolver, _bulk_resolver = resolver, bulk


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


@dataclass(frozen=True)
class Caller:
    """A request whose caller is resolved and checked later, by :func:`authorise_many`."""

    request: Request
    permission: str
    request_id: str | None = None  # the request's context, for audit entries written elsewhere
    client_address: str | None = None


class DeferredPermissionCheck:
    """A dependency demanding one permission, checked in the handler's own transaction.

    For batched endpoints (:mod:`healthcard.core.batching`): the requests of a batch share one
    transaction, and their callers are resolved there together, in one statement, instead of
    each request opening a session of its own first. The handler must call
    :func:`authorise_many` before doing anything for the caller.
    """

    def __init__(self, permission: str) -> None:
        self.permission = permission

    async def __call__(self, request: Request) -> Caller:
        # async: runs on the event loop, in the request's context (no thread hop, no session)
        return Caller(request, self.permission, request_id_var.get(), client_address_var.get())


def authorise_many(session: Session, callers: Sequence[Caller]) -> list[Principal | AppError]:
    """Each caller's principal if it has its permission, else the refusal to answer
    (401 without valid credentials; 403, audited, without the permission)."""
    if _resolver is None:
        raise RuntimeError("no principal resolver installed; call create_app()")
    requests = [caller.request for caller in callers]
    if _bulk_resolver is not None:
        resolved = _bulk_resolver(requests, session)
    else:
        resolved = []
        for request in requests:
            try:
                resolved.append(_resolver(request, session))
            except AppError as error:
                resolved.append(error)
    answers: list[Principal | AppError] = []
    for caller, principal in zip(callers, resolved, strict=True):
        if isinstance(principal, AppError):
            answers.append(principal)
        elif principal is None:
            answers.append(NotAuthenticated())
        elif not principal.has(caller.permission):
            audit.record(
                session,
                actor=principal,
                action="access.denied",
                resource_type="permission",
                resource_id=caller.permission,
                outcome="denied",
                request_id=caller.request_id,
                client_address=caller.client_address,
            )
            answers.append(PermissionDenied())
        else:
            caller.request.state.principal = principal
            answers.append(principal)
    return answers


class PublicAccess:
    """A dependency that marks a route as deliberately open to anyone (login page, health)."""

    def __call__(
        self, principal: Annotated[Principal | None, Depends(optional_principal)]
    ) -> Principal | None:
        return principal


Authenticated = Annotated[Principal, Depends(PermissionCheck(None))]
Public = Annotated[Principal | None, Depends(PublicAccess())]
