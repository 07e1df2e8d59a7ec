"""Plain functions that create test data through the services, as a user would."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy.orm import Session
from stdnum.cn import uscc

from healthcard.accounts import service as accounts_service
from healthcard.accounts.schemas import ClientIn, InstitutionIn, StaffIn
from healthcard.core.config import Settings
from healthcard.core.principal import Principal, system_principal
from healthcard.models import Institution

T = TypeVar("T")

PASSWORD = "Str0ng!Passw0rd"
SYSTEM = system_principal("tests")
_serial = itertools.count(1)


def make_uscc(division: str = "370602") -> str:
    body = f"12{division}{next(_serial) + 70_000_000:09d}"
    return body + uscc.calc_check_digit(body)


def create_institution(
    session: Session,
    *,
    name: str | None = None,
    kind: str = "hospital",
    division_code: str = "370602",
    hospital_level: str | None = None,
    parent_id: int | None = None,
) -> Institution:
    data = InstitutionIn(
        uscc=make_uscc(division_code),
        name=name or f"测试医院{next(_serial)}",
        kind=kind,  # type: ignore[arg-type]
        hospital_level=hospital_level,  # type: ignore[arg-type]
        division_code=division_code,
        parent_id=parent_id,
    )
    institution = accounts_service.create_institution(session, actor=SYSTEM, data=data)
    session.commit()
    return institution


def create_staff(
    session: Session,
    *,
    username: str,
    roles: list[str],
    institution: Institution | None = None,
    password: str = PASSWORD,
    display_name: str | None = None,
) -> accounts_service.StaffView:
    institution = institution or create_institution(session)
    view = accounts_service.create_staff(
        session,
        actor=SYSTEM,
        data=StaffIn(
            username=username,
            display_name=display_name or username,
            institution_id=institution.id,
            roles=roles,
            password=password,
        ),
    )
    session.commit()
    return view


def create_client(
    session: Session, settings: Settings, *, institution: Institution, scopes: list[str]
) -> accounts_service.IssuedSecret:
    issued = accounts_service.create_client(
        session,
        settings=settings,
        actor=SYSTEM,
        data=ClientIn(name=f"HIS {next(_serial)}", institution_id=institution.id, scopes=scopes),
    )
    session.commit()
    return issued


def login(client: TestClient, username: str, password: str = PASSWORD) -> Response:
    """Post the login form as a browser would (the cookie stays on the client)."""
    return client.post(
        "/login",
        data={"username": username, "password": password, "next": "/console"},
        follow_redirects=False,
    )


def bearer(
    client: TestClient, client_id: str, secret: str, scope: str | None = None
) -> dict[str, str]:
    form = {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret}
    if scope:
        form["scope"] = scope
    answer = client.post("/oauth/token", data=form)
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def principal_of(view: accounts_service.StaffView) -> Principal:
    return Principal(
        kind="staff",
        id=view.user.id,
        name=view.user.display_name,
        institution_id=view.user.institution_id,
    )


def run_async(coroutine: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run`` on a thread of its own: browser tests leave an event loop running on the
    main thread of a test process, where ``asyncio.run`` refuses to start."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()
