"""Health records through the API: the number, the form, one record per resident, termination."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from tests.records.factories import AREA, Region


def today() -> date:
    return datetime.now(UTC).date()


def test_record_number_is_area_plus_sequence(region: Region) -> None:
    first = region.record(region.person("林一"))
    second = region.record(region.person("林二"))
    other_area = region.record(region.person("林三"), area_code="370602001003")
    assert first.status_code == 201, first.text
    assert first.json()["record_number"] == f"{AREA}00001"
    assert second.json()["record_number"] == f"{AREA}00002"
    assert other_area.json()["record_number"] == "37060200100300001"
    assert len(first.json()["record_number"]) == 17


def test_basic_information_form_is_kept_with_its_code_version(region: Region) -> None:
    person = region.person()
    answer = region.record(
        person,
        ethnicity="01",
        abo_blood_type="3",
        rh_blood_type="2",
        education="7",
        occupation="4",
        marital_status="2",
        contact_name="林大海",
        contact_phone="13605351234",
        payment_methods=["2", "3"],
        drug_allergies=["2"],
        past_diseases=[{"code": "2", "on": "2015-06-01"}],
        family_history={"father": ["2", "7"], "mother": ["3"]},
        disabilities=["1"],
        living_conditions={"fuel": "3", "water": "1", "toilet": "1"},
    )
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["ethnicity"] == "01"
    assert body["form"]["payment_methods"] == ["2", "3"]
    assert body["form"]["family_history"]["father"] == ["2", "7"]
    assert body["form_version"] == "2017-spec-3rd-ed.1"
    assert "13605351234" not in answer.text  # the phone is sealed, never echoed


def test_wrong_codes_are_422_naming_each_field(region: Region) -> None:
    answer = region.record(
        region.person(),
        ethnicity="57",
        abo_blood_type="9",
        payment_methods=["2", "2"],
        drug_allergies=["1", "2"],
        living_conditions={"toilet": "8"},
    )
    assert answer.status_code == 422
    problem = answer.json()
    fields = {e["field"] for e in problem["errors"]}
    assert {
        "body.ethnicity",
        "body.abo_blood_type",
        "body.payment_methods",
        "body.drug_allergies",
        "body.living_conditions.toilet",
    } <= fields
    assert any("GB 3304" in e["message"] for e in problem["errors"])


def test_area_code_is_checked_against_divisions(region: Region) -> None:
    cases = {
        "999999001001": "unknown_division",
        "370600001001": "not_county",
        "370611001001": "outside_region",  # 福山区 is not where 向阳 keeps records
        "370602000001": "invalid",
    }
    for area, code in cases.items():
        answer = region.record(region.person(), area_code=area)
        assert answer.status_code == 422, area
        assert answer.json()["errors"][0]["field"] == "body.area_code"
        assert answer.json()["errors"][0]["code"] == code
    short = region.record(region.person(), area_code="3706020010")
    assert short.status_code == 422


def test_second_record_for_a_resident_is_409_naming_the_first(region: Region) -> None:
    person = region.person()
    first = region.record(person)
    again = region.record(person, by=region.ph2)
    assert again.status_code == 409
    assert again.json()["code"] == "record_exists"
    assert first.json()["record_number"] in again.json()["detail"]


def test_update_form_and_read_back(region: Region) -> None:
    record = region.record(region.person()).json()
    answer = region.ph.put(f"/api/v1/records/{record['id']}", {"education": "2", "ethnicity": "03"})
    assert answer.status_code == 200, answer.text
    assert region.ph.get(f"/api/v1/records/{record['id']}").json()["ethnicity"] == "03"


def test_terminated_record_is_read_only_and_listed(region: Region) -> None:
    record = region.record(region.person()).json()
    url = f"/api/v1/records/{record['id']}"
    day = today().isoformat()
    missing = region.ph.post(f"{url}/termination", {"reason": "moved", "on": day})
    assert missing.status_code == 422
    assert missing.json()["errors"][0]["field"] == "body.moved_to"
    future = (today() + timedelta(days=3)).isoformat()
    assert (
        region.ph.post(f"{url}/termination", {"reason": "death", "on": future}).status_code == 422
    )
    done = region.ph.post(
        f"{url}/termination",
        {"reason": "moved", "on": today().isoformat(), "moved_to": "青岛市市南区"},
    )
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "terminated"
    refused = region.ph.put(url, {"education": "2"})
    assert refused.status_code == 409
    assert refused.json()["code"] == "record_read_only"
    assert "迁出" in refused.json()["detail"]
    exam = region.ph.post(f"{url}/exams", {"exam_date": today().isoformat()})
    assert exam.status_code == 409
    again = region.ph.post(f"{url}/termination", {"reason": "death", "on": today().isoformat()})
    assert again.status_code == 409
    listed = region.ph.get("/api/v1/records", status="terminated").json()
    assert [r["id"] for r in listed["items"]] == [record["id"]]
    assert region.ph.get(url).json()["moved_to"] == "青岛市市南区"  # kept, readable


def test_exam_computes_bmi_validates_vitals_and_reaches_the_timeline(region: Region) -> None:
    record = region.record(region.person()).json()
    url = f"/api/v1/records/{record['id']}/exams"
    bad = region.ph.post(
        url,
        {
            "exam_date": today().isoformat(),
            "vitals": {"bp_left": {"sbp": 80, "dbp": 120}, "pulse": 900},
            "assessment": "2",
            "findings": {"heart": {"result": "2"}},
        },
    )
    assert bad.status_code == 422
    fields = {e["field"] for e in bad.json()["errors"]}
    assert {
        "body.vitals.bp_left",
        "body.vitals.pulse",
        "body.abnormalities",
        "body.findings.heart.note",
    } <= fields
    good = region.ph.post(
        url,
        {
            "exam_date": today().isoformat(),
            "symptoms": ["3"],
            "vitals": {
                "bp_left": {"sbp": 146, "dbp": 92},
                "bp_right": {"sbp": 142, "dbp": 90},
                "height_cm": 165,
                "weight_kg": 72.5,
                "waist_cm": 90,
            },
            "lifestyle": {"smoking": "3", "cigarettes_per_day": 10, "diet": ["4"]},
            "assessment": "2",
            "abnormalities": ["血压偏高"],
            "guidance": ["1"],
        },
    )
    assert good.status_code == 201, good.text
    assert good.json()["bmi"] == 26.6
    listed = region.ph.get(url).json()
    assert [e["id"] for e in listed] == [good.json()["id"]]


def test_search_by_name_and_number(region: Region) -> None:
    region.record(region.person("欧阳明"))
    region.record(region.person("司马光"))
    found = region.ph.get("/api/v1/records", text="欧阳").json()
    assert [r["name"] for r in found["items"]] == ["欧阳明"]
    other = region.ph2.get("/api/v1/records").json()
    assert other["total"] == 0  # another institution's records are not listed
