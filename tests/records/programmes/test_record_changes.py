"""What happens to a record reaches its programmes: a migration or a new team moves the open
tasks, a termination ends the enrolments, and the coverage page counts enrolment and completion."""

from __future__ import annotations

from datetime import timedelta

from healthcard.records.programmes.service.common import today
from tests.records.factories import Region
from tests.records.programmes.helpers import Residents, enrol, years_ago


def _ids(answer: object) -> set[int]:
    return {item["person_id"] for item in answer.json()["items"]}  # type: ignore[attr-defined]


def _overdue_hypertension(region: Region, residents: Residents) -> tuple[int, dict[str, object]]:
    person_id = residents.with_record(born=years_ago(66))
    month_ago = str(today() - timedelta(days=30))
    assert enrol(region.ph, person_id, "hypertension", enrolled_on=month_ago).status_code == 201
    record = region.ph.get(f"/api/v1/records/by-person/{person_id}").json()
    assert _ids(region.ph.get("/api/v1/programmes/tasks")) == {person_id}
    return person_id, record


def test_a_confirmed_migration_moves_the_tasks(region: Region, residents: Residents) -> None:
    person_id, record = _overdue_hypertension(region, residents)
    asked = region.ph2.post(
        "/api/v1/migrations",
        {
            "record_number": record["record_number"],
            "reason": "居民迁居",
            "consent_by": "本人",
            "consent_on": today().isoformat(),
        },
    )
    assert asked.status_code == 201, asked.text
    done = region.ph.post(f"/api/v1/migrations/{asked.json()['id']}/confirm", {})
    assert done.json()["status"] == "completed"
    assert _ids(region.ph.get("/api/v1/programmes/tasks")) == set()
    assert _ids(region.ph2.get("/api/v1/programmes/tasks")) == {person_id}


def test_assigning_a_team_moves_the_tasks_to_it(region: Region, residents: Residents) -> None:
    person_id, record = _overdue_hypertension(region, residents)
    team = region.ph.post("/api/v1/teams", {"name": "向阳第二家庭医生团队"}).json()
    assigned = region.ph.put(f"/api/v1/records/{record['id']}/assignment", {"team_id": team["id"]})
    assert assigned.status_code == 200, assigned.text
    tasks = region.ph.get("/api/v1/programmes/tasks", team_id=team["id"])
    assert _ids(tasks) == {person_id}
    assert tasks.json()["items"][0]["team_id"] == team["id"]


def test_termination_ends_the_enrolments(region: Region, residents: Residents) -> None:
    person_id, record = _overdue_hypertension(region, residents)
    ended = region.ph.post(
        f"/api/v1/records/{record['id']}/termination",
        {"reason": "death", "on": today().isoformat()},
    )
    assert ended.status_code == 200, ended.text
    assert _ids(region.ph.get("/api/v1/programmes/tasks")) == set()
    enrolments = region.ph.get("/api/v1/programmes/enrolments", person_id=person_id).json()
    items = enrolments["items"] if isinstance(enrolments, dict) else enrolments
    assert [e["status"] for e in items] == ["ended"]


def test_coverage_counts_enrolment_and_follow_up_completion(
    region: Region, residents: Residents
) -> None:
    _overdue_hypertension(region, residents)
    found = region.ph.get(f"/api/v1/records-coverage/{region.xysq.id}")
    assert found.status_code == 200, found.text
    rows = {p["programme"]: p for p in found.json()["programmes"]}
    assert rows["hypertension"]["enrolled"] == 1
    # The first visit fell due 16 days ago and is not done: owed, not completed.
    assert (rows["hypertension"]["followups_owed"], rows["hypertension"]["followups_done"]) == (
        1,
        0,
    )
    assert rows["hypertension"]["completion_percent"] == 0.0
    assert rows["diabetes"]["completion_percent"] is None
