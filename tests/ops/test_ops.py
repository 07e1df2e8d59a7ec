"""Health, readiness, metrics, request ids, FHIR metadata, offline assets."""

from __future__ import annotations

import json
import logging
import re

import pytest
from fastapi.testclient import TestClient


def test_healthz_and_readyz(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["database"] == "ok"
    assert ready.json()["revision"]


def test_readyz_reports_unreachable_database() -> None:
    from healthcard.app import create_app
    from healthcard.core.config import Settings

    app = create_app(
        Settings(environment="test", database_url="postgresql+psycopg://nobody@127.0.0.1:1/none")
    )
    with TestClient(app) as c:
        answer = c.get("/readyz")
    assert answer.status_code == 503
    assert answer.json()["database"] == "unreachable"


def test_metrics_count_requests_by_route(client: TestClient) -> None:
    client.get("/healthz")
    text = client.get("/metrics").text
    assert re.search(
        r'healthcard_http_requests_total\{method="GET",route="/healthz",status="200"\} \d', text
    )
    assert "healthcard_http_request_duration_seconds_bucket" in text


def test_request_id_is_echoed_or_made(client: TestClient) -> None:
    given = client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert given.headers["x-request-id"] == "abc-123"
    made = client.get("/healthz", headers={"X-Request-ID": "bad id with spaces"})
    assert re.fullmatch(r"[0-9a-f]{32}", made.headers["x-request-id"])


def test_access_log_is_json_with_request_id(
    client: TestClient, capsys: pytest.CaptureFixture[str]
) -> None:
    from healthcard.core import logging as hc_logging

    hc_logging.configure(level="INFO", json_output=True)
    try:
        client.get("/healthz", headers={"X-Request-ID": "log-check-1"})
        lines = [
            json.loads(line)
            for line in capsys.readouterr().err.splitlines()
            if line.startswith("{")
        ]
    finally:
        logging.getLogger().handlers.clear()
    record = next(line for line in lines if line.get("request_id") == "log-check-1")
    assert record["message"] == "request"
    assert record["status"] == 200
    assert record["route"] == "/healthz"


def test_fhir_capability_statement(client: TestClient) -> None:
    answer = client.get("/fhir/metadata")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/fhir+json")
    body = answer.json()
    assert body["resourceType"] == "CapabilityStatement"
    assert body["fhirVersion"] == "4.0.1"
    assert body["rest"][0]["mode"] == "server"


def test_capability_statement_lists_registered_resources() -> None:
    from healthcard.fhir import capability

    capability.register(capability.ResourceCapability("Basic", ["read"], [("code", "token", "")]))
    statement = capability.statement(base_url="http://x", software_version="0", published="2026")
    types = [r["type"] for r in statement["rest"][0]["resource"]]
    assert "Basic" in types
    del capability._RESOURCES["Basic"]


@pytest.mark.parametrize("path", ["/login", "/api/docs"])
def test_pages_load_nothing_from_the_internet(client: TestClient, path: str) -> None:
    page = client.get(path).text
    external = re.findall(r'(?:src|href)=["\'](https?:)?//', page)
    assert external == []
    for asset in re.findall(r'(?:src|href)=["\'](/static/[^"\']+)', page):
        assert client.get(asset).status_code == 200, asset


def test_api_docs_and_openapi(client: TestClient) -> None:
    spec = client.get("/api/openapi.json").json()
    assert "/oauth/token" in spec["paths"]
    assert "/api/v1/institutions" in spec["paths"]
    assert spec["paths"]["/api/v1/institutions"]["get"]["description"]
