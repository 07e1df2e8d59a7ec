"""The demo loader: every programme with visits done, due this week and overdue, emergency
flags, children with overdue doses, a late infectious report."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from healthcard.core.config import Settings
from healthcard.demo.programmes import load_programmes
from healthcard.models import FollowUp, Immunisation, InfectiousReport, ProgrammeEnrolment
from healthcard.records.programmes.service.common import today
from tests.records.factories import Region
from tests.records.programmes.helpers import Residents, years_ago


def test_demo_programmes(
    session: Session, settings: Settings, region: Region, residents: Residents
) -> None:
    ages = [60, 72, 45, 3, 0, 30, 50, 68, 1, 38, 55, 80, 41, 66]
    for n, age in enumerate(ages):
        born = years_ago(age, days=40 + n) if age else today() - timedelta(days=75)
        residents.with_record(born=born, sex="2" if n % 2 else "1")
    loaded = load_programmes(session, settings=settings)
    session.commit()
    assert {"hypertension", "diabetes", "children", "elderly"} <= set(loaded.enrolments)
    assert loaded.visits_done > 10
    assert loaded.overdue > 0
    assert loaded.due_this_week > 0
    assert loaded.emergencies >= 1
    assert loaded.doses > 5
    assert loaded.reports == 4
    assert "重点人群" in loaded.summary()

    def count(model, *where):
        return session.scalar(select(func.count()).select_from(model).where(*where))

    assert count(ProgrammeEnrolment) == sum(loaded.enrolments.values())
    assert count(FollowUp, FollowUp.status == "done") == loaded.visits_done
    assert (
        count(FollowUp, FollowUp.emergency.is_(True), FollowUp.status == "due") >= 1
    )  # hospital reading
    assert count(Immunisation) == loaded.doses
    assert count(InfectiousReport, InfectiousReport.late.is_(True)) == 1
