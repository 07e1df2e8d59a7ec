"""Races between real transactions: the audit chain never forks, uniqueness holds, no 500s."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from healthcard.accounts import service as accounts_service
from healthcard.app import create_app
from healthcard.core import audit
from healthcard.core.config import Settings
from healthcard.core.db import make_engine
from healthcard.core.principal import system_principal
from healthcard.models import StaffUser
from tests.conftest import TEST_SECRET
from tests.factories import PASSWORD, create_institution, create_staff, login


def test_concurrent_audit_writers_keep_one_chain(scratch_database_url: str) -> None:
    engine = (
        make_engine(scratch_database_url, pool_size=8, max_overflow=0)
        if not scratch_database_url.startswith("sqlite")
        else make_engine(scratch_database_url)
    )
    actor = system_principal("race")
    start = threading.Barrier(8)

    def writer(n: int) -> None:
        start.wait()
        for i in range(10):
            with Session(engine) as session, session.begin():
                audit.record(
                    session,
                    actor=actor,
                    action="race.write",
                    resource_type="T",
                    resource_id=f"{n}-{i}",
                )

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(writer, range(8)))
    with Session(engine) as session:
        result = audit.verify(session)
        assert result.ok, result.problems
        assert result.checked == 80
    engine.dispose()


def test_racing_registrations_of_one_username(scratch_database_url: str) -> None:
    engine = make_engine(scratch_database_url)
    with Session(engine) as session, session.begin():
        accounts_service.sync_permissions(session)
    with Session(engine) as session:
        institution = create_institution(session)
        create_staff(
            session, username="racer_admin", roles=["system_admin"], institution=institution
        )
        institution_id = institution.id
    settings = Settings(
        environment="test",
        database_url=scratch_database_url,
        secret_key=TEST_SECRET,
        log_json=False,
    )
    app = create_app(settings)
    start = threading.Barrier(6)

    def register(_: int) -> int:
        with TestClient(app) as browser:
            login(browser, "racer_admin")
            start.wait()
            answer = browser.post(
                "/console/staff/new",
                data={
                    "username": "same_name",
                    "display_name": "同名",
                    "institution_id": institution_id,
                    "roles": "doctor",
                    "password": PASSWORD,
                },
                follow_redirects=False,
            )
            return answer.status_code

    with ThreadPoolExecutor(max_workers=6) as pool:
        statuses = list(pool.map(register, range(6)))
    assert statuses.count(303) == 1, statuses
    assert set(statuses) <= {303, 409, 422}, statuses  # never a 500
    with Session(engine) as session:
        count = session.execute(
            select(func.count()).select_from(StaffUser).where(StaffUser.username == "same_name")
        ).scalar_one()
        assert count == 1
        assert audit.verify(session).ok
    engine.dispose()
