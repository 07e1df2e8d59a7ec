"""Console page for browsing administrative divisions."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from healthcard.core.i18n import N_
from healthcard.core.session import DbSession
from healthcard.core.templating import add_nav, render
from healthcard.divisions import service
from healthcard.divisions.permissions import DIVISIONS_READ, DivisionsRead

router = APIRouter(include_in_schema=False)
add_nav(N_("基础数据"), N_("行政区划"), "/console/divisions", DIVISIONS_READ, order=90)


@router.get("/console/divisions")
def divisions_page(
    request: Request,
    session: DbSession,
    _: DivisionsRead,
    parent: Annotated[str | None, Query(pattern=r"^\d{6}$")] = None,
    q: Annotated[str | None, Query(max_length=50)] = None,
) -> Response:
    """Provinces, or the divisions under one; or a search by name or code."""
    rows = service.search(session, q) if q else service.children(session, parent)
    current = service.describe(session, parent) if parent else None
    up = None
    if parent:
        division = service.get(session, parent)
        up = division.parent_code if division else None
    return render(
        request,
        "divisions/divisions.html",
        {"rows": rows, "current": current, "up": up, "q": q or ""},
    )
