"""The resident's record timeline in a real headless Chromium: the public-health worker opens it
from the resident's page, filters it by kind, follows an entry to the hospital's document."""

from __future__ import annotations

import re
from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from healthcard.core.db import make_engine
from healthcard.demo.service import INSTITUTIONS
from healthcard.models import HealthRecord, Institution, RecordEvent
from tests.e2e.conftest import ARTIFACTS, browser_unavailable

try:
    from playwright.sync_api import Page, expect
except ImportError:
    browser_unavailable("Playwright not installed: pip install playwright")

OpenAs = Callable[[str], Page]


def _resident_with_hospital_documents(url: str, institution_key: str) -> int | None:
    """A resident whose record the institution keeps and whose timeline has hospital entries."""
    name = next(i.name for i in INSTITUTIONS if i.key == institution_key)
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            return session.execute(
                select(RecordEvent.person_id)
                .join(HealthRecord, HealthRecord.person_id == RecordEvent.person_id)
                .join(Institution, Institution.id == HealthRecord.institution_id)
                .where(Institution.name == name, RecordEvent.kind == "condition")
                .limit(1)
            ).scalar_one_or_none()
    finally:
        engine.dispose()


def test_worker_reads_filters_and_follows_the_timeline(
    login_as: OpenAs, live_database_url: str
) -> None:
    person = _resident_with_hospital_documents(live_database_url, "xysq")
    assert person, "the demo should push hospital documents for residents the centre keeps"
    page = login_as("phworker")
    page.goto(f"/console/residents/{person}")
    page.get_by_test_id("timeline-link").click()
    page.wait_for_url(re.compile(rf"/console/timeline/{person}$"))
    entries = page.get_by_test_id("timeline-entry")
    expect(entries.first).to_be_visible()
    assert entries.count() >= 3
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "records-timeline.png"), full_page=True)

    page.get_by_test_id("kind-condition").check()
    page.get_by_test_id("timeline-apply").click()
    page.wait_for_url(re.compile(r"kind=condition"))
    kinds = {entries.nth(n).get_attribute("data-kind") for n in range(entries.count())}
    assert kinds == {"condition"}
    page.screenshot(path=str(ARTIFACTS / "records-timeline-filtered.png"), full_page=True)

    page.get_by_test_id("timeline-source").first.click()
    page.wait_for_url(re.compile(r"/console/clinical/Condition/\d+$"))
    expect(page.get_by_test_id("document-facts")).to_contain_text("烟台毓璜顶医院")
    expect(page.get_by_test_id("document-json")).to_contain_text('"resourceType": "Condition"')
    page.screenshot(path=str(ARTIFACTS / "records-timeline-document.png"), full_page=True)
    page.get_by_test_id("document-timeline").click()
    page.wait_for_url(re.compile(rf"/console/timeline/{person}$"))


def test_the_timeline_is_found_by_id_number_and_refused_elsewhere(
    login_as: OpenAs, live_database_url: str
) -> None:
    person = _resident_with_hospital_documents(live_database_url, "xysq")
    assert person
    page = login_as("phworker")
    page.goto("/console")
    page.get_by_test_id("nav-/console/timeline").click()
    page.locator("#id_number").fill("370602199001011234")
    page.get_by_test_id("timeline-find").click()
    expect(page.get_by_test_id("timeline-error")).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "records-timeline-find.png"), full_page=True)
    stranger = login_as("phworker2")  # the township centre keeps no record of this resident
    answer = stranger.goto(f"/console/timeline/{person}")
    assert answer is not None
    assert answer.status == 404
