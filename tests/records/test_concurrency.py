"""Concurrent record creation: one record per resident (a clean 409 for the loser) and record
numbers that never repeat under one area, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import date

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from healthcard.accounts import service as accounts_service
from healthcard.app import create_app
from healthcard.core.config import Settings
from healthcard.core.db import make_engine
from healthcard.models import HealthRecord
from tests.conftest import TEST_SECRET
from tests.factories import create_institution, create_staff, login
from tests.identity.factories import Hospital, resident_id
from tests.records.factories import AREA

NAMES = ("赵一鸣", "钱二娃", "孙三宝", "李四海", "周五洲", "吴六顺", "郑七星", "王八方")
WORKERS = len(NAMES)


def _world(url: str) -> tuple[object, Settings, list[int]]:
    engine = make_engine(
        url, **({} if url.startswith("sqlite") else {"pool_size": 20, "max_overflow": 20})
    )
    settings = Settings(
        environment="test", database_url=url, secret_key=TEST_SECRET, log_json=False
    )
    with Session(engine) as session, session.begin():
        accounts_service.sync_permissions(session)
    app = create_app(settings)
    with Session(engine, expire_on_commit=False) as session, TestClient(app) as c:
        centre = create_institution(session, name="并发建档中心", kind="community_health_centre")
        create_staff(session, username="racer", roles=["public_health_worker"], institution=centre)
        hospital = Hospital(c, session, settings, "并发医院")
        persons = []
        for n, name in enumerate(NAMES):
            born = date(1950 + 3 * n, 1 + n, 2 + 2 * n)
            answer = hospital.register(f"C-{n}", name=name, id_number=resident_id(born, 101 + n))
            assert answer.status_code == 200, answer.text
            persons.append(int(answer.json()["person_id"]))
    return engine, settings, persons


def _race(app: object, bodies: list[dict[str, object]]) -> list[tuple[int, dict[str, object]]]:
    start = threading.Barrier(len(bodies))

    def create(body: dict[str, object]) -> tuple[int, dict[str, object]]:
        with TestClient(app) as c:  # type: ignore[arg-type]
            assert login(c, "racer").status_code in (302, 303)
            start.wait()
            answer = c.post("/api/v1/records", json=body, headers={"Accept": "application/json"})
            return answer.status_code, answer.json()

    with ThreadPoolExecutor(max_workers=len(bodies)) as pool:
        return list(pool.map(create, bodies))


def test_concurrent_creation_for_one_resident_gives_one_record(scratch_database_url: str) -> None:
    engine, settings, persons = _world(scratch_database_url)
    app = create_app(settings)
    results = _race(app, [{"person_id": persons[0], "area_code": AREA}] * WORKERS)
    statuses = sorted(status for status, _ in results)
    assert statuses == [201] + [409] * (WORKERS - 1), results
    assert {body["code"] for status, body in results if status == 409} == {"record_exists"}
    with Session(engine) as session:  # type: ignore[arg-type]
        count = session.execute(
            select(func.count()).where(HealthRecord.person_id == persons[0])
        ).scalar_one()
    assert count == 1


def test_concurrent_creation_numbers_never_repeat(scratch_database_url: str) -> None:
    _, settings, persons = _world(scratch_database_url)
    app = create_app(settings)
    results = _race(app, [{"person_id": p, "area_code": AREA} for p in persons])
    assert {status for status, _ in results} == {201}, results
    numbers = sorted(str(body["record_number"]) for _, body in results)
    assert numbers == [f"{AREA}{n:05d}" for n in range(1, WORKERS + 1)]
