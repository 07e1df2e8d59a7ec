"""Coverage of an institution's health records, as the 2017 specification measures it.

- 建档率 (records established): live records kept (not terminated) / the resident population
  the institution serves in the year (辖区内常住居民数). The population is the official figure
  the institution enters each year (statistics bureau or household registration), not a count of
  persons the master patient index happens to know: the index holds everyone who ever visited a
  hospital of the region, wherever they live.
- 动态使用率 (records in use): live records with a service in the last 365 days (an entry on the
  record timeline: an examination, a follow-up, a hospital visit) or changed in that time /
  live records.
- Programme rates (enrolment, follow-up completion) come from the programmes sub-domain through
  ``programme_rates`` (a hook it registers), and are shown when it is there.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from healthcard.accounts import service as accounts_service
from healthcard.core import audit
from healthcard.core.db import utcnow
from healthcard.core.principal import Principal
from healthcard.models import Institution, ServicePopulation
from healthcard.records import repository
from healthcard.records.programmes import service as programmes_service
from healthcard.records.schemas import PopulationIn


@dataclass(frozen=True)
class Rate:
    """One indicator: numerator over denominator (None when the denominator is unknown)."""

    label: str
    numerator: int
    denominator: int | None

    @property
    def percent(self) -> float | None:
        if not self.denominator:
            return None
        return round(100 * self.numerator / self.denominator, 1)


@dataclass(frozen=True)
class Coverage:
    institution: Institution
    year: int
    population: ServicePopulation | None
    kept: int
    live: int
    in_use: int
    examined: int
    rates: list[Rate] = field(default_factory=list)
    programmes: list[programmes_service.ProgrammeCoverage] = field(default_factory=list)


def coverage(
    session: Session, *, actor: Principal, institution_id: int, now: datetime | None = None
) -> Coverage:
    """The coverage indicators of one institution (``actor``'s own unless platform-wide)."""
    now = now or utcnow()
    institution = accounts_service.get_institution(
        session, actor=actor, institution_id=institution_id
    )
    year_ago = now - timedelta(days=365)
    kept, live, _ = repository.record_counts(session, institution.id, year_ago)
    in_use = repository.records_in_use(session, institution.id, year_ago)
    examined = repository.exam_persons_since(session, institution.id, year_ago)
    population = repository.service_population(session, institution.id, now.year)
    rates = [
        Rate("建档率", live, population.population if population else None),
        Rate("健康档案动态使用率", in_use, live),
        Rate("近一年健康体检覆盖", examined, live),
    ]
    programmes = programmes_service.coverage_rates(
        session, institution_id=institution.id, today=now.date()
    )
    audit.record(
        session,
        actor=actor,
        action="record.coverage",
        resource_type="Institution",
        resource_id=institution.id,
    )
    return Coverage(
        institution, now.year, population, kept, live, in_use, examined, rates, programmes
    )


def set_population(session: Session, *, actor: Principal, data: PopulationIn) -> ServicePopulation:
    """Enter (or correct) the resident population an institution serves in a year."""
    institution = accounts_service.get_institution(
        session, actor=actor, institution_id=data.institution_id
    )
    row = repository.service_population(session, institution.id, data.year)
    if row is None:
        row = ServicePopulation(institution_id=institution.id, year=data.year)
    row.population = data.population
    row.source = data.source
    row.recorded_by = f"{actor.label}:{actor.name}"[:200]
    row.recorded_at = utcnow()
    repository.add(session, row)
    audit.record(
        session,
        actor=actor,
        action="record.population.set",
        resource_type="Institution",
        resource_id=institution.id,
        detail={"year": data.year, "population": data.population},
    )
    return row


def institutions_for(session: Session, *, actor: Principal) -> list[Institution]:
    """The institutions whose coverage ``actor`` may see (all for a bureau, else their own)."""
    if actor.platform_wide:
        keeping = ("community_health_centre", "township_health_centre", "village_clinic")
        return [i for i in accounts_service.list_all_institutions(session) if i.kind in keeping]
    if actor.institution_id is None:
        return []
    return [
        accounts_service.get_institution(session, actor=actor, institution_id=actor.institution_id)
    ]
