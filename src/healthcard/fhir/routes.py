"""FHIR R4 endpoints. Resource modules of later domains register their routers here."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from healthcard import __version__
from healthcard.core.auth import Public
from healthcard.fhir import capability

router = APIRouter(prefix="/fhir", tags=["fhir"])
_STARTED = datetime.now(UTC).isoformat(timespec="seconds")


@router.get("/metadata")
def metadata(request: Request, _: Public) -> JSONResponse:
    """The server's CapabilityStatement (open to anyone, as FHIR requires)."""
    base = str(request.base_url).rstrip("/")
    body = capability.statement(base_url=base, software_version=__version__, published=_STARTED)
    return JSONResponse(body, media_type="application/fhir+json")
