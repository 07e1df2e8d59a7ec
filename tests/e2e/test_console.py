"""The web console in a real headless Chromium: login per role, lockout, institutions with the
htmx live search, the audit chain check, the language switch, and screenshots for a human eye."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from healthcard.core.db import make_engine
from healthcard.demo.service import DEMO_PASSWORD, LOGINS, DemoLogin, demo_uscc
from healthcard.models import ECard
from tests.admin.test_pages import MENUS
from tests.e2e.conftest import ARTIFACTS, browser_unavailable, login_through_form
from tests.factories import create_staff

try:
    from playwright.sync_api import Page, expect
except ImportError:
    browser_unavailable("Playwright not installed: pip install playwright")

_serial = itertools.count(88_000_001)
OpenAs = Callable[[str], Page]


def _menu(page: Page) -> set[str]:
    links = page.locator('[data-testid^="nav-/console/"]')
    return {str(link.get_attribute("data-testid")).removeprefix("nav-") for link in links.all()}


@pytest.mark.parametrize("demo", LOGINS, ids=[login.username for login in LOGINS])
def test_login_shows_the_roles_menu_and_logout(page: Page, demo: DemoLogin) -> None:
    page.goto("/login")
    login_through_form(page, demo.username, DEMO_PASSWORD)
    page.wait_for_url(re.compile(r"/console$"))
    expect(page.get_by_test_id("welcome")).to_contain_text(demo.name)
    assert _menu(page) == MENUS[demo.role]

    page.get_by_test_id("logout").click()
    page.wait_for_url(re.compile(r"/login\?bye=1$"))
    expect(page.get_by_test_id("login-submit")).to_be_visible()
    assert page.get_by_test_id("logout").count() == 0
    page.goto("/console")
    expect(page).to_have_url(re.compile(r"/login"))  # the session really ended


def test_wrong_password_is_refused(page: Page) -> None:
    page.goto("/login")
    login_through_form(page, "nurse", "Wrong!Passw0rd")
    error = page.get_by_test_id("login-error")
    expect(error).to_contain_text("用户名或密码错误")
    expect(page.locator("#username")).to_have_value("nurse")


def test_five_wrong_passwords_lock_the_account(page: Page, live_database_url: str) -> None:
    engine = make_engine(live_database_url)
    try:
        with Session(engine) as session:
            create_staff(session, username="e2e-lockme", roles=["doctor"])
    finally:
        engine.dispose()
    page.goto("/login")
    for _ in range(5):
        login_through_form(page, "e2e-lockme", "Wrong!Passw0rd")
        expect(page.locator("#password")).to_have_value("")  # the answer page has loaded
        expect(page.get_by_test_id("login-error")).to_be_visible()
    error = page.get_by_test_id("login-error")
    expect(error).to_have_attribute("data-code", "account_locked")
    expect(error).to_contain_text("锁定")


def test_admin_registers_an_institution_and_finds_it(login_as: OpenAs) -> None:
    page = login_as("admin")
    serial = next(_serial)
    name = f"烟台芝罘区端到端测试医院{serial}"
    uscc = demo_uscc("370602", serial)

    page.goto("/console/institutions")
    page.get_by_test_id("new-institution").click()
    page.wait_for_url(re.compile(r"/console/institutions/new$"))
    page.fill("#f-uscc", uscc)
    page.fill("#f-name", name)
    page.select_option("#f-kind", "hospital")
    page.fill("#f-division_code", "370602")
    page.get_by_test_id("save").click()

    page.wait_for_url(re.compile(r"/console/institutions/\d+\?created=1$"))
    expect(page.locator("h1")).to_have_text(name)
    expect(page.locator("main")).to_contain_text(uscc)
    expect(page.locator("main")).to_contain_text("芝罘区")

    page.fill("#f-code", "E2E")
    page.fill("#f-name", "端到端科")
    page.get_by_test_id("add-department").click()
    departments = page.get_by_test_id("department-table")
    expect(departments).to_contain_text("E2E")
    expect(departments).to_contain_text("端到端科")

    page.goto("/console/institutions")
    page.evaluate("window.__e2eSamePage = true")  # gone if the search reloads the page
    page.locator("#q").press_sequentially(str(serial), delay=20)
    rows = page.locator("#rows tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(name)
    expect(page).to_have_url(re.compile(rf"q={serial}"))  # hx-push-url
    assert page.evaluate("window.__e2eSamePage") is True


def test_bad_credit_code_is_refused(login_as: OpenAs) -> None:
    page = login_as("admin")
    good = demo_uscc("370602", next(_serial))
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    page.goto("/console/institutions/new")
    page.fill("#f-uscc", bad)
    page.fill("#f-name", "校验码错误的医院")
    page.select_option("#f-kind", "hospital")
    page.fill("#f-division_code", "370602")
    page.get_by_test_id("save").click()
    expect(page.locator(".field-error[data-field=uscc]")).to_be_visible()
    expect(page.locator("#f-uscc")).to_have_value(bad)
    expect(page).to_have_url(re.compile(r"/console/institutions/new$"))


def test_auditor_verifies_the_audit_chain(login_as: OpenAs) -> None:
    page = login_as("auditor")
    page.goto("/console/audit")
    table = page.get_by_test_id("audit-table")
    expect(table).to_be_visible()
    assert table.locator("tbody tr").count() > 0
    page.evaluate("window.__e2eSamePage = true")
    page.get_by_test_id("audit-verify").click()
    expect(page.get_by_test_id("verify-ok")).to_be_visible()
    assert page.evaluate("window.__e2eSamePage") is True  # swapped in by htmx, no page load


def test_language_switch_sticks(login_as: OpenAs) -> None:
    page = login_as("doctor")
    page.goto("/console/divisions")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    page.get_by_test_id("lang-en").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page).to_have_url(re.compile(r"/console/divisions$"))  # back where we were
    page.goto("/console")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_test_id("lang-zh_Hans")).to_be_visible()


def test_screenshots_of_the_admin_console(login_as: OpenAs) -> None:
    page = login_as("admin")
    ARTIFACTS.mkdir(exist_ok=True)
    shots: list[Path] = []
    for url, name in (("/console", "admin-dashboard"), ("/console/institutions", "institutions")):
        page.goto(url)
        expect(page.get_by_test_id("nav")).to_be_visible()
        path = ARTIFACTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        shots.append(path)
    assert all(p.stat().st_size > 1_000 for p in shots)


def test_steward_works_the_review_queue(login_as: OpenAs) -> None:
    page = login_as("steward")
    page.goto("/console/empi/reviews")
    table = page.get_by_test_id("review-table")
    expect(table).to_be_visible()
    assert table.locator("tbody tr a").count() > 0, "the demo should leave pairs to review"
    table.locator("tbody tr a").first.click()
    pair = page.get_by_test_id("pair-table")
    expect(pair).to_be_visible()
    assert pair.locator("tr[data-agrees=yes]").count() > 0
    assert pair.locator("tr[data-agrees=no], tr[data-agrees=neutral]").count() > 0
    page.screenshot(path=str(ARTIFACTS / "review-pair.png"), full_page=True)
    page.get_by_test_id("decide-same").click()
    expect(page.get_by_test_id("merged-ok")).to_be_visible()
    page.get_by_test_id("undo-merge").first.click()
    expect(page.get_by_test_id("unmerged-ok")).to_be_visible()
    expect(page.get_by_test_id("undo-merge")).to_have_count(0)


def test_desk_registers_and_finds_a_resident(login_as: OpenAs) -> None:
    page = login_as("doctor")
    page.goto("/console/register")
    page.fill("#f-local_id", "E2E-0001")
    page.fill("#f-name", "端木晓晴")
    page.select_option("#f-sex", "2")
    page.fill("#f-birth_date", "1991-07-15")
    page.fill("#f-phone", "13912345678")
    page.get_by_test_id("register").click()
    result = page.get_by_test_id("register-result")
    expect(result).to_have_attribute("data-outcome", "created")
    page.goto("/console/residents?name=duanmuxiaoqing")
    rows = page.get_by_test_id("resident-table").locator("tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("139****5678")


def _demo_ecard_holder(url: str) -> int:
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            return int(
                session.scalars(
                    select(ECard.person_id).where(ECard.status == "active").order_by(ECard.id)
                ).first()
                or 0
            )
    finally:
        engine.dispose()


def test_card_operator_shows_and_verifies_a_qr_code(
    login_as: OpenAs, live_database_url: str
) -> None:
    person = _demo_ecard_holder(live_database_url)
    assert person, "the demo should open e-cards for the holders of active cards"
    page = login_as("cardop")
    page.goto(f"/console/residents/{person}")
    page.get_by_test_id("ecard-link").click()
    expect(page.get_by_test_id("ecard-status")).to_contain_text("有效")
    page.get_by_test_id("qr-generate").click()
    expect(page.locator("[data-testid=qr-code] svg")).to_be_visible()
    expect(page.get_by_test_id("qr-countdown")).to_contain_text("有效期剩余")
    payload = page.get_by_test_id("qr-payload").input_value()
    assert payload.startswith("HC1:")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "ecard.png"), full_page=True)

    page.get_by_test_id("nav-/console/ecards/verify").click()
    page.get_by_test_id("verify-payload").fill(payload)
    page.get_by_test_id("verify-terminal").select_option("KZX-CARD-01")
    expect(page.get_by_test_id("verify-use")).to_have_value("card_service")
    page.get_by_test_id("verify-submit").click()
    result = page.get_by_test_id("verify-result")
    expect(result).to_have_attribute("data-outcome", "accepted")
    page.screenshot(path=str(ARTIFACTS / "ecard-verify.png"), full_page=True)
    page.get_by_test_id("verify-submit").click()
    expect(result).to_have_attribute("data-code", "qr_replayed")
    expect(result).to_contain_text("此动态二维码已被使用")

    page.goto("/console/cards")
    for state in ("approved", "in_production", "produced", "issued", "active", "lost"):
        assert int(page.locator(f"[data-state={state}]").inner_text()) > 0, state
    page.screenshot(path=str(ARTIFACTS / "cards-centre.png"), full_page=True)
