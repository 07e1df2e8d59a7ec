"""Task lists (档案任务): overdue and due visits by window, team and programme with counts; a
village doctor sees only their own residents; moving a record moves its tasks."""

from __future__ import annotations

from datetime import timedelta

from fastapi import FastAPI
from sqlalchemy.orm import Session

from healthcard.records.programmes import service
from healthcard.records.programmes.service.common import today
from tests.records.factories import Region
from tests.records.programmes.helpers import Residents, enrol, years_ago


def _ids(answer: object) -> set[int]:
    return {item["person_id"] for item in answer.json()["items"]}  # type: ignore[attr-defined]


def test_task_lists_by_window_team_and_village_doctor(
    app: FastAPI, session: Session, region: Region, residents: Residents
) -> None:
    team = region.ph.post("/api/v1/teams", {"name": "向阳第一家庭医生团队"}).json()
    doc = region.user(app, session, "cundoc", "village_doctor", region.xysq)
    a = residents.with_record(born=years_ago(60), team_id=team["id"], responsible_staff_id=doc.id)
    b = residents.with_record(born=years_ago(61))
    c = residents.with_record(born=years_ago(62), team_id=team["id"], responsible_staff_id=doc.id)
    month_ago = str(today() - timedelta(days=30))
    for person_id in (a, b):
        assert enrol(region.ph, person_id, "hypertension", enrolled_on=month_ago).status_code == 201
    assert enrol(region.ph, c, "diabetes").status_code == 201  # due in 14 days

    overdue = region.ph.get("/api/v1/programmes/tasks", window="overdue")
    assert overdue.status_code == 200
    assert _ids(overdue) == {a, b}
    first = overdue.json()["items"][0]
    assert first["days_overdue"] == 16
    assert first["name"]
    assert first["programme"] == "hypertension"
    counts = overdue.json()["counts"]
    assert counts["overdue"] == 2
    assert counts["by_programme"]["hypertension"]["overdue"] == 2
    teams = {t["name"]: t["overdue"] for t in counts["by_team"]}
    assert teams == {"向阳第一家庭医生团队": 1, "未分配团队": 1}

    assert _ids(region.ph.get("/api/v1/programmes/tasks", window="month")) == {a, b, c}
    assert _ids(region.ph.get("/api/v1/programmes/tasks", window="all", team_id=team["id"])) == {
        a,
        c,
    }
    assert _ids(region.ph.get("/api/v1/programmes/tasks", window="all", programme="diabetes")) == {
        c
    }
    monday = today() - timedelta(days=today().weekday())
    week = region.ph.get("/api/v1/programmes/tasks", window="week").json()["items"]
    assert all(
        monday
        <= __import__("datetime").date.fromisoformat(i["due_date"])
        <= monday + timedelta(days=6)
        for i in week
    )

    # The village doctor sees only the residents they are responsible for.
    assert _ids(doc.get("/api/v1/programmes/tasks", window="all")) == {a, c}
    assert doc.get("/api/v1/programmes/tasks", window="all").json()["counts"]["overdue"] == 1
    # Another institution sees none of them.
    assert _ids(region.ph2.get("/api/v1/programmes/tasks", window="all")) == set()
    assert region.ph.get("/api/v1/programmes/tasks", window="soon").status_code == 422


def test_moving_a_record_moves_its_open_tasks(
    session: Session, region: Region, residents: Residents
) -> None:
    person_id = residents.with_record(born=years_ago(60))
    record = region.ph.get(f"/api/v1/records/by-person/{person_id}").json()
    enrol(region.ph, person_id, "hypertension", enrolled_on=str(today() - timedelta(days=30)))
    assert _ids(region.ph.get("/api/v1/programmes/tasks")) == {person_id}

    moved = service.reassign_record(
        session,
        record_id=record["id"],
        institution_id=region.zbsq.id,
        team_id=None,
        responsible_staff_id=None,
    )
    session.commit()
    assert moved == 2  # the enrolment and its due visit
    assert _ids(region.ph.get("/api/v1/programmes/tasks")) == set()
    assert _ids(region.ph2.get("/api/v1/programmes/tasks")) == {person_id}
