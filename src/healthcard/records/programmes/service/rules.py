"""The programme rules as versioned data: JSON files in ``records/programmes/rules/``, validated
by the models below and read once per file version. A new edition is a new file with a later
``effective_from``; nothing in the code names an edition."""

from __future__ import annotations

import calendar
import json
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

_T = TypeVar("_T")
RULES_DIR = Path(__file__).resolve().parent.parent / "rules"

Kind = Literal["programmes", "immunisation", "notifiable_diseases"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Interval(_Strict):
    """A span of calendar time; months and years clamp to the month's end (Jan 31 + 1 month =
    Feb 28/29)."""

    years: int = 0
    months: int = 0
    days: int = 0

    def after(self, start: date) -> date:
        """``start`` moved forward by this interval."""
        months = start.month - 1 + self.months + 12 * self.years
        year, month = start.year + months // 12, months % 12 + 1
        day = min(start.day, calendar.monthrange(year, month)[1])
        return date(year, month, day) + timedelta(days=self.days)


class Condition(_Strict):
    """``field op value`` over a visit's values; a missing value never satisfies it."""

    field: str
    op: Literal[">=", "<=", ">", "<", "==", "!=", "in", "contains"]
    value: float | bool | str | list[str]
    reason: str | None = None
    emergency: bool = True

    def holds(self, values: dict[str, Any]) -> bool:
        given = values.get(self.field)
        if given is None:
            return False
        if self.op == "contains":
            return isinstance(given, list) and self.value in given
        if self.op == "in":
            return isinstance(self.value, list) and given in self.value
        if self.op == "==":
            return bool(given == self.value)
        if self.op == "!=":
            return bool(given != self.value)
        if isinstance(given, bool) or not isinstance(given, int | float):
            return False
        if isinstance(self.value, bool) or not isinstance(self.value, int | float):
            return False
        return _compare(float(given), self.op, float(self.value))


def _compare(given: float, op: str, value: float) -> bool:
    return {
        ">=": given >= value,
        "<=": given <= value,
        ">": given > value,
        "<": given < value,
    }[op]


class ControlBand(_Strict):
    """The control target for residents aged ``min_age`` and over (first matching band wins)."""

    min_age: int | None = None
    all: list[Condition]


class ClassRule(_Strict):
    """One outcome of a visit: the first rule that applies (in file order) classifies it."""

    code: str
    label: str
    any: list[Condition] = []
    not_controlled: bool = False
    default: bool = False


class Check(_Strict):
    """A check on a fixed schedule: due ``due`` after the anchor (birth, LMP, delivery)."""

    code: str
    label: str
    anchor: Literal["birth", "lmp", "delivery"]
    due: Interval


class Phase(_Strict):
    """A treatment phase: visits every ``every`` until ``until`` after the treatment start."""

    label: str
    until: Interval
    every: Interval


class Symptom(_Strict):
    label: str
    emergency: bool = False


class Consecutive(_Strict):
    codes: list[str]
    count: int = Field(ge=2)
    reason: str


class Eligibility(_Strict):
    min_age_years: int | None = None
    max_age_years: int | None = None
    sex: str | None = None


class ProgrammeRule(_Strict):
    """How one programme schedules, classifies and refers."""

    name: str
    eligibility: Eligibility
    schedule: Literal["by_classification", "checks", "every", "phases"]
    first_visit: Interval | None = None
    next_by_classification: dict[str, Interval] = {}
    every: Interval | None = None
    checks: list[Check] = []
    phases: list[Phase] = []
    visits_per_year: int | None = None
    # Values a visit cannot be judged without (a hospital measurement may supply them).
    required: list[str] = []
    symptoms: dict[str, Symptom] = {}
    referral: list[Condition] = []
    control: list[ControlBand] = []
    classification: list[ClassRule] = []
    refer_on_classification: dict[str, str] = {}
    refer_after_consecutive: Consecutive | None = None

    @model_validator(mode="after")
    def _schedule_complete(self) -> ProgrammeRule:
        needs = {
            "by_classification": self.first_visit is not None
            and {c.code for c in self.classification} <= set(self.next_by_classification),
            "checks": bool(self.checks),
            "every": self.every is not None and self.first_visit is not None,
            "phases": bool(self.phases) and self.first_visit is not None,
        }
        if not needs[self.schedule]:
            raise ValueError(f"schedule {self.schedule!r} lacks its intervals or checks")
        return self

    def class_label(self, code: str | None) -> str:
        return next((c.label for c in self.classification if c.code == code), code or "")

    def check(self, code: str) -> Check | None:
        return next((c for c in self.checks if c.code == code), None)


class _Versioned(_Strict):
    version: str = Field(pattern=r"^[a-z0-9][a-z0-9.-]{1,39}$")
    title: str
    effective_from: date
    notes: str | None = None


class ProgrammeRules(_Versioned):
    kind: Literal["programmes"]
    programmes: dict[str, ProgrammeRule]


class Dose(_Strict):
    dose: int = Field(ge=1)
    age: Interval
    min_interval_days: int = 0


class Vaccine(_Strict):
    code: str
    name: str
    disease: str
    doses: list[Dose]

    def dose(self, number: int) -> Dose | None:
        return next((d for d in self.doses if d.dose == number), None)


class ImmunisationSchedule(_Versioned):
    kind: Literal["immunisation"]
    overdue_after: Interval
    vaccines: list[Vaccine]
    sites: dict[str, str]

    def vaccine(self, code: str) -> Vaccine | None:
        return next((v for v in self.vaccines if v.code == code), None)


class Disease(_Strict):
    code: str
    name: str
    disease_class: Literal["A", "B", "C"] = Field(alias="class")
    managed_as_a: bool = False
    icd10: str

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class DiseaseList(_Versioned):
    kind: Literal["notifiable_diseases"]
    deadline_hours: dict[Literal["A", "B_MANAGED_AS_A", "B", "C"], int]
    case_classifications: dict[str, str]
    diseases: list[Disease]

    def disease(self, code: str) -> Disease | None:
        return next((d for d in self.diseases if d.code == code), None)

    def deadline_for(self, disease: Disease) -> int:
        """Hours from diagnosis to report (2 for class A and B managed as A, else 24)."""
        if disease.disease_class == "B" and disease.managed_as_a:
            return self.deadline_hours["B_MANAGED_AS_A"]
        return self.deadline_hours[disease.disease_class]


RuleFile = Annotated[
    ProgrammeRules | ImmunisationSchedule | DiseaseList, Field(discriminator="kind")
]


class _Wrapper(BaseModel):
    file: RuleFile


class RulesError(RuntimeError):
    """A rule file that does not validate: the platform refuses to start with it."""


@lru_cache(maxsize=64)
def _parse(path: Path, mtime_ns: int) -> ProgrammeRules | ImmunisationSchedule | DiseaseList:  # noqa: ARG001 - cache key
    try:
        return _Wrapper.model_validate({"file": json.loads(path.read_text("utf-8"))}).file
    except (ValidationError, json.JSONDecodeError) as error:
        raise RulesError(f"rule file {path.name} is invalid: {error}") from error


def _files(directory: Path) -> list[ProgrammeRules | ImmunisationSchedule | DiseaseList]:
    parsed = [_parse(p, p.stat().st_mtime_ns) for p in sorted(directory.glob("*.json"))]
    versions = [p.version for p in parsed]
    if len(set(versions)) != len(versions):
        raise RulesError(f"two rule files in {directory} share a version id")
    return parsed


def _current(kind: str, on: date | None, directory: Path | None) -> Any:
    candidates = [
        f
        for f in _files(directory or RULES_DIR)
        if f.kind == kind and (on is None or f.effective_from <= on)
    ]
    if not candidates:
        raise RulesError(f"no {kind} rules in force on {on}")
    return max(candidates, key=lambda f: f.effective_from)


def _by_version(version: str, directory: Path | None) -> Any:
    for f in _files(directory or RULES_DIR):
        if f.version == version:
            return f
    raise RulesError(f"rule version {version!r} not found")


def _typed(found: object, cls: type[_T], version: str | None) -> _T:
    if not isinstance(found, cls):
        raise RulesError(f"rule version {version!r} is not a {cls.__name__} file")
    return found


def _find(kind: str, on: date | None, version: str | None, directory: Path | None) -> Any:
    return _by_version(version, directory) if version else _current(kind, on, directory)


def programme_rules(
    *, on: date | None = None, version: str | None = None, directory: Path | None = None
) -> ProgrammeRules:
    """The programme rules in force on ``on`` (the newest by default), or a named version."""
    return _typed(_find("programmes", on, version, directory), ProgrammeRules, version)


def immunisation_schedule(
    *, on: date | None = None, version: str | None = None, directory: Path | None = None
) -> ImmunisationSchedule:
    """The national immunisation schedule in force on ``on``, or a named version."""
    found = _find("immunisation", on, version, directory)
    return _typed(found, ImmunisationSchedule, version)


def disease_list(
    *, on: date | None = None, version: str | None = None, directory: Path | None = None
) -> DiseaseList:
    """The notifiable-disease list in force on ``on``, or a named version."""
    return _typed(_find("notifiable_diseases", on, version, directory), DiseaseList, version)


def all_versions(directory: Path | None = None) -> list[tuple[str, str, str, date]]:
    """Every rule file shipped: (kind, version, title, effective from)."""
    return [(f.kind, f.version, f.title, f.effective_from) for f in _files(directory or RULES_DIR)]
