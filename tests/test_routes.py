"""Every route declares who may call it: a permission dependency, or deliberately Public."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts

from healthcard.core.auth import DeferredPermissionCheck, PermissionCheck, PublicAccess

# FastAPI's own documentation routes: not ours, they serve the OpenAPI description.
FRAMEWORK_ROUTES = {
    "/api/openapi.json",
    "/openapi.json",
    "/docs",
    "/docs/oauth2-redirect",
    "/redoc",
}


def _guards(dependant: Dependant) -> list[object]:
    found = (
        [dependant.call]
        if isinstance(dependant.call, PermissionCheck | DeferredPermissionCheck | PublicAccess)
        else []
    )
    for sub in dependant.dependencies:
        found.extend(_guards(sub))
    return found


def _routes(app: FastAPI) -> list[APIRoute]:
    routes = []
    for context in iter_route_contexts(app.routes):
        route = context.route
        if isinstance(route, APIRoute):
            routes.append(route)
        else:
            assert context.path in FRAMEWORK_ROUTES or context.path == "/static", context.path
    return routes


def test_every_route_declares_a_permission_or_public(app: FastAPI) -> None:
    routes = _routes(app)
    assert len(routes) > 40
    unguarded = [f"{sorted(r.methods)} {r.path}" for r in routes if not _guards(r.dependant)]
    assert unguarded == []


def test_public_routes_are_the_expected_few(app: FastAPI) -> None:
    public = sorted(
        f"{sorted(r.methods)[0]} {r.path}"
        for r in _routes(app)
        if any(isinstance(g, PublicAccess) for g in _guards(r.dependant))
    )
    assert public == [
        "GET /",
        "GET /api/docs",
        "GET /api/v1/ecards/keys",
        "GET /fhir/metadata",
        "GET /healthz",
        "GET /lang/{code}",
        "GET /login",
        "GET /login/totp",
        "GET /metrics",
        "GET /readyz",
        "POST /login",
        "POST /login/totp",
        "POST /logout",
        "POST /oauth/token",
    ]


def test_the_walk_notices_an_unguarded_route() -> None:
    """The check above can fail: a route without a guard is reported."""
    from fastapi import APIRouter

    router = APIRouter()

    @router.get("/naked")
    def naked() -> dict[str, str]:
        return {}

    app = FastAPI()
    app.include_router(router)
    route = next(r for r in _routes(app) if r.path == "/naked")
    assert _guards(route.dependant) == []
