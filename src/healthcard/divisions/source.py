"""The national GB/T 2260 code list, read from python-stdnum's dated data (no copy of our own).

stdnum keeps every code since 1980 with the years each name was in force, e.g.
``0602 county="[1983-]芝罘区"``. We keep the latest name and the overall span of years.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import stdnum

_LOC_FILE = Path(stdnum.__file__).parent / "cn" / "loc.dat"
_SPAN = re.compile(r"^\[(\d{4})?-(\d{4})?\](.+)$")


@dataclass(frozen=True)
class DivisionRecord:
    code: str
    name: str
    level: str
    parent_code: str | None
    valid_from: int | None
    valid_to: int | None


def _spans(value: str) -> tuple[str, int | None, int | None]:
    """Latest name, first year, last year (None = still in force) of ``[1983-1994]A,[1995-]B``."""
    starts: list[int | None] = []
    ends: list[int | None] = []
    name = value
    for part in value.split(","):
        match = _SPAN.match(part)
        if match is None:
            starts.append(None)
            ends.append(None)
            name = part
            continue
        start, end, name = match.groups()
        starts.append(int(start) if start else None)
        ends.append(int(end) if end else None)
    first = None if None in starts else min(s for s in starts if s is not None)
    last = None if None in ends else max(e for e in ends if e is not None)
    return name, first, last


def national_divisions() -> list[DivisionRecord]:
    """Every province, prefecture and county code, parents before children."""
    provinces: list[DivisionRecord] = []
    others: list[tuple[str, str, int | None, int | None]] = []
    province = ""
    for line in _LOC_FILE.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        if not line.startswith(" "):
            province, attr = line.split(" ", 1)
            provinces.append(
                DivisionRecord(province + "0000", attr.split('"')[1], "province", None, None, None)
            )
            continue
        code, attr = line.strip().split(" ", 1)
        if code == "0000":
            continue
        name, first, last = _spans(attr.split('"')[1])
        others.append((province + code, name, first, last))
    codes = {p.code for p in provinces} | {o[0] for o in others}
    result = list(provinces)
    cities = [o for o in others if o[0].endswith("00")]
    counties = [o for o in others if not o[0].endswith("00")]
    for code, name, first, last in cities:
        result.append(DivisionRecord(code, name, "city", code[:2] + "0000", first, last))
    for code, name, first, last in counties:
        parent = code[:4] + "00" if code[:4] + "00" in codes else code[:2] + "0000"
        result.append(DivisionRecord(code, name, "county", parent, first, last))
    return result
