"""Enrolment and follow-ups through the API: an active record is needed, eligibility, each visit
classified with the rule version, the next one scheduled, referral flags, bad input refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from healthcard.models import FollowUp, RecordEvent
from healthcard.records.programmes import service
from healthcard.records.programmes.service import rules
from healthcard.records.programmes.service.common import today
from tests.records.factories import Region
from tests.records.programmes.helpers import Residents, due_visit, enrol, years_ago


def test_enrolment_needs_an_active_record(region: Region, residents: Residents) -> None:
    person_id = residents.person(born=years_ago(60))
    refused = enrol(region.ph, person_id, "hypertension")
    assert refused.status_code == 409
    assert refused.json()["code"] == "no_active_record"

    region.record(person_id)
    answer = enrol(region.ph, person_id, "hypertension", diagnosis="原发性高血压")
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["rule_version"] == "nbphs-2017"
    assert body["institution_id"] == region.xysq.id
    visit = due_visit(region.ph, body["id"])
    assert visit["due_date"] == (today() + timedelta(days=14)).isoformat()
    assert visit["rule_version"] == "nbphs-2017"

    again = enrol(region.ph, person_id, "hypertension")
    assert again.status_code == 409
    assert again.json()["code"] == "already_enrolled"


def test_other_institutions_cannot_enrol_or_see(region: Region, residents: Residents) -> None:
    person_id = residents.with_record(born=years_ago(60))
    assert enrol(region.ph2, person_id, "hypertension").status_code == 404
    enrolment = enrol(region.ph, person_id, "hypertension").json()
    visit = due_visit(region.ph, enrolment["id"])
    assert region.ph2.get(f"/api/v1/programmes/followups/{visit['id']}").status_code == 404
    assert (
        region.ph2.get(f"/api/v1/programmes/enrolments/{enrolment['id']}/followups").status_code
        == 404
    )


def test_eligibility_is_checked(region: Region, residents: Residents) -> None:
    young = residents.with_record(born=years_ago(30))
    answer = enrol(region.ph, young, "hypertension")
    assert answer.status_code == 422
    assert answer.json()["code"] == "not_eligible"
    assert "35" in answer.json()["detail"]
    man = residents.with_record(born=years_ago(28), sex="1")
    assert (
        enrol(region.ph, man, "maternal", lmp=str(today() - timedelta(days=60))).status_code == 422
    )
    woman = residents.with_record(born=years_ago(28), sex="2")
    missing = enrol(region.ph, woman, "maternal")
    assert missing.status_code == 422
    assert missing.json()["errors"][0]["field"] == "body.lmp"
    assert enrol(region.ph, young, "elderly").status_code == 422
    assert enrol(region.ph, young, "nonsense").status_code == 422


def test_a_hypertension_visit_is_classified_and_the_next_scheduled(
    region: Region, residents: Residents, session: Session
) -> None:
    person_id = residents.with_record(born=years_ago(58))
    enrolment = enrol(
        region.ph, person_id, "hypertension", enrolled_on=str(today() - timedelta(days=30))
    ).json()
    visit = due_visit(region.ph, enrolment["id"])
    form = {
        "done_on": str(today()),
        "sbp": 152,
        "dbp": 96,
        "heart_rate": 78,
        "weight_kg": 70.5,
        "symptoms": ["headache_dizziness"],
        "medication_adherence": "regular",
        "medications": [{"name": "氨氯地平", "dosage": "5mg qd"}],
    }
    answer = region.ph.post(f"/api/v1/programmes/followups/{visit['id']}", form)
    assert answer.status_code == 200, answer.text
    done, upcoming = answer.json()["followup"], answer.json()["next"]
    assert (done["status"], done["classification"], done["referral"]) == ("done", "2", False)
    assert done["rule_version"] == "nbphs-2017"
    assert done["performed_by"].endswith(":phone")
    assert upcoming["due_date"] == str(today() + timedelta(days=14))

    good = {"done_on": str(today()), "sbp": 128, "dbp": 82}
    second = region.ph.post(f"/api/v1/programmes/followups/{upcoming['id']}", good).json()
    assert second["followup"]["classification"] == "1"
    assert second["next"]["due_date"] == str(rules.Interval(months=3).after(today()))
    titles = session.scalars(
        select(RecordEvent.title).where(RecordEvent.person_id == person_id)
    ).all()
    assert "纳入高血压患者健康管理" in titles
    assert "高血压患者健康管理：随访（控制满意）" in titles

    closed = region.ph.post(f"/api/v1/programmes/followups/{visit['id']}", good)
    assert closed.status_code == 409
    assert closed.json()["code"] == "followup_closed"


def test_emergency_referral_is_flagged(region: Region, residents: Residents) -> None:
    person_id = residents.with_record(born=years_ago(66))
    enrolment = enrol(
        region.ph, person_id, "diabetes", enrolled_on=str(today() - timedelta(days=20))
    ).json()
    visit = due_visit(region.ph, enrolment["id"])
    answer = region.ph.post(
        f"/api/v1/programmes/followups/{visit['id']}",
        {
            "done_on": str(today()),
            "sbp": 150,
            "dbp": 88,
            "fasting_glucose": 17.2,
            "hba1c": 9.1,
            "foot_pulse": "weakened",
        },
    ).json()["followup"]
    assert answer["classification"] == "2"
    assert answer["emergency"]
    assert answer["referral"]
    assert answer["referral_reasons"] == ["血糖≥16.7mmol/L，紧急转诊"]


def test_bad_forms_are_refused_with_the_field(region: Region, residents: Residents) -> None:
    person_id = residents.with_record(born=years_ago(58))
    enrolment = enrol(
        region.ph, person_id, "hypertension", enrolled_on=str(today() - timedelta(days=30))
    ).json()
    url = f"/api/v1/programmes/followups/{due_visit(region.ph, enrolment['id'])['id']}"
    cases = [
        ({"done_on": str(today()), "sbp": 400, "dbp": 90}, "body.sbp"),
        ({"done_on": str(today())}, "body.sbp"),
        ({"done_on": str(today()), "sbp": 140, "dbp": 150}, "body.dbp"),
        ({"done_on": str(today() + timedelta(days=1)), "sbp": 140, "dbp": 90}, "body.done_on"),
        ({"done_on": str(today()), "sbp": 140, "dbp": 90, "symptoms": ["flu"]}, "body.symptoms"),
        ({"done_on": "yesterday", "sbp": 140, "dbp": 90}, "body.done_on"),
        ({"done_on": str(today()), "sbp": 140, "dbp": 90, "colour": "red"}, "body.colour"),
    ]
    for form, field in cases:
        answer = region.ph.post(url, form)
        assert answer.status_code == 422, (form, answer.text)
        assert field in [e["field"] for e in answer.json()["errors"]], (form, answer.json())
        assert answer.json()["detail"]


def test_hospital_measurements_feed_the_next_visit(
    region: Region, residents: Residents, session: Session
) -> None:
    person_id = residents.with_record(born=years_ago(62))
    enrolment = enrol(
        region.ph, person_id, "hypertension", enrolled_on=str(today() - timedelta(days=7))
    ).json()
    visit = due_visit(region.ph, enrolment["id"])
    measured = datetime.now(UTC) - timedelta(hours=2)
    for _ in range(2):  # the same observation pushed twice counts once
        service.measurement_from_hospital(
            session,
            person_id=person_id,
            measured_at=measured,
            institution_id=region.yhd.id,
            source_ref="Observation/77",
            sbp=186,
            dbp=104,
        )
    session.commit()
    flagged = region.ph.get(f"/api/v1/programmes/followups/{visit['id']}").json()
    assert len(flagged["hospital_measurements"]) == 1
    assert flagged["emergency"]
    assert flagged["status"] == "due"
    assert "收缩压≥180mmHg，紧急转诊" in flagged["referral_reasons"][0]

    # A phone visit without a cuff: the hospital's reading counts.
    answer = region.ph.post(
        f"/api/v1/programmes/followups/{visit['id']}",
        {"done_on": str(today()), "method": "phone", "medication_adherence": "intermittent"},
    )
    assert answer.status_code == 200, answer.text
    done = answer.json()["followup"]
    assert (done["form"]["sbp"], done["form"]["from_hospital"]) == (186, ["sbp", "dbp"])
    assert done["classification"] == "2"
    assert done["emergency"]


def test_hospital_measurements_are_validated(
    region: Region, residents: Residents, session: Session
) -> None:
    import pytest

    from healthcard.core.errors import ValidationFailed

    person_id = residents.with_record(born=years_ago(62))
    cases = [
        ({"sbp": 120}, "dbp"),
        ({"sbp": 500, "dbp": 80}, "sbp"),
        ({}, "sbp"),
        ({"fasting_glucose": 90.0}, "fasting_glucose"),
    ]
    for values, field in cases:
        with pytest.raises(ValidationFailed) as caught:
            service.measurement_from_hospital(
                session,
                person_id=person_id,
                measured_at=datetime.now(UTC),
                institution_id=region.yhd.id,
                source_ref="Observation/1",
                **values,  # type: ignore[arg-type]
            )
        assert field in [e.field for e in caught.value.errors]
    with pytest.raises(ValidationFailed):
        service.measurement_from_hospital(
            session,
            person_id=person_id,
            measured_at=datetime.now(UTC) + timedelta(days=1),
            institution_id=region.yhd.id,
            source_ref="Observation/2",
            sbp=120,
            dbp=80,
        )
    # No programme: nothing to feed, nothing changes.
    service.measurement_from_hospital(
        session,
        person_id=person_id,
        measured_at=datetime.now(UTC),
        institution_id=region.yhd.id,
        source_ref="Observation/3",
        sbp=120,
        dbp=80,
    )
    assert session.scalars(select(FollowUp).where(FollowUp.person_id == person_id)).first() is None


def test_child_checks_and_mental_and_tb_enrolments(region: Region, residents: Residents) -> None:
    baby = residents.with_record(born=today() - timedelta(days=40))
    child = enrol(region.ph, baby, "children").json()
    first = due_visit(region.ph, child["id"])
    assert first["visit_code"] == "m3"
    answer = region.ph.post(
        f"/api/v1/programmes/followups/{first['id']}",
        {"done_on": str(today()), "weight_kg": 5.1, "height_cm": 58, "development_ok": False},
    ).json()
    assert answer["followup"]["classification"] == "abnormal"
    assert answer["followup"]["referral"]
    assert not answer["followup"]["emergency"]
    assert answer["next"]["visit_code"] == "m6"

    patient = residents.with_record(born=years_ago(35))
    mental = enrol(region.ph, patient, "mental").json()
    visit = due_visit(region.ph, mental["id"])
    bad = region.ph.post(
        f"/api/v1/programmes/followups/{visit['id']}",
        {"done_on": str(today()), "risk_level": 7, "insight": "complete"},
    )
    assert bad.status_code == 422
    risky = region.ph.post(
        f"/api/v1/programmes/followups/{visit['id']}",
        {"done_on": str(today()), "risk_level": 4, "insight": "partial"},
    ).json()
    assert risky["followup"]["classification"] == "unstable"
    assert risky["followup"]["emergency"]
    assert risky["next"]["due_date"] == str(today() + timedelta(days=14))

    tb = enrol(region.ph, patient, "tuberculosis", treatment_start=str(today())).json()
    assert due_visit(region.ph, tb["id"])["due_date"] == str(today() + timedelta(days=3))


def test_ending_an_enrolment_cancels_its_visits(region: Region, residents: Residents) -> None:
    person_id = residents.with_record(born=years_ago(70))
    enrolment = enrol(region.ph, person_id, "elderly").json()
    visit = due_visit(region.ph, enrolment["id"])
    ended = region.ph.post(
        f"/api/v1/programmes/enrolments/{enrolment['id']}/end", {"reason": "迁出本辖区"}
    )
    assert ended.status_code == 200
    assert ended.json()["status"] == "ended"
    assert (
        region.ph.get(f"/api/v1/programmes/followups/{visit['id']}").json()["status"] == "cancelled"
    )
    assert enrol(region.ph, person_id, "elderly").status_code == 201
