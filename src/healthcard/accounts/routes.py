"""JSON API of the accounts domain, and the OAuth2 token endpoint."""

from __future__ import annotations

import base64
import binascii
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import JSONResponse

from healthcard.accounts import service
from healthcard.accounts.exceptions import InvalidClient, UnsupportedGrantType
from healthcard.accounts.permissions import (
    DepartmentsManage,
    InstitutionsManage,
    InstitutionsRead,
)
from healthcard.accounts.schemas import (
    DepartmentIn,
    DepartmentOut,
    InstitutionIn,
    InstitutionOut,
    InstitutionPatch,
    MeOut,
)
from healthcard.core.auth import Authenticated, Public
from healthcard.core.errors import AppError
from healthcard.core.schemas import Page
from healthcard.core.session import DbSession

router = APIRouter(tags=["accounts"])


@router.post("/oauth/token", tags=["oauth"])
def token(
    request: Request,
    session: DbSession,
    _: Public,
    grant_type: Annotated[str, Form()],
    client_id: Annotated[str | None, Form(max_length=200)] = None,
    client_secret: Annotated[str | None, Form(max_length=200)] = None,
    scope: Annotated[str | None, Form(max_length=2000)] = None,
) -> JSONResponse:
    """OAuth2 client-credentials grant (RFC 6749 §4.4): credentials in HTTP Basic or the form."""
    try:
        if grant_type != "client_credentials":
            raise UnsupportedGrantType()
        basic = _basic_credentials(request.headers.get("authorization"))
        cid, secret = basic or (client_id, client_secret)
        if not cid or not secret:
            raise InvalidClient("缺少 client_id 或 client_secret。")
        issued = service.issue_token(
            session,
            settings=request.app.state.settings,
            client_id=cid,
            client_secret=secret,
            scope=scope,
        )
    except AppError as error:
        # RFC 6749 §5.2 error shape, which OAuth client libraries understand; the failure is
        # still audited, so the transaction is committed (we return instead of raising).
        headers = {"Cache-Control": "no-store"}
        if error.status_code == 401:
            headers["WWW-Authenticate"] = 'Basic realm="healthcard"'
        return JSONResponse(
            {"error": error.code, "error_description": error.message},
            status_code=error.status_code,
            headers=headers,
        )
    return JSONResponse(
        {
            "access_token": issued.token,
            "token_type": "Bearer",
            "expires_in": issued.expires_in,
            "scope": " ".join(issued.scopes),
        },
        headers={"Cache-Control": "no-store", "Pragma": "no-cache"},
    )


def _basic_credentials(header: str | None) -> tuple[str, str] | None:
    if not header or not header.lower().startswith("basic "):
        return None
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise InvalidClient("HTTP Basic 认证头无法解码。") from exc
    cid, sep, secret = decoded.partition(":")
    if not sep:
        raise InvalidClient("HTTP Basic 认证头应为 client_id:client_secret。")
    return cid, secret


@router.get("/api/v1/me", response_model=MeOut)
def me(principal: Authenticated) -> MeOut:
    """Who the caller is and what it may do."""
    return MeOut(
        kind=principal.kind,
        id=principal.id,
        name=principal.name,
        institution_id=principal.institution_id,
        roles=sorted(principal.roles),
        permissions=sorted(principal.permissions),
    )


@router.get("/api/v1/institutions", response_model=Page[InstitutionOut])
def list_institutions(
    session: DbSession,
    principal: InstitutionsRead,
    q: Annotated[str | None, Query(max_length=100)] = None,
    kind: Annotated[str | None, Query(max_length=40)] = None,
    division: Annotated[str | None, Query(pattern=r"^\d{2,6}$")] = None,
    offset: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> Page[InstitutionOut]:
    """Institutions by name or credit code, kind and division prefix."""
    rows, total = service.search_institutions(
        session,
        actor=principal,
        text=q,
        kind=kind,
        division_prefix=division,
        offset=offset,
        limit=limit,
    )
    items = [InstitutionOut.model_validate(r) for r in rows]
    return Page(items=items, total=total, offset=offset, limit=limit)


@router.post("/api/v1/institutions", response_model=InstitutionOut, status_code=201)
def create_institution(
    session: DbSession, principal: InstitutionsManage, data: InstitutionIn
) -> InstitutionOut:
    """Register an institution."""
    return InstitutionOut.model_validate(
        service.create_institution(session, actor=principal, data=data)
    )


@router.get("/api/v1/institutions/{institution_id}", response_model=InstitutionOut)
def get_institution(
    session: DbSession, principal: InstitutionsRead, institution_id: int
) -> InstitutionOut:
    """One institution."""
    return InstitutionOut.model_validate(
        service.get_institution(session, actor=principal, institution_id=institution_id)
    )


@router.patch("/api/v1/institutions/{institution_id}", response_model=InstitutionOut)
def update_institution(
    session: DbSession, principal: InstitutionsManage, institution_id: int, data: InstitutionPatch
) -> InstitutionOut:
    """Change some fields of an institution."""
    return InstitutionOut.model_validate(
        service.update_institution(
            session, actor=principal, institution_id=institution_id, data=data
        )
    )


@router.get("/api/v1/institutions/{institution_id}/departments", response_model=list[DepartmentOut])
def list_departments(
    session: DbSession, principal: InstitutionsRead, institution_id: int
) -> list[DepartmentOut]:
    """The departments of an institution."""
    rows = service.list_departments(session, actor=principal, institution_id=institution_id)
    return [DepartmentOut.model_validate(r) for r in rows]


@router.post(
    "/api/v1/institutions/{institution_id}/departments",
    response_model=DepartmentOut,
    status_code=201,
)
def create_department(
    session: DbSession, principal: DepartmentsManage, institution_id: int, data: DepartmentIn
) -> DepartmentOut:
    """Add a department to an institution."""
    return DepartmentOut.model_validate(
        service.create_department(
            session, actor=principal, institution_id=institution_id, data=data
        )
    )
