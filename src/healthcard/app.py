"""create_app(): the platform as one ASGI application."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from sqlalchemy.orm import Session, sessionmaker

from healthcard import __version__
from healthcard.accounts import pages as accounts_pages
from healthcard.accounts import routes as accounts_routes
from healthcard.accounts.resolver import resolve_principal, resolve_principals
from healthcard.admin import pages as admin_pages
from healthcard.admin import routes as admin_routes
from healthcard.cards import pages as cards_pages
from healthcard.cards import routes as cards_routes
from healthcard.core import auth, handlers
from healthcard.core.config import Settings, get_settings
from healthcard.core.db import make_engine, make_session_factory
from healthcard.core.http import RequestContextMiddleware
from healthcard.divisions import pages as divisions_pages
from healthcard.divisions import routes as divisions_routes
from healthcard.ecard import pages as ecard_pages
from healthcard.ecard import routes as ecard_routes
from healthcard.fhir import clinical as fhir_clinical
from healthcard.fhir import patient as fhir_patient
from healthcard.fhir import routes as fhir_routes
from healthcard.identity import pages as identity_pages
from healthcard.identity import routes as identity_routes
from healthcard.ops import routes as ops_routes
from healthcard.records import pages as records_pages
from healthcard.records import routes as records_routes
from healthcard.records import timeline_pages as records_timeline_pages
from healthcard.records.programmes import pages as programmes_pages
from healthcard.records.programmes import routes as programmes_routes

STATIC_DIR = Path(__file__).resolve().parent / "static"

# Matched in this order, route by route: the e-card API (every counter's every scan) comes first.
ROUTERS = (
    ecard_routes.router,
    ops_routes.router,
    fhir_routes.router,
    fhir_patient.router,
    fhir_clinical.router,
    accounts_routes.router,
    divisions_routes.router,
    identity_routes.router,
    cards_routes.router,
    records_routes.router,
    programmes_routes.router,
    admin_routes.router,
    accounts_pages.router,
    divisions_pages.router,
    identity_pages.router,
    cards_pages.router,
    ecard_pages.router,
    records_pages.router,
    records_timeline_pages.router,
    programmes_pages.router,
    admin_pages.router,
)


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    # What start-up built (routes, models, metadata, templates, compiled SQL) lives as long as the
    # process. Frozen out of the collector's sight, it is no longer walked by every full
    # collection: with it, a full collection stalled every request in flight for ~150 ms
    # (seen under load, docs/benchmarks.md). Once per process.
    if app.state.settings.gc_freeze and not gc.get_freeze_count():
        gc.collect()
        gc.freeze()
    yield


def create_app(
    settings: Settings | None = None, *, session_factory: sessionmaker[Session] | None = None
) -> FastAPI:
    """Build the application for ``settings`` (the environment's by default).

    Tests pass a ``session_factory`` bound to a connection whose transaction they roll back.
    """
    settings = settings or get_settings()
    app = FastAPI(
        title="healthcard",
        version=__version__,
        description="居民健康卡与区域健康信息平台 API: one identity, one card, one QR code.",
        docs_url=None,  # served by ops.routes from vendored assets, not a CDN
        redoc_url=None,
        openapi_url="/api/openapi.json",
        lifespan=_lifespan,
    )
    app.state.settings = settings
    app.state.session_factory = session_factory or make_session_factory(
        make_engine(settings.database_url)
    )
    auth.set_resolver(resolve_principal, resolve_principals)
    handlers.install(app)
    for router in ROUTERS:
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.add_middleware(
        RequestContextMiddleware,
        max_body_bytes=settings.max_body_bytes,
        default_locale=settings.default_locale,
    )
    return app
