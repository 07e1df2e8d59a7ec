"""Fifty hospitals' systems registering one new person at the same moment give one person."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from healthcard.accounts import service as accounts_service
from healthcard.app import create_app
from healthcard.core import audit
from healthcard.core.config import Settings
from healthcard.core.db import make_engine
from healthcard.models import Person
from tests.conftest import TEST_SECRET
from tests.factories import bearer, create_client, create_institution
from tests.identity.factories import resident_id


@pytest.mark.parametrize("with_id", [True, False], ids=["with-id", "without-id"])
def test_fifty_concurrent_registrations_make_one_person(
    scratch_database_url: str, with_id: bool
) -> None:
    engine = make_engine(
        scratch_database_url,
        **(
            {}
            if scratch_database_url.startswith("sqlite")
            else {"pool_size": 20, "max_overflow": 40}
        ),
    )
    settings = Settings(
        environment="test",
        database_url=scratch_database_url,
        secret_key=TEST_SECRET,
        log_json=False,
    )
    with Session(engine) as session, session.begin():
        accounts_service.sync_permissions(session)
    with Session(engine, expire_on_commit=False) as session:
        institution = create_institution(session, name="并发测试医院")
        issued = create_client(
            session, settings, institution=institution, scopes=["residents.register"]
        )
    app = create_app(settings)
    with TestClient(app) as warm:
        headers = bearer(warm, issued.client.client_id, issued.secret)
    body = {
        "name": "欧阳娜娜",
        "sex": "2",
        "birth_date": "1990-06-01",
        "phone": "13605351234",
        "address": "山东省烟台市芝罘区解放路1号",
    }
    if with_id:
        body["id_number"] = resident_id(__import__("datetime").date(1990, 6, 1), 222)
    start = threading.Barrier(50)

    def register(n: int) -> tuple[int, int]:
        with TestClient(app) as c:
            start.wait()
            answer = c.post(
                "/api/v1/residents",
                json={**body, "identifier": {"value": f"MRN-{n}"}},
                headers=headers,
            )
            return answer.status_code, answer.json().get("person_id", -1)

    with ThreadPoolExecutor(max_workers=50) as pool:
        results = list(pool.map(register, range(50)))
    assert {status for status, _ in results} == {200}, results
    assert len({person for _, person in results}) == 1
    with Session(engine) as session:
        persons = session.execute(
            select(func.count()).select_from(Person).where(Person.status == "active")
        ).scalar_one()
        assert persons == 1
        assert audit.verify(session).ok
    engine.dispose()
