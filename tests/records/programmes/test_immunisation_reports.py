"""Immunisation records and the child's schedule; infectious-disease reports with deadlines and
the CDC's review; health education, referrals and consultations."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta

from fastapi import FastAPI
from sqlalchemy.orm import Session

from healthcard.records.programmes.service.common import today
from tests.records.factories import Region
from tests.records.programmes.helpers import Residents, years_ago


def _dose(
    region: Region, person_id: int, vaccine: str, dose: int, given_on: date, **extra: object
) -> object:
    body = {
        "person_id": person_id,
        "vaccine_code": vaccine,
        "dose_number": dose,
        "given_on": str(given_on),
        **extra,
    }
    return region.ph.post("/api/v1/immunisations", body)


def test_a_childs_doses_due_and_overdue(region: Region, residents: Residents) -> None:
    born = today() - timedelta(days=100)
    child = residents.with_record(born=born)
    assert (
        _dose(
            region, child, "HepB", 1, born, lot_number="202401A", site="right_deltoid"
        ).status_code
        == 201
    )  # type: ignore[attr-defined]
    assert _dose(region, child, "BCG", 1, born).status_code == 201  # type: ignore[attr-defined]
    schedule = region.ph.get(f"/api/v1/immunisations/{child}")
    assert schedule.status_code == 200, schedule.text
    body = schedule.json()
    assert body["schedule_version"] == "nip-2021"
    by = {(d["vaccine_code"], d["dose_number"]): d for d in body["doses"]}
    assert by[("HepB", 1)]["status"] == "given"
    assert by[("HepB", 2)]["status"] == "overdue"  # due at one month, more than a month ago
    assert by[("MMR", 1)]["status"] == "upcoming"
    assert by[("IPV", 1)]["status"] in {"due", "overdue"}

    again = _dose(region, child, "HepB", 1, born)
    assert again.status_code == 409
    assert again.json()["code"] == "dose_already_recorded"
    cases = [
        (("XYZ", 1, born), "vaccine_code"),
        (("HepB", 4, born), "dose_number"),
        (("HepB", 2, today() + timedelta(days=1)), "given_on"),
        (("HepB", 2, born - timedelta(days=1)), "given_on"),
    ]
    for (vaccine, dose, given), field in cases:
        answer = _dose(region, child, vaccine, dose, given)
        assert answer.status_code == 422, answer.text  # type: ignore[attr-defined]
        assert field in [e["field"] for e in answer.json()["errors"]]  # type: ignore[attr-defined]
    assert _dose(region, child, "HepB", 2, today(), site="nose").status_code == 422  # type: ignore[attr-defined]
    # Another institution's staff cannot read the child's record.
    assert region.ph2.get(f"/api/v1/immunisations/{child}").status_code == 404


def test_the_same_dose_recorded_twice_at_once_is_one_row(
    app: FastAPI, scratch_database_url: str, settings: object
) -> None:
    # Two workers record the same dose at the same moment: one 201, one 409.
    from fastapi.testclient import TestClient
    from sqlalchemy.orm import sessionmaker

    from healthcard.app import create_app
    from healthcard.core.db import make_engine, make_session_factory
    from tests.records.factories import Region as FreshRegion

    engine = make_engine(scratch_database_url)
    factory = make_session_factory(engine)
    fresh = create_app(
        settings.model_copy(update={"database_url": scratch_database_url}), session_factory=factory
    )  # type: ignore[attr-defined]
    from healthcard.accounts import service as accounts_service

    with factory() as s, s.begin():
        accounts_service.sync_permissions(s)
    try:
        with TestClient(fresh, base_url="http://testserver") as client, factory() as s:
            region = FreshRegion(
                fresh, client, s, settings.model_copy(update={"database_url": scratch_database_url})
            )  # type: ignore[attr-defined]
            child = Residents(region).with_record(born=today() - timedelta(days=10))
            born = today() - timedelta(days=10)
            with ThreadPoolExecutor(4) as pool:
                codes = sorted(
                    pool.map(lambda _: _dose(region, child, "BCG", 1, born).status_code, range(4))
                )  # type: ignore[attr-defined]
            region.close()
        assert codes == [201, 409, 409, 409]
    finally:
        engine.dispose()
    del sessionmaker


def _report(
    region: Region, person_id: int, disease: str, diagnosed: datetime, **extra: object
) -> object:
    body = {
        "person_id": person_id,
        "disease_code": disease,
        "case_classification": "confirmed",
        "onset_on": str(diagnosed.date() - timedelta(days=2)),
        "diagnosed_at": diagnosed.isoformat(),
        **extra,
    }
    return region.doctor.post("/api/v1/infectious-reports", body)


def test_infectious_reports_deadlines_and_cdc_review(
    app: FastAPI, session: Session, region: Region, residents: Residents
) -> None:
    person_id = residents.person(born=years_ago(30))
    now = datetime.now(UTC)
    on_time = _report(region, person_id, "measles", now - timedelta(hours=3)).json()  # type: ignore[attr-defined]
    assert on_time["late"] is False
    assert on_time["disease_class"] == "B"
    assert on_time["rule_version"] == "notifiable-diseases-2023"
    assert datetime.fromisoformat(on_time["deadline_at"]) - datetime.fromisoformat(
        on_time["diagnosed_at"]
    ) == timedelta(hours=24)
    late = _report(region, person_id, "cholera", now - timedelta(hours=3)).json()  # type: ignore[attr-defined]
    assert late["late"] is True
    assert late["disease_class"] == "A"
    sars = _report(region, person_id, "sars", now - timedelta(hours=1)).json()  # type: ignore[attr-defined]
    assert sars["managed_as_a"]
    assert not sars["late"]
    assert datetime.fromisoformat(sars["deadline_at"]) - datetime.fromisoformat(
        sars["diagnosed_at"]
    ) == timedelta(hours=2)

    for body, field in [
        ({"disease_code": "cold"}, "body.disease_code"),
        ({"case_classification": "maybe"}, "body.case_classification"),
        ({"diagnosed_at": (now + timedelta(hours=2)).isoformat()}, "body.diagnosed_at"),
        ({"onset_on": str(now.date() + timedelta(days=3))}, "body.onset_on"),
    ]:
        answer = _report(
            region, person_id, body.pop("disease_code", "measles"), now - timedelta(hours=1), **body
        )
        assert answer.status_code == 422, answer.text  # type: ignore[attr-defined]
        assert field in [e["field"] for e in answer.json()["errors"]]  # type: ignore[attr-defined]

    cdc_inst = region.wjw
    cdc = region.user(app, session, "cdcduty", "cdc_officer", cdc_inst)
    late_list = cdc.get("/api/v1/infectious-reports/review", late="true").json()
    assert [r["id"] for r in late_list] == [late["id"]]
    assert region.doctor.get("/api/v1/infectious-reports/review").status_code == 403
    returned = cdc.post(f"/api/v1/infectious-reports/{late['id']}/review", {"accept": False})
    assert returned.status_code == 422  # a return needs its reason
    returned = cdc.post(
        f"/api/v1/infectious-reports/{late['id']}/review", {"accept": False, "note": "发病日期有误"}
    )
    assert returned.json()["status"] == "returned"
    twice = cdc.post(f"/api/v1/infectious-reports/{late['id']}/review", {"accept": True})
    assert twice.status_code == 409
    assert (
        cdc.post(f"/api/v1/infectious-reports/{on_time['id']}/review", {"accept": True}).json()[
            "status"
        ]
        == "accepted"
    )
    # The reporting hospital sees its own reports; another institution sees none.
    assert len(region.doctor.get("/api/v1/infectious-reports").json()) == 3
    assert region.ph.get("/api/v1/infectious-reports").json() == []


def test_education_referrals_and_consultations(region: Region, residents: Residents) -> None:
    person_id = residents.with_record(born=years_ago(70))
    education = region.ph.post(
        "/api/v1/programmes/education",
        {"held_on": str(today()), "kind": "lecture", "topic": "高血压防治知识讲座", "audience": 42},
    )
    assert education.status_code == 201, education.text
    assert (
        region.ph.post(
            "/api/v1/programmes/education",
            {"held_on": str(today() + timedelta(days=2)), "kind": "lecture", "topic": "x"},
        ).status_code
        == 422
    )
    assert [e["topic"] for e in region.ph.get("/api/v1/programmes/education").json()] == [
        "高血压防治知识讲座"
    ]

    referral = region.ph.post(
        "/api/v1/programmes/referrals",
        {
            "person_id": person_id,
            "direction": "up",
            "to_institution_id": region.yhd.id,
            "to_department": "心内科",
            "urgent": True,
            "reason": "血压控制不满意",
            "referred_on": str(today()),
        },
    )
    assert referral.status_code == 201, referral.text
    bad = region.ph.post(
        "/api/v1/programmes/referrals",
        {
            "person_id": person_id,
            "direction": "up",
            "to_institution_id": 999999,
            "reason": "x",
            "referred_on": str(today()),
        },
    )
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "body.to_institution_id"
    assert len(region.ph.get("/api/v1/programmes/referrals").json()) == 1

    consult = region.ph.post(
        "/api/v1/programmes/consultations",
        {
            "person_id": person_id,
            "held_on": str(today()),
            "reason": "血糖波动",
            "consultants": "王建国（毓璜顶医院内分泌科）",
            "advice": "调整胰岛素剂量，两周后复查",
        },
    )
    assert consult.status_code == 201
    assert (
        region.ph.post("/api/v1/programmes/consultations", {"person_id": person_id}).status_code
        == 422
    )
    assert region.doctor.get("/api/v1/programmes/consultations").json() == []
