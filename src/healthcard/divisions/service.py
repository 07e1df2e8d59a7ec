"""GB/T 2260 administrative divisions: look-ups and validation for other domains."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy.orm import Session

from healthcard.divisions import repository
from healthcard.divisions.source import national_divisions
from healthcard.models import Division


@dataclass(frozen=True)
class DivisionPath:
    """A division with its ancestors, e.g. 山东省 / 烟台市 / 芝罘区."""

    code: str
    name: str
    level: str
    current: bool
    full_name: str


@lru_cache(maxsize=1)
def years_in_force() -> dict[str, tuple[int | None, int | None]]:
    """Every GB/T 2260 code ever used -> (first, last) year in force (None: open-ended).

    Read from the reference list itself (no database), so validators can use it anywhere.
    """
    return {d.code: (d.valid_from, d.valid_to) for d in national_divisions()}


def get(session: Session, code: str) -> Division | None:
    """The division with ``code``, current or historical."""
    return repository.get(session, code)


def describe(session: Session, code: str) -> DivisionPath | None:
    """The division and its ancestors' names joined, or None if the code is unknown."""
    division = repository.get(session, code)
    if division is None:
        return None
    names = [division.name]
    parent = division.parent_code
    while parent is not None:
        ancestor = repository.get(session, parent)
        if ancestor is None:
            break
        if ancestor.name not in ("市辖区", "县"):
            names.append(ancestor.name)
        parent = ancestor.parent_code
    return DivisionPath(
        code=division.code,
        name=division.name,
        level=division.level,
        current=division.valid_to is None,
        full_name=" / ".join(reversed(names)),
    )


def check_current(session: Session, code: str) -> str | None:
    """Why ``code`` cannot be used for a new record, or None when it is a current code."""
    division = repository.get(session, code)
    if division is None:
        return f"行政区划代码 {code} 不存在（GB/T 2260）。"
    if division.valid_to is not None:
        return (
            f"行政区划代码 {code}（{division.name}）已于 {division.valid_to} 年撤销，"
            "请使用现行代码。"
        )
    return None


def children(
    session: Session, parent_code: str | None, *, current_only: bool = True
) -> Sequence[Division]:
    """Provinces (parent None), or the cities/counties directly under ``parent_code``."""
    return repository.children(session, parent_code, current_only=current_only)


def search(session: Session, text: str, *, limit: int = 20) -> Sequence[Division]:
    """Current divisions whose name contains ``text`` or whose code starts with it."""
    return repository.search(session, text, limit=limit)
