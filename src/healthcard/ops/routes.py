"""Liveness, readiness and metrics for operators and their monitoring."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from healthcard.core.auth import Public
from healthcard.core.session import DbSession

router = APIRouter(tags=["operations"])


@router.get("/healthz")
def healthz(_: Public) -> dict[str, str]:
    """The process is up (does not touch the database)."""
    return {"status": "ok"}


@router.get("/readyz")
def readyz(session: DbSession, _: Public) -> JSONResponse:
    """The platform can serve: the database answers and is migrated."""
    try:
        revision = session.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except Exception as exc:
        return JSONResponse(
            {"status": "unavailable", "database": "unreachable", "error": type(exc).__name__},
            status_code=503,
        )
    if revision is None:
        return JSONResponse({"status": "unavailable", "database": "not migrated"}, status_code=503)
    return JSONResponse({"status": "ok", "database": "ok", "revision": revision})


@router.get("/metrics")
def metrics(_: Public) -> Response:
    """Prometheus metrics of this process (request counts, latencies)."""
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


@router.get("/api/docs", include_in_schema=False)
def api_docs(_: Public) -> HTMLResponse:
    """Interactive API documentation, served entirely from vendored assets (works offline)."""
    return get_swagger_ui_html(
        openapi_url="/api/openapi.json",
        title="healthcard API",
        swagger_js_url="/static/vendor/swagger-ui/swagger-ui-bundle.js",
        swagger_css_url="/static/vendor/swagger-ui/swagger-ui.css",
        swagger_favicon_url="/static/favicon.svg",
        oauth2_redirect_url=None,
        swagger_ui_parameters={"validatorUrl": None},
    )
