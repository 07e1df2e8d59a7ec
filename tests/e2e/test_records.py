"""The health-record pages in a real headless Chromium: a family, a record with its form and a
new examination, the migration inbox where the keeping institution confirms a request, the
bureau's queue, and the village doctor's own residents. Screenshots go to test-artifacts/."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime

from tests.e2e.conftest import ARTIFACTS, browser_unavailable

try:
    from playwright.sync_api import Page, expect
except ImportError:
    browser_unavailable("Playwright not installed: pip install playwright")

OpenAs = Callable[[str], Page]


def test_family_page_lists_members_with_relationships(login_as: OpenAs) -> None:
    page = login_as("phworker")
    page.goto("/console/families")
    rows = page.get_by_test_id("family-table").locator("tbody tr a")
    expect(rows.first).to_be_visible()
    rows.first.click()
    page.wait_for_url(re.compile(r"/console/families/\d+$"))
    members = page.get_by_test_id("member-table").locator("tbody tr")
    assert members.count() >= 2
    expect(members.first).to_contain_text("户主")
    page.screenshot(path=str(ARTIFACTS / "records-family.png"), full_page=True)


def test_record_page_and_a_new_examination(login_as: OpenAs) -> None:
    page = login_as("phworker")
    page.goto("/console/records?status=active")
    page.get_by_test_id("record-table").locator("tbody tr a").first.click()
    page.wait_for_url(re.compile(r"/console/records/\d+$"))
    expect(page.get_by_test_id("record-number")).to_have_text(re.compile(r"^\d{17}$"))
    expect(page.get_by_test_id("basic-info")).to_contain_text("民族")
    page.get_by_test_id("new-exam").click()
    page.fill("#f-exam_date", datetime.now(UTC).date().isoformat())
    page.fill("#f-bp_left\\.sbp", "152")
    page.fill("#f-bp_left\\.dbp", "96")
    page.fill("#f-height_cm", "168")
    page.fill("#f-weight_kg", "74")
    page.get_by_test_id("exam-save").click()
    page.wait_for_url(re.compile(r"/console/records/\d+\?exam=1$"))
    expect(page.get_by_test_id("exam-table")).to_contain_text("152/96")
    expect(page.get_by_test_id("exam-table")).to_contain_text("26.2")
    page.screenshot(path=str(ARTIFACTS / "records-record.png"), full_page=True)


def test_record_form_shows_errors_next_to_fields(login_as: OpenAs) -> None:
    page = login_as("phworker")
    page.goto("/console/records/new")
    page.fill("#f-person_id", "1")
    page.fill("#f-area_code", "370611001001")  # 福山区: not where this centre keeps records
    page.get_by_test_id("record-save").click()
    expect(page.locator('.field-error[data-field="area_code"]')).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "records-form-errors.png"), full_page=True)


def test_migration_inbox_confirm_and_bureau_queue(login_as: OpenAs) -> None:
    page = login_as("phworker2")
    page.goto("/console/migrations")
    incoming = page.get_by_test_id("incoming-table")
    expect(incoming).to_contain_text("待原机构确认")
    page.screenshot(path=str(ARTIFACTS / "records-migration-inbox.png"), full_page=True)
    incoming.locator("tbody tr a").first.click()
    page.wait_for_url(re.compile(r"/console/migrations/\d+$"))
    page.fill("#note", "同意迁出")
    page.get_by_test_id("confirm").click()
    expect(page.get_by_test_id("migration-status")).to_have_attribute("data-status", "completed")
    expect(page.get_by_test_id("step-table")).to_contain_text("原机构确认迁出")
    page.screenshot(path=str(ARTIFACTS / "records-migration-done.png"), full_page=True)

    bureau = login_as("bureau")
    bureau.goto("/console/migration-decisions")
    expect(bureau.get_by_test_id("decision-table")).to_contain_text("跨区县")
    bureau.screenshot(path=str(ARTIFACTS / "records-migration-bureau.png"), full_page=True)


def test_village_doctor_sees_own_residents_only(login_as: OpenAs) -> None:
    page = login_as("villagedoc")
    page.goto("/console/records")
    expect(page.get_by_role("status")).to_contain_text("乡村医生只看到本人负责的居民")
    page.screenshot(path=str(ARTIFACTS / "records-village-doctor.png"), full_page=True)


def test_coverage_page(login_as: OpenAs) -> None:
    page = login_as("phworker")
    page.goto("/console/records-coverage")
    expect(page.get_by_test_id("coverage-rates")).to_contain_text("建档率")
    page.screenshot(path=str(ARTIFACTS / "records-coverage.png"), full_page=True)
