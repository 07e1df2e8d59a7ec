"""Task lists (档案任务): visits and checks due this week, overdue, by doctor team, with
counts; a village doctor sees only the residents they are responsible for."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from sqlalchemy.orm import Session

from healthcard.core.principal import Principal
from healthcard.models import FollowUp
from healthcard.records.programmes import repository
from healthcard.records.programmes.repository import Basics, Scope
from healthcard.records.programmes.service.common import invalid, today
from healthcard.records.service import records as records_service

Window = Literal["overdue", "week", "month", "all"]
WINDOWS: dict[str, str] = {
    "overdue": "已逾期",
    "week": "本周到期",
    "month": "30天内到期",
    "all": "全部待随访",
}


@dataclass(frozen=True)
class Counts:
    overdue: int
    this_week: int
    by_programme: dict[str, dict[str, int]]
    by_team: list[tuple[int | None, str, int, int]]  # team id, name, overdue, this week


@dataclass(frozen=True)
class TaskList:
    items: list[tuple[FollowUp, Basics]]
    total: int
    offset: int
    limit: int
    counts: Counts
    as_of: date
    own_only: bool


def scope_for(
    actor: Principal, *, team_id: int | None, programme: str | None, institution_id: int | None
) -> Scope:
    """What the actor may list: their institution; only their own residents for a village
    doctor (the record's responsible staff)."""
    institution = institution_id if actor.platform_wide and institution_id else actor.institution_id
    if institution is None:
        raise invalid("institution_id", "请指定机构。", "missing")
    own = records_service.only_own_residents(actor)
    return Scope(
        institution_id=institution,
        team_id=team_id,
        staff_id=actor.id if own else None,
        programme=programme,
    )


def _window(window: str, day: date) -> tuple[date | None, date | None]:
    monday = day - timedelta(days=day.weekday())
    return {
        "overdue": (None, day - timedelta(days=1)),
        "week": (monday, monday + timedelta(days=6)),
        "month": (None, day + timedelta(days=30)),
        "all": (None, None),
    }[window]


def counts(session: Session, scope: Scope, day: date) -> Counts:
    """Overdue and due-this-week visits, by programme and by team."""
    monday = day - timedelta(days=day.weekday())
    rows = repository.task_counts(
        session, scope, today=day, week_start=monday, week_end=monday + timedelta(days=6)
    )
    by_programme: dict[str, dict[str, int]] = {}
    by_team: dict[int | None, list[int]] = {}
    for programme, team_id, overdue, week in rows:
        entry = by_programme.setdefault(programme, {"overdue": 0, "this_week": 0})
        entry["overdue"] += overdue
        entry["this_week"] += week
        sums = by_team.setdefault(team_id, [0, 0])
        sums[0] += overdue
        sums[1] += week
    names = repository.team_names(session, [t for t in by_team if t is not None])
    teams = [
        (t, names.get(t, "未分配团队") if t else "未分配团队", o, w)
        for t, (o, w) in sorted(by_team.items(), key=lambda i: (i[0] is None, i[0] or 0))
    ]
    return Counts(
        overdue=sum(e["overdue"] for e in by_programme.values()),
        this_week=sum(e["this_week"] for e in by_programme.values()),
        by_programme=by_programme,
        by_team=teams,
    )


def task_list(
    session: Session,
    *,
    actor: Principal,
    window: str = "overdue",
    team_id: int | None = None,
    programme: str | None = None,
    institution_id: int | None = None,
    offset: int = 0,
    limit: int = 50,
    as_of: date | None = None,
) -> TaskList:
    """One page of due visits in the window, oldest due first, with the counts."""
    if window not in WINDOWS:
        raise invalid("window", "请选择：overdue、week、month 或 all。", "unknown_window")
    day = as_of or today()
    scope = scope_for(actor, team_id=team_id, programme=programme, institution_id=institution_id)
    due_from, due_to = _window(window, day)
    items, total = repository.task_page(
        session,
        scope,
        due_from=due_from,
        due_to=due_to,
        offset=max(offset, 0),
        limit=max(1, min(limit, 200)),
    )
    return TaskList(
        items=items,
        total=total,
        offset=offset,
        limit=limit,
        counts=counts(session, scope, day),
        as_of=day,
        own_only=scope.staff_id is not None,
    )


def teams(session: Session, *, actor: Principal) -> list[tuple[int, str]]:
    """The doctor teams of the actor's institution (for the filter)."""
    if actor.institution_id is None:
        return []
    return repository.teams_of(session, actor.institution_id)
