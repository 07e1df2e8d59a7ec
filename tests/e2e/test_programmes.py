"""The public-health worker's pages in a real headless Chromium: the task list, a follow-up form
that flags an emergency referral, a child's immunisations with the certificate, and the CDC's
list of late infectious-disease reports. Screenshots go to test-artifacts/ for a human eye."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from healthcard.core.db import make_engine
from healthcard.core.principal import Principal
from healthcard.identity import service as identity_service
from healthcard.identity.schemas import IdentifierIn, RegistrationIn
from healthcard.models import Institution
from healthcard.records.programmes import service as programmes
from healthcard.records.programmes.schemas import EnrolmentIn, ReportIn
from healthcard.records.programmes.service.common import today
from healthcard.records.schemas import RecordIn
from healthcard.records.service import records as records_service
from tests.e2e.conftest import ARTIFACTS, _settings, browser_unavailable

try:
    from playwright.sync_api import Page, expect
except ImportError:
    browser_unavailable("Playwright not installed: pip install playwright")

OpenAs = Callable[[str], Page]
XYSQ = "烟台市芝罘区向阳街道社区卫生服务中心"


@dataclass(frozen=True)
class Scenario:
    adult: int
    adult_name: str
    child: int
    child_name: str


def _record(session: Session, url: str, actor: Principal, person_id: int) -> None:
    if records_service.record_for_person(session, person_id) is None:
        data = RecordIn(person_id=person_id, area_code="370602001002")
        records_service.create_record(session, settings=_settings(url), actor=actor, data=data)


@pytest.fixture(scope="module")
def scenario(live_database_url: str) -> Scenario:
    """An adult with an overdue hypertension visit and a five-month-old child with one dose, both
    kept by the community centre; and a late cholera report from the hospital."""
    engine = make_engine(live_database_url)
    try:
        with Session(engine) as session, session.begin():
            centre = session.scalars(select(Institution).where(Institution.name == XYSQ)).one()
            actor = Principal(
                kind="system", id=0, name="e2e", institution_id=centre.id, platform_wide=True
            )
            born = today() - timedelta(days=150)
            child = identity_service.register(
                session,
                settings=_settings(live_database_url),
                actor=actor,
                data=RegistrationIn(
                    identifier=IdentifierIn(value="E2E-CHILD-1"),
                    name="孙小雨",
                    sex="2",
                    birth_date=born,
                ),
            ).person.id
            adult_person = identity_service.register(
                session,
                settings=_settings(live_database_url),
                actor=actor,
                data=RegistrationIn(
                    identifier=IdentifierIn(value="E2E-ADULT-1"),
                    name="赵建华",
                    sex="1",
                    birth_date=today().replace(year=today().year - 62, day=5),
                ),
            ).person
            assert adult_person is not None
            for person_id in (adult_person.id, child):
                _record(session, live_database_url, actor, person_id)
            if not any(
                e.programme == "hypertension" and e.status == "active"
                for e in programmes.enrolments_of(session, actor=actor, person_id=adult_person.id)
            ):
                programmes.enrol(
                    session,
                    actor=actor,
                    data=EnrolmentIn(
                        person_id=adult_person.id,
                        programme="hypertension",
                        enrolled_on=today() - timedelta(days=30),
                    ),
                )
            programmes.record_immunisation(
                session,
                actor=actor,
                person_id=child,
                vaccine_code="HepB",
                dose_number=1,
                given_on=born,
                institution_id=centre.id,
                lot_number="E2E001",
                source="console",
            )
            doctor = Principal(
                kind="system", id=0, name="王建国", institution_id=centre.id, platform_wide=True
            )
            diagnosed = datetime.now(UTC) - timedelta(hours=6)
            programmes.file_report(
                session,
                actor=doctor,
                data=ReportIn(
                    person_id=adult_person.id,
                    disease_code="cholera",
                    case_classification="confirmed",
                    onset_on=diagnosed.date() - timedelta(days=1),
                    diagnosed_at=diagnosed,
                ),
            )
            return Scenario(adult_person.id, adult_person.name, child, "孙小雨")
    finally:
        engine.dispose()


def test_task_list_and_a_follow_up_with_an_emergency_referral(
    login_as: OpenAs, scenario: Scenario
) -> None:
    page = login_as("phworker")
    page.goto("/console")
    expect(page.get_by_test_id("nav-/console/programmes/tasks")).to_be_visible()
    page.get_by_test_id("nav-/console/programmes/tasks").click()
    expect(page.get_by_role("heading", name="档案任务")).to_be_visible()
    row = page.get_by_test_id("task-row").filter(has_text=scenario.adult_name).first
    expect(row).to_contain_text("逾期 16 天")
    assert int(page.get_by_test_id("count-overdue").inner_text()) >= 1
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "programmes-tasks.png"), full_page=True)

    row.get_by_test_id("open-followup").click()
    expect(page.get_by_test_id("followup-form")).to_be_visible()
    page.get_by_test_id("f-sbp").fill("186")
    page.get_by_test_id("f-dbp").fill("104")
    page.get_by_test_id("f-heart_rate").fill("88")
    page.get_by_label("头痛头晕").check()
    page.get_by_test_id("f-medication_adherence").select_option("intermittent")
    page.screenshot(path=str(ARTIFACTS / "programmes-followup-form.png"), full_page=True)
    page.get_by_test_id("followup-submit").click()
    page.wait_for_url(re.compile(r"/console/programmes/followups/\d+\?saved=1$"))
    expect(page.get_by_test_id("classification")).to_contain_text("控制不满意")
    expect(page.get_by_test_id("referral-reasons")).to_contain_text("收缩压≥180mmHg，紧急转诊")
    expect(page.get_by_test_id("rule-version")).to_have_text("nbphs-2017")
    page.screenshot(path=str(ARTIFACTS / "programmes-followup-done.png"), full_page=True)


def test_follow_up_form_shows_errors_per_field(login_as: OpenAs, scenario: Scenario) -> None:
    page = login_as("phworker")
    page.goto(f"/console/programmes/residents/{scenario.adult}")
    due = page.get_by_test_id("visit-row").filter(has=page.locator("text=填写")).first
    due.get_by_role("link", name="填写").click()
    page.get_by_test_id("f-sbp").fill("400")
    page.get_by_test_id("f-dbp").fill("90")
    page.get_by_test_id("followup-submit").click()
    expect(page.locator("[data-field=sbp]")).to_contain_text("不能大于 300")
    expect(page.get_by_test_id("f-sbp")).to_have_value("400")


def test_child_immunisations_and_certificate(login_as: OpenAs, scenario: Scenario) -> None:
    page = login_as("phworker")
    page.goto(f"/console/immunisations/{scenario.child}")
    expect(page.get_by_test_id("schedule-version")).to_have_text("nip-2021")
    hepb2 = page.locator("[data-testid=dose-row][data-vaccine=HepB][data-dose='2']")
    expect(hepb2).to_have_attribute("data-status", "overdue")
    assert int(page.get_by_test_id("overdue-count").inner_text()) >= 3
    page.screenshot(path=str(ARTIFACTS / "programmes-immunisation.png"), full_page=True)

    page.get_by_test_id("dose-select").select_option("HepB:2")
    page.fill("#given_on", str(today()))
    page.fill("#lot_number", "202409B017")
    page.get_by_test_id("dose-submit").click()
    expect(page.get_by_role("status")).to_contain_text("已登记接种")
    expect(hepb2).to_have_attribute("data-status", "given")

    page.get_by_test_id("certificate-link").click()
    expect(page.get_by_test_id("certificate")).to_contain_text(scenario.child_name)
    expect(page.get_by_test_id("certificate-doses")).to_contain_text("202409B017")
    page.screenshot(path=str(ARTIFACTS / "programmes-certificate.png"), full_page=True)
    page.emulate_media(media="print")
    expect(page.get_by_test_id("print")).to_be_hidden()
    page.screenshot(path=str(ARTIFACTS / "programmes-certificate-print.png"), full_page=True)


def test_cdc_sees_late_reports(login_as: OpenAs, scenario: Scenario) -> None:
    page = login_as("cdc")
    page.goto("/console/cdc/infectious")
    assert int(page.get_by_test_id("late-count").inner_text()) >= 1
    page.get_by_test_id("late-filter").click()
    late = page.locator("[data-testid=report-row][data-late=true]").first
    expect(late).to_contain_text("霍乱")
    expect(late.get_by_test_id("late")).to_have_text("迟报")
    page.screenshot(path=str(ARTIFACTS / "programmes-cdc.png"), full_page=True)
    late.get_by_role("button", name="审核通过").click()
    expect(page.get_by_role("status")).to_contain_text("已审核")
    assert scenario.adult
