"""End-to-end fixtures: the platform served by uvicorn on a free port over a demo database, and
one headless Chromium per session driven by Playwright's sync API.

Without Chromium or Playwright the tests are skipped, unless HEALTHCARD_REQUIRE_BROWSER=1 (CI),
in which case they fail.
"""

from __future__ import annotations

import os
import re
import secrets
import socket
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable, Generator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import pytest
import uvicorn
from sqlalchemy.orm import Session

from healthcard.accounts import service as accounts_service
from healthcard.app import create_app
from healthcard.core import migrate
from healthcard.core.config import Settings
from healthcard.core.db import make_engine
from healthcard.demo import service as demo_service
from healthcard.demo.clinical import load_clinical
from healthcard.demo.programmes import load_programmes
from healthcard.demo.records import load_records
from tests.conftest import fresh_database

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
E2E_SECRET = "e2e-secret-key-that-is-long-enough-for-the-platform-0123456789"
HERE = Path(__file__).resolve().parent
# The e-card issuer keys' master key: one per test run, outside the repository.
MASTER_KEY = Path(tempfile.gettempdir()) / f"healthcard-e2e-master-{os.getpid()}.key"

StorageState = dict[str, Any]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test under tests/e2e is an end-to-end test."""
    for item in items:
        if HERE in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.e2e)


_REPORTS = pytest.StashKey[dict[str, pytest.TestReport]]()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Remember each phase's report on the item, so the page fixture knows if the test failed."""
    report = yield
    item.stash.setdefault(_REPORTS, {})[report.when] = report
    return report


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_until_up(base_url: str, thread: threading.Thread, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not thread.is_alive():
            raise RuntimeError("the e2e server thread stopped before answering /healthz")
        try:
            with urllib.request.urlopen(f"{base_url}/healthz", timeout=1) as answer:  # noqa: S310
                if answer.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.05)
    raise RuntimeError(f"the e2e server did not answer {base_url}/healthz within {timeout} s")


@pytest.fixture(scope="session")
def live_database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A fresh database, migrated, with permissions synchronised and the demo data loaded."""
    folder = tmp_path_factory.mktemp("e2e")
    MASTER_KEY.write_text(secrets.token_hex(16))
    with fresh_database(folder) as url:
        migrate.upgrade(url)
        engine = make_engine(url)
        try:
            with Session(engine) as session, session.begin():
                accounts_service.sync_permissions(session)
                demo_service.load(session, settings=_settings(url))
                demo_service.load_population(session, settings=_settings(url), persons=40)
                demo_service.load_cards(session, settings=_settings(url))
                load_records(session, settings=_settings(url))
                load_programmes(session, settings=_settings(url))  # after the records
                load_clinical(session, settings=_settings(url))  # last: needs records
        finally:
            engine.dispose()
        yield url
    MASTER_KEY.unlink(missing_ok=True)


def _settings(url: str) -> Settings:
    return Settings(
        environment="test",
        database_url=url,
        secret_key=E2E_SECRET,
        log_json=False,
        master_key_file=MASTER_KEY,
    )


@pytest.fixture(scope="session")
def live_server(live_database_url: str) -> Iterator[str]:
    """The platform served on 127.0.0.1 in a background thread; yields its base URL."""
    app = create_app(_settings(live_database_url))
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, name="e2e-uvicorn", daemon=True)
    thread.start()
    base_url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(base_url, thread)
        yield base_url
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def browser_unavailable(reason: str) -> NoReturn:
    """Skip the e2e tests, or fail them where a browser is required (HEALTHCARD_REQUIRE_BROWSER)."""
    if os.environ.get("HEALTHCARD_REQUIRE_BROWSER") == "1":
        pytest.fail(f"HEALTHCARD_REQUIRE_BROWSER=1 but {reason}", pytrace=False)
    pytest.skip(reason, allow_module_level=True)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """One headless Chromium for the whole session (the system's, never a downloaded one)."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        browser_unavailable("Playwright not installed: pip install playwright")
    if not CHROMIUM.exists():
        browser_unavailable(f"Chromium not installed at {CHROMIUM}: apt-get install -y chromium")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield chromium
        finally:
            chromium.close()


def _new_page(browser: Browser, base_url: str, storage_state: StorageState | None = None) -> Page:
    from playwright.sync_api import expect

    expect.set_options(timeout=5_000)
    context = browser.new_context(
        base_url=base_url,
        locale="zh-CN",
        viewport={"width": 1280, "height": 800},
        storage_state=storage_state,  # type: ignore[arg-type]
    )
    context.set_default_timeout(10_000)
    return context.new_page()


def _screenshot_on_failure(request: pytest.FixtureRequest, page: Page, suffix: str = "") -> None:
    reports = request.node.stash.get(_REPORTS, {})
    if not any(r.failed for r in reports.values()):
        return
    ARTIFACTS.mkdir(exist_ok=True)
    name = re.sub(r"[^\w.-]+", "_", request.node.nodeid.split("::", 1)[-1])
    page.screenshot(path=str(ARTIFACTS / f"failed-{name}{suffix}.png"), full_page=True)


def login_through_form(page: Page, username: str, password: str) -> None:
    """Fill in and submit the login form (the page must be on /login)."""
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("[data-testid=login-submit]")


@pytest.fixture
def page(request: pytest.FixtureRequest, browser: Browser, live_server: str) -> Iterator[Page]:
    """A fresh, logged-out browser context (locale zh-CN) and page for one test."""
    page = _new_page(browser, live_server)
    try:
        yield page
    finally:
        _screenshot_on_failure(request, page)
        page.context.close()


@pytest.fixture(scope="session")
def storage_states(browser: Browser, live_server: str) -> Callable[[str], StorageState]:
    """The cookies of a logged-in demo user, logged in once per session and then reused."""
    cache: dict[str, StorageState] = {}

    def state(username: str) -> StorageState:
        if username not in cache:
            page = _new_page(browser, live_server)
            try:
                page.goto("/login")
                login_through_form(page, username, demo_service.DEMO_PASSWORD)
                page.wait_for_url("**/console")
                cache[username] = dict(page.context.storage_state())
            finally:
                page.context.close()
        return cache[username]

    return state


@pytest.fixture
def login_as(
    request: pytest.FixtureRequest,
    browser: Browser,
    live_server: str,
    storage_states: Callable[[str], StorageState],
) -> Iterator[Callable[[str], Page]]:
    """Open a page already logged in as a demo user (contexts closed after the test)."""
    pages: list[Page] = []

    def open_as(username: str) -> Page:
        page = _new_page(browser, live_server, storage_states(username))
        pages.append(page)
        return page

    try:
        yield open_as
    finally:
        for number, page in enumerate(pages, start=1):
            _screenshot_on_failure(request, page, f"-{number}")
            page.context.close()
