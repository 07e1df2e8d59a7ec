"""Registering patients: created, matched, review; the rules of one person across institutions."""

from __future__ import annotations

from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from healthcard.core.audit import AuditEvent
from healthcard.core.config import Settings
from healthcard.identity.idnumbers import mask_id
from healthcard.models import Person, PersonRecord
from tests.identity.factories import Hospital, resident_id

BORN = date(1980, 5, 17)


@pytest.fixture
def h1(client: TestClient, session: Session, settings: Settings) -> Hospital:
    return Hospital(client, session, settings, "烟台第一测试医院")


@pytest.fixture
def h2(client: TestClient, session: Session, settings: Settings) -> Hospital:
    return Hospital(client, session, settings, "烟台第二测试医院")


def test_new_person_is_created_and_re_registration_matches(h1: Hospital) -> None:
    first = h1.register(
        "MRN-1", name="张伟", sex="1", birth_date="1980-05-17", id_number=resident_id()
    )
    assert first.status_code == 200, first.text
    assert first.json()["outcome"] == "created"
    again = h1.register(
        "MRN-1", name="张伟", sex="1", birth_date="1980-05-17", id_number=resident_id()
    )
    assert again.json() == {
        **again.json(),
        "outcome": "matched",
        "person_id": first.json()["person_id"],
    }


def test_same_valid_id_decides_across_hospitals(h1: Hospital, h2: Hospital) -> None:
    number = resident_id()
    a = h1.register("A1", name="张伟", birth_date="1980-05-17", id_number=number).json()
    b = h2.register("B7", name="张玮", id_number=number.lower()).json()  # homophone, no birth date
    assert b["outcome"] == "matched"
    assert b["person_id"] == a["person_id"]
    assert b["match_probability"] == 1.0


def test_legacy_fifteen_digit_id_is_the_same_person(h1: Hospital, h2: Hospital) -> None:
    number = resident_id(date(1965, 3, 9), 31)
    legacy = number[:6] + number[8:17]
    a = h1.register("A1", name="李娜", id_number=number).json()
    b = h2.register("B1", name="李娜", id_number=legacy).json()
    assert b["person_id"] == a["person_id"]


@pytest.mark.parametrize(
    ("fields", "field", "code"),
    [
        (
            {"id_number": resident_id()[:-1] + ("0" if resident_id()[-1] != "0" else "1")},
            "id_number",
            "bad_checksum",
        ),
        ({"id_number": "37060219800230123X"}, "id_number", "bad_checksum"),
        ({"id_number": "3706021980051712"}, "id_number", "bad_length"),
        (
            {"id_number": resident_id(), "birth_date": "1981-05-17"},
            "birth_date",
            "id_number_mismatch",
        ),
        ({"id_number": resident_id(sequence=124), "sex": "1"}, "sex", "id_number_mismatch"),
        ({"name": "张3"}, "body.name", "value_error"),
        ({"sex": "3"}, "body.sex", "literal_error"),
        ({"birth_date": "1980-02-30"}, "body.birth_date", "date_from_datetime_parsing"),
        ({"address": "路" * 301}, "body.address", "string_too_long"),
    ],
)
def test_bad_input_is_refused_with_the_reason(
    h1: Hospital, fields: dict[str, str], field: str, code: str
) -> None:
    body = {"name": "王芳", **fields}
    answer = h1.register("BAD-1", **body)
    assert answer.status_code == 422, answer.text
    errors = {e["field"]: e for e in answer.json()["errors"]}
    assert field in errors, errors
    if code != "date_from_datetime_parsing":
        assert errors[field]["code"] == code
    assert errors[field]["message"]


def test_check_character_message_names_the_expected_one(h1: Hospital) -> None:
    good = resident_id()
    wrong = good[:-1] + ("0" if good[-1] != "0" else "1")
    answer = h1.register("BAD-2", name="王芳", id_number=wrong)
    assert f"应为 {good[-1]}" in answer.json()["errors"][0]["message"]


def test_different_valid_ids_are_never_linked_automatically(h1: Hospital, h2: Hospital) -> None:
    same = {
        "name": "王伟",
        "sex": "1",
        "birth_date": "1980-05-17",
        "phone": "13805351234",
        "address": "烟台市芝罘区南大街1号",
    }
    a = h1.register("A1", id_number=resident_id(sequence=111), **same).json()
    b = h2.register("B1", id_number=resident_id(sequence=113), **same).json()
    assert b["person_id"] != a["person_id"]
    assert b["outcome"] in ("created", "review")


def test_homophone_name_without_id_is_not_a_new_person(h1: Hospital, h2: Hospital) -> None:
    a = h1.register(
        "A1",
        name="刘明",
        sex="1",
        birth_date="1975-08-02",
        phone="13953501234",
        address="山东省烟台市芝罘区幸福路8号",
    ).json()
    b = h2.register(
        "B1",
        name="刘铭",
        sex="1",
        birth_date="1975-08-02",
        phone="13953501234",
        address="山东省烟台市芝罘区幸福路8号",
    ).json()
    assert b["outcome"] in ("matched", "review")
    if b["outcome"] == "matched":
        assert b["person_id"] == a["person_id"]


def test_sensitive_values_are_encrypted_and_masked(h1: Hospital, session: Session) -> None:
    number = resident_id()
    person_id = h1.register("A1", name="赵敏", id_number=number, phone="13805350000").json()[
        "person_id"
    ]
    stored = session.execute(select(PersonRecord).where(PersonRecord.local_id == "A1")).scalar_one()
    assert number not in (stored.id_number_sealed or "")
    assert "13805350000" not in (stored.phone_sealed or "")
    assert stored.id_number_index
    assert len(stored.id_number_index) == 64
    shown = h1.get(f"/api/v1/residents/{person_id}").json()
    assert shown["id_number"] == mask_id(number)
    assert shown["phone"] == "138****0000"
    assert number not in str(shown)


def test_every_read_is_audited(h1: Hospital, session: Session) -> None:
    person_id = h1.register("A1", name="孙丽", id_number=resident_id()).json()["person_id"]
    h1.get(f"/api/v1/residents/{person_id}", purpose="treatment")
    reads = (
        session.execute(
            select(AuditEvent).where(
                AuditEvent.action == "person.read", AuditEvent.resource_id == str(person_id)
            )
        )
        .scalars()
        .all()
    )
    assert len(reads) == 1
    assert reads[0].purpose == "treatment"
    assert reads[0].actor_kind == "client"


def test_pix_cross_reference_and_pdq(h1: Hospital, h2: Hospital) -> None:
    number = resident_id()
    a = h1.register(
        "A-77", name="周杰", sex="1", birth_date="1980-05-17", id_number=number, phone="13705351111"
    ).json()
    h2.register("B-88", name="周杰", id_number=number)
    by_mrn = h1.get("/api/v1/residents", identifier=f"{h1.system}|A-77").json()
    assert [p["id"] for p in by_mrn] == [a["person_id"]]
    systems = {i["system"]: i["value"] for i in by_mrn[0]["identifiers"]}
    assert systems[h2.system] == "B-88"
    assert systems["urn:oid:2.16.156.10011.1.3"] == mask_id(number)
    by_id = h2.get("/api/v1/residents", identifier=f"urn:oid:2.16.156.10011.1.3|{number}").json()
    assert by_id[0]["id"] == a["person_id"]
    by_pinyin = h1.get("/api/v1/residents", name="zhoujie", birth_date="1980-05-17").json()
    assert [p["id"] for p in by_pinyin] == [a["person_id"]]
    by_suffix = h1.get("/api/v1/residents", id_suffix=number[-4:], name="周杰").json()
    assert [p["id"] for p in by_suffix] == [a["person_id"]]
    by_phone = h1.get("/api/v1/residents", phone="13705351111").json()
    assert [p["id"] for p in by_phone] == [a["person_id"]]
    nothing = h1.get("/api/v1/residents", identifier=f"{h1.system}|NOPE").json()
    assert nothing == []


def test_newborn_gets_a_provisional_identity_linked_to_the_mother(
    h1: Hospital, session: Session
) -> None:
    mother_id = resident_id(date(1992, 1, 3), 222)
    mother = h1.register("M-1", name="陈静", id_number=mother_id).json()
    baby = h1.register(
        "NB-1", name="陈静之女", sex="2", birth_date="2026-11-20", mother_id_number=mother_id
    ).json()
    person = session.get(Person, baby["person_id"])
    assert person is not None
    assert person.provisional
    assert person.mother_id == mother["person_id"]
    own = resident_id(date(2026, 11, 20), 226)
    later = h1.register(
        "NB-1",
        name="林小雨",
        sex="2",
        birth_date="2026-11-20",
        id_number=own,
        mother_id_number=mother_id,
    ).json()
    assert later["person_id"] == baby["person_id"]
    session.expire_all()
    person = session.get(Person, baby["person_id"])
    assert person is not None
    assert not person.provisional


def test_changed_demographics_rematch_the_record(
    h1: Hospital, h2: Hospital, session: Session
) -> None:
    number = resident_id(date(1970, 1, 2), 99)
    first = h1.register("A1", name="吴刚", id_number=number).json()
    alone = h2.register("B1", name="吴钢", sex="1", birth_date="1999-09-09").json()
    assert alone["person_id"] != first["person_id"]
    # The clerk adds the ID card at the next visit: the record now belongs to the first person.
    fixed = h2.register("B1", name="吴刚", id_number=number).json()
    assert fixed["outcome"] == "matched"
    assert fixed["person_id"] == first["person_id"]
    session.expire_all()
    old = session.get(Person, alone["person_id"])
    assert old is not None
    assert old.status == "merged"
    assert old.merged_into_id == first["person_id"]


def test_full_id_number_needs_the_permission_and_is_audited(
    h1: Hospital, client: TestClient, session: Session
) -> None:
    from tests.factories import create_staff, login

    number = resident_id()
    person_id = h1.register("A1", name="钱进", id_number=number).json()["person_id"]
    create_staff(session, username="desk", roles=["doctor"])
    login(client, "desk")
    page = client.get(f"/console/residents/{person_id}")
    assert mask_id(number) in page.text
    assert number not in page.text
    assert client.post(f"/console/residents/{person_id}/reveal").status_code == 403
    client.post("/logout")
    create_staff(session, username="cardop1", roles=["card_operator"])
    login(client, "cardop1")
    shown = client.post(f"/console/residents/{person_id}/reveal")
    assert number in shown.text
    event = session.execute(
        select(AuditEvent).where(
            AuditEvent.action == "person.reveal", AuditEvent.resource_id == str(person_id)
        )
    ).scalar_one()
    assert event.actor_name == "cardop1"


def test_pdq_by_division(h1: Hospital) -> None:
    a = h1.register(
        "D1", name="林海", birth_date="1966-06-06", address="山东省烟台市芝罘区胜利路3号"
    ).json()
    h1.register(
        "D2",
        name="林海",
        birth_date="1966-06-06",
        sex="1",
        phone="13800000001",
        address="山东省烟台市福山区福海路1号",
        id_number=resident_id(date(1966, 6, 6), 11),
    )
    found = h1.get("/api/v1/residents", name="林海", division="370602").json()
    assert [p["id"] for p in found] == [a["person_id"]]
    unknown = h1.get("/api/v1/residents", name="林海", division="999999")
    assert unknown.status_code == 422


def test_a_person_with_another_valid_id_anywhere_is_not_auto_linked(
    h1: Hospital, h2: Hospital
) -> None:
    """The best-scoring record may carry no ID; another record of that person does."""
    same = {
        "name": "郑爽",
        "sex": "2",
        "birth_date": "1991-08-22",
        "phone": "13805357777",
        "address": "山东省烟台市芝罘区南大街9号",
    }
    first = h1.register("A1", id_number=resident_id(date(1991, 8, 22), 222), **same).json()
    h1.register("A2", **same)  # the same person at another desk, no ID card at hand
    other = h2.register("B1", id_number=resident_id(date(1991, 8, 22), 224), **same).json()
    assert other["person_id"] != first["person_id"]
    assert other["outcome"] in ("created", "review")
