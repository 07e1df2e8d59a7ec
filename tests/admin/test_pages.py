"""The console shows each role its own menu, and the audit pages work for auditors."""

from __future__ import annotations

import csv
import io
import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.factories import create_staff, login

_DESK = {"/console/residents", "/console/register", "/console/divisions"}
_COUNTER = {*_DESK, "/console/ecards/verify"}  # staff at a counter verify e-card QR codes
# What keeps and works health records (居民健康档案) and the programmes (公共卫生).
_RECORDS = {
    "/console/records",
    "/console/families",
    "/console/timeline",
    "/console/programmes/tasks",
    "/console/programmes/enrolments",
    "/console/immunisations",
}
_PUBLIC_HEALTH = {"/console/infectious", "/console/programmes/activities"}
_KEEPING = {"/console/migrations", "/console/teams", "/console/records-coverage"}
MENUS = {
    "system_admin": {
        "/console/institutions",
        "/console/staff",
        "/console/roles",
        "/console/clients",
        "/console/audit",
        "/console/divisions",
        "/console/residents",
    },
    "institution_admin": {
        "/console/institutions",
        "/console/staff",
        "/console/divisions",
        *_RECORDS,
        *_KEEPING,
    },
    "card_operator": {"/console/institutions", "/console/cards", "/console/registry", *_COUNTER},
    "auditor": {
        "/console/institutions",
        "/console/audit",
        "/console/cards",
        "/console/divisions",
        "/console/break-glass-report",
    },
    "doctor": {*_COUNTER, *_RECORDS, *_PUBLIC_HEALTH, "/console/break-glass"},
    "nurse": {*_COUNTER, *_RECORDS},
    "public_health_worker": {*_DESK, *_RECORDS, *_PUBLIC_HEALTH, *_KEEPING},
    "cashier": _COUNTER,
    "data_steward": {"/console/residents", "/console/empi/reviews", "/console/divisions"},
    "village_doctor": {"/console/divisions", *_RECORDS, *_PUBLIC_HEALTH},
    "cdc_officer": {"/console/divisions", "/console/cdc/infectious"},
    "health_bureau": {
        "/console/divisions",
        "/console/migration-decisions",
        "/console/records-coverage",
    },
}


def _menu(html: str) -> set[str]:
    return set(re.findall(r'data-testid="nav-(/console/[a-z/-]+)"', html))


@pytest.mark.parametrize(("role", "menu"), MENUS.items())
def test_menu_by_role(client: TestClient, session: Session, role: str, menu: set[str]) -> None:
    create_staff(session, username=f"u_{role}", roles=[role])
    login(client, f"u_{role}")
    home = client.get("/console")
    assert home.status_code == 200
    assert _menu(home.text) == menu
    for url in menu:
        assert client.get(url).status_code == 200, url
    for url in set().union(*MENUS.values()) - menu:
        assert client.get(url).status_code == 403, url


def test_auditor_searches_and_exports(client: TestClient, session: Session) -> None:
    create_staff(session, username="watcher", roles=["auditor"])
    login(client, "nobody-here", "Wrong!Passw0rd")
    login(client, "watcher")
    page = client.get("/console/audit", params={"action": "login.failed"})
    assert page.status_code == 200
    assert "nobody-here" in page.text
    assert "login.failed" in page.text
    partial = client.get(
        "/console/audit", params={"outcome": "failure"}, headers={"HX-Request": "true"}
    )
    assert "<html" not in partial.text
    assert 'data-testid="audit-table"' in partial.text
    exported = client.get("/console/audit/export.csv", params={"action": "login."})
    assert exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert {r["action"] for r in rows} <= {"login.failed", "login.success"}
    assert any(r["actor_name"] == "nobody-here" for r in rows)
    assert all(len(r["hash"]) == 64 for r in rows)
    verified = client.post("/console/audit/verify")
    assert 'data-testid="verify-ok"' in verified.text


def test_audit_api_for_security_tools(client: TestClient, session: Session) -> None:
    create_staff(session, username="watcher2", roles=["auditor"])
    login(client, "watcher2")
    answer = client.get(
        "/api/v1/audit-events",
        params={"action": "login.success"},
        headers={"Accept": "application/json"},
    )
    assert answer.status_code == 200
    body = answer.json()
    assert body["total"] >= 1
    assert body["items"][0]["action"] == "login.success"
    bad = client.get("/api/v1/audit-events", params={"since": "2026-13-01"})
    assert bad.status_code == 422


def test_divisions_browse(client: TestClient, session: Session) -> None:
    create_staff(session, username="docdiv", roles=["doctor"])
    login(client, "docdiv")
    page = client.get("/console/divisions", params={"parent": "370600"})
    assert "芝罘区" in page.text
    assert "370602" in page.text
    assert "长岛县" not in page.text  # abolished in 2020: not offered
    api = client.get(
        "/api/v1/divisions", params={"q": "烟台"}, headers={"Accept": "application/json"}
    )
    assert any(d["code"] == "370600" for d in api.json())
    historical = client.get("/api/v1/divisions/370634", headers={"Accept": "application/json"})
    assert historical.json()["valid_to"] == 2020


def test_language_switch(client: TestClient, session: Session) -> None:
    create_staff(session, username="docen", roles=["doctor"])
    login(client, "docen")
    answer = client.get(
        "/lang/en",
        headers={"Referer": "http://testserver/console/divisions"},
        follow_redirects=False,
    )
    assert answer.headers["location"] == "/console/divisions"
    assert client.cookies.get("hc_lang") == "en"
