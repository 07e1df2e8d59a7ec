"""Record migration (档随人走): within an institution, within the region (confirm, refuse,
escalation to the bureau), across districts (both bureaus); every step with actor and time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import FastAPI
from sqlalchemy.orm import Session

from healthcard.records.service import migration
from tests.factories import create_institution
from tests.records.factories import Region, User


def consent(**extra: Any) -> dict[str, Any]:
    today = datetime.now(UTC).date().isoformat()
    return {"reason": "居民迁居", "consent_by": "本人", "consent_on": today, **extra}


def kept_record(region: Region) -> dict[str, Any]:
    answer = region.record(region.person())
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


def steps(view: dict[str, Any]) -> list[str]:
    return [s["step"] for s in view["steps"]]


def test_within_institution_moves_to_the_team_at_once(region: Region) -> None:
    record = kept_record(region)
    team = region.ph.post("/api/v1/teams", {"name": "全科一团队"}).json()
    missing = region.ph.post(
        "/api/v1/migrations", {"record_number": record["record_number"], **consent()}
    )
    assert missing.status_code == 422
    assert missing.json()["errors"][0]["field"] == "body.to_team_id"
    done = region.ph.post(
        "/api/v1/migrations",
        {"record_number": record["record_number"], "to_team_id": team["id"], **consent()},
    )
    assert done.status_code == 201, done.text
    assert done.json()["kind"] == "team"
    assert done.json()["status"] == "completed"
    assert steps(done.json()) == ["request", "complete"]
    assert region.ph.get(f"/api/v1/records/{record['id']}").json()["team_id"] == team["id"]


def test_consent_is_required_to_request(region: Region) -> None:
    record = kept_record(region)
    body = {"record_number": record["record_number"], "reason": "迁居"}
    answer = region.ph2.post("/api/v1/migrations", body)
    assert answer.status_code == 422
    fields = {e["field"] for e in answer.json()["errors"]}
    assert {"body.consent_by", "body.consent_on"} <= fields
    tomorrow = (datetime.now(UTC).date() + timedelta(days=1)).isoformat()
    later = region.ph2.post(
        "/api/v1/migrations",
        {"record_number": record["record_number"], **consent(consent_on=tomorrow)},
    )
    assert later.status_code == 422


def test_within_region_confirmed_by_the_keeping_institution(region: Region) -> None:
    record = kept_record(region)
    asked = region.ph2.post(
        "/api/v1/migrations", {"record_number": record["record_number"], **consent()}
    )
    assert asked.status_code == 201, asked.text
    view = asked.json()
    assert (view["kind"], view["status"]) == ("region", "requested")
    assert view["answer_due_at"] is not None
    url = f"/api/v1/records/{record['id']}"
    # Read-only while migrating, except for the steps.
    blocked = region.ph.put(url, {"education": "2"})
    assert blocked.status_code == 409
    assert blocked.json()["code"] == "record_read_only"
    assert region.ph.post(f"{url}/exams", {"exam_date": "2026-01-01"}).status_code == 409
    second = region.ph3.post(
        "/api/v1/migrations", {"record_number": record["record_number"], **consent()}
    )
    assert second.status_code == 409
    inbox = region.ph.get("/api/v1/migrations").json()
    assert [m["id"] for m in inbox["to_answer"]] == [view["id"]]
    assert region.ph2.post(f"/api/v1/migrations/{view['id']}/confirm", {}).status_code == 404
    done = region.ph.post(f"/api/v1/migrations/{view['id']}/confirm", {"note": "同意"})
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "completed"
    assert steps(done.json()) == ["request", "confirm", "complete"]
    assert all(s["actor_name"] and s["occurred_at"] for s in done.json()["steps"])
    moved = region.ph2.get(url).json()
    assert moved["institution_id"] == region.zbsq.id
    assert moved["record_number"] == record["record_number"]
    assert moved["status"] == "active"
    assert region.ph.get(url).status_code == 404


def test_refusal_needs_a_reason_and_keeps_the_record(region: Region) -> None:
    record = kept_record(region)
    view = region.ph2.post(
        "/api/v1/migrations", {"record_number": record["record_number"], **consent()}
    ).json()
    url = f"/api/v1/migrations/{view['id']}/refuse"
    assert region.ph.post(url, {}).status_code == 422
    refused = region.ph.post(url, {"note": "居民仍在本辖区居住"})
    assert refused.status_code == 200
    assert refused.json()["status"] == "refused"
    assert refused.json()["steps"][-1]["note"] == "居民仍在本辖区居住"
    kept = region.ph.get(f"/api/v1/records/{record['id']}").json()
    assert (kept["institution_id"], kept["status"]) == (region.xysq.id, "active")
    again = region.ph.post(f"/api/v1/migrations/{view['id']}/confirm", {})
    assert again.status_code == 409


def test_requester_may_withdraw(region: Region) -> None:
    record = kept_record(region)
    view = region.ph2.post(
        "/api/v1/migrations", {"record_number": record["record_number"], **consent()}
    ).json()
    assert region.ph.post(f"/api/v1/migrations/{view['id']}/cancel", {}).status_code == 404
    cancelled = region.ph2.post(f"/api/v1/migrations/{view['id']}/cancel", {})
    assert cancelled.json()["status"] == "cancelled"
    assert region.ph.get(f"/api/v1/records/{record['id']}").json()["status"] == "active"


def test_unanswered_request_escalates_to_the_bureau(region: Region, session: Session) -> None:
    record = kept_record(region)
    view = region.ph2.post(
        "/api/v1/migrations", {"record_number": record["record_number"], **consent()}
    ).json()
    assert (
        region.bureau.post(
            f"/api/v1/migrations/{view['id']}/decision", {"approve": True}
        ).status_code
        == 409
    )  # not escalated yet: the institution has time to answer
    assert migration.escalate_overdue(session, datetime.now(UTC)) == []
    due = datetime.fromisoformat(view["answer_due_at"])
    escalated = migration.escalate_overdue(session, due + timedelta(minutes=1))
    session.commit()
    assert [m.id for m in escalated] == [view["id"]]
    assert migration.escalate_overdue(session, due + timedelta(days=1)) == []  # once only
    assert region.ph.post(f"/api/v1/migrations/{view['id']}/confirm", {}).status_code == 409
    queue = region.bureau.get("/api/v1/migrations").json()["to_decide"]
    assert [m["id"] for m in queue] == [view["id"]]
    no_reason = region.bureau.post(f"/api/v1/migrations/{view['id']}/decision", {"approve": False})
    assert no_reason.status_code == 422
    decided = region.bureau.post(
        f"/api/v1/migrations/{view['id']}/decision",
        {"approve": True, "note": "逾期未答复，准予迁移"},
    )
    assert decided.status_code == 200, decided.text
    assert steps(decided.json()) == ["request", "escalate", "bureau_approve", "complete"]
    assert decided.json()["steps"][1]["actor_name"] == "system:0:records-escalation"
    assert region.ph2.get(f"/api/v1/records/{record['id']}").status_code == 200


def test_bureau_may_refuse_an_escalated_request(region: Region, session: Session) -> None:
    record = kept_record(region)
    view = region.ph2.post(
        "/api/v1/migrations", {"record_number": record["record_number"], **consent()}
    ).json()
    migration.escalate_overdue(session, datetime.now(UTC) + timedelta(days=30))
    session.commit()
    refused = region.bureau.post(
        f"/api/v1/migrations/{view['id']}/decision", {"approve": False, "note": "居民未迁居"}
    )
    assert refused.json()["status"] == "refused"
    assert region.ph.get(f"/api/v1/records/{record['id']}").json()["status"] == "active"


def test_across_districts_both_bureaus_approve(region: Region) -> None:
    record = kept_record(region)
    asked = region.ph3.post(
        "/api/v1/migrations", {"record_number": record["record_number"], **consent()}
    )
    view = asked.json()
    assert (view["kind"], view["status"]) == ("district", "bureau_review")
    assert (view["from_county"], view["to_county"]) == ("370602", "370611")
    url = f"/api/v1/migrations/{view['id']}/decision"
    assert region.ph.post(f"/api/v1/migrations/{view['id']}/confirm", {}).status_code == 409
    assert region.bureau.post(url, {"approve": True}).status_code == 422  # which side?
    half = region.bureau.post(url, {"approve": True, "side": "source", "note": "同意迁出"})
    assert half.json()["status"] == "bureau_review"
    assert region.bureau.post(url, {"approve": True, "side": "source"}).status_code == 409
    done = region.bureau.post(url, {"approve": True, "side": "target", "note": "同意接收"})
    assert done.json()["status"] == "completed"
    assert steps(done.json()) == [
        "request",
        "source_bureau_approve",
        "target_bureau_approve",
        "complete",
    ]
    moved = region.ph3.get(f"/api/v1/records/{record['id']}").json()
    assert (moved["institution_id"], moved["record_number"]) == (
        region.mlwsy.id,
        record["record_number"],
    )


def test_a_bureau_decides_only_for_its_own_counties(
    app: FastAPI, region: Region, session: Session
) -> None:
    qingdao = create_institution(
        session, name="青岛市卫健委", kind="health_commission", division_code="370200"
    )
    other = User(app, session, "qdbureau", "health_bureau", qingdao)
    try:
        record = kept_record(region)
        view = region.ph3.post(
            "/api/v1/migrations", {"record_number": record["record_number"], **consent()}
        ).json()
        answer = other.post(
            f"/api/v1/migrations/{view['id']}/decision", {"approve": True, "side": "source"}
        )
        assert answer.status_code == 404
        assert other.get("/api/v1/migrations").json()["to_decide"] == []
        assert other.get(f"/api/v1/migrations/{view['id']}").status_code == 404
    finally:
        other.close()


def test_terminated_record_cannot_migrate(region: Region) -> None:
    record = kept_record(region)
    today = datetime.now(UTC).date().isoformat()
    region.ph.post(f"/api/v1/records/{record['id']}/termination", {"reason": "death", "on": today})
    answer = region.ph2.post(
        "/api/v1/migrations", {"record_number": record["record_number"], **consent()}
    )
    assert answer.status_code == 409
    assert answer.json()["code"] == "record_read_only"
