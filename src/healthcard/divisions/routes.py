"""JSON API for administrative divisions."""

from __future__ import annotations

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict

from healthcard.core.errors import NotFound
from healthcard.core.session import DbSession
from healthcard.divisions import service
from healthcard.divisions.permissions import DivisionsRead

router = APIRouter(prefix="/api/v1/divisions", tags=["divisions"])


class DivisionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str
    name: str
    level: str
    parent_code: str | None
    valid_from: int | None
    valid_to: int | None


@router.get("", response_model=list[DivisionOut])
def list_divisions(
    session: DbSession,
    _: DivisionsRead,
    parent: str | None = Query(default=None, pattern=r"^\d{6}$"),
    q: str | None = Query(default=None, min_length=1, max_length=50),
    include_historical: bool = False,
) -> list[DivisionOut]:
    """Provinces, or the divisions under ``parent``; or search by name/code prefix with ``q``."""
    if q:
        rows = service.search(session, q)
    else:
        rows = service.children(session, parent, current_only=not include_historical)
    return [DivisionOut.model_validate(r) for r in rows]


@router.get("/{code}", response_model=DivisionOut)
def get_division(session: DbSession, _: DivisionsRead, code: str) -> DivisionOut:
    """One division by its six-digit code (historical codes included)."""
    division = service.get(session, code)
    if division is None:
        raise NotFound(f"行政区划代码 {code} 不存在。", code="division_not_found")
    return DivisionOut.model_validate(division)
