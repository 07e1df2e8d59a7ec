"""The records console pages render for the roles that use them, and their forms work."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.records.factories import AREA, Region


def _html(user: object, url: str) -> str:
    answer = user.client.get(url)  # type: ignore[attr-defined]
    assert answer.status_code == 200, (url, answer.status_code, answer.text[:500])
    return str(answer.text)


def test_worker_creates_a_family_and_a_record_through_the_forms(region: Region) -> None:
    head, wife = region.person("张建军"), region.person("李秀梅")
    created = region.ph.client.post(
        "/console/families",
        data={"head_person_id": str(head), "address": "芝罘区向阳街道1号", "area_code": AREA},
        follow_redirects=False,
    )
    assert created.status_code == 303, created.text[:800]
    family_url = created.headers["location"].split("?")[0]
    added = region.ph.client.post(
        f"{family_url}/members",
        data={"person_id": str(wife), "relationship": "12"},
        follow_redirects=False,
    )
    assert added.status_code == 303
    page = _html(region.ph, family_url)
    assert "张建军" in page
    assert "李秀梅" in page
    assert "妻" in page
    bad = region.ph.client.post(
        "/console/records/new", data={"person_id": str(head), "area_code": "123", "ethnicity": "01"}
    )
    assert bad.status_code == 422
    assert 'data-field="area_code"' in bad.text
    good = region.ph.client.post(
        "/console/records/new",
        data={
            "person_id": str(head),
            "area_code": AREA,
            "ethnicity": "01",
            "payment_methods": ["2"],
        },
        follow_redirects=False,
    )
    assert good.status_code == 303, good.text[:800]
    record_page = _html(region.ph, good.headers["location"])
    assert f"{AREA}00001" in record_page
    assert "汉族" in record_page
    exam = region.ph.client.post(
        good.headers["location"].split("?")[0] + "/exams/new",
        data={
            "exam_date": datetime.now(UTC).date().isoformat(),
            "bp_left.sbp": "150",
            "bp_left.dbp": "95",
            "height_cm": "170",
            "weight_kg": "70",
        },
        follow_redirects=False,
    )
    assert exam.status_code == 303, exam.text[:1500]
    assert "24.2" in _html(region.ph, good.headers["location"].split("?")[0])


def test_every_records_page_renders(region: Region) -> None:
    record = region.record(region.person()).json()
    for url in (
        "/console/records",
        "/console/records/new",
        f"/console/records/{record['id']}",
        f"/console/records/{record['id']}/edit",
        f"/console/records/{record['id']}/exams/new",
        f"/console/records/{record['id']}/terminate",
        "/console/families",
        "/console/migrations",
        "/console/teams",
        "/console/records-coverage",
    ):
        _html(region.ph, url)
    _html(region.doctor, "/console/break-glass")
    _html(region.auditor, "/console/break-glass-report")
    _html(region.bureau, "/console/migration-decisions")
    _html(region.bureau, "/console/records-coverage")
    assert region.ph2.client.get(f"/console/records/{record['id']}").status_code == 404
