"""The resident's record timeline: one row per thing that happened, written by every part
(records, programmes, hospitals over FHIR) and read newest first in one index range scan."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from healthcard.core.errors import FieldError, ValidationFailed
from healthcard.core.i18n import N_
from healthcard.core.principal import Principal
from healthcard.models.clinical import EVENT_KINDS, RecordEvent
from healthcard.records.service import access

KIND_NAMES = {
    "encounter": N_("就诊"),
    "condition": N_("诊断"),
    "observation": N_("检查检验结果"),
    "report": N_("检查检验报告"),
    "medication": N_("处方"),
    "discharge": N_("出院小结"),
    "immunization": N_("预防接种"),
    "exam": N_("健康体检"),
    "followup": N_("随访"),
    "enrolment": N_("纳入管理"),
    "migration": N_("档案迁移"),
    "termination": N_("档案终止"),
    "referral": N_("转诊"),
    "consultation": N_("会诊"),
    "education": N_("健康教育"),
}
MAX_LIMIT = 200


@dataclass(frozen=True)
class Cursor:
    """Where a page of the timeline ends: the last entry's time and id (ties broken by id)."""

    occurred_at: datetime
    id: int

    def encode(self) -> str:
        return f"{self.occurred_at.isoformat()}~{self.id}"

    @classmethod
    def decode(cls, text: str) -> Cursor:
        """A cursor from its text form; a malformed one is a 422 naming ``before``."""
        when, _, ident = text.rpartition("~")
        try:
            occurred_at = datetime.fromisoformat(when)
            if occurred_at.tzinfo is None or not ident.isdigit():
                raise ValueError(text)
        except ValueError as exc:
            raise ValidationFailed(
                "分页位置无效，请从第一页重新浏览。",
                errors=[FieldError("before", "分页位置格式不正确。", "invalid")],
            ) from exc
        return cls(occurred_at, int(ident))


@dataclass(frozen=True)
class TimelinePage:
    """Entries newest first, and the cursor of the next (older) page when there is one."""

    events: Sequence[RecordEvent]
    next_cursor: Cursor | None


def add_event(
    session: Session,
    *,
    person_id: int,
    kind: str,
    occurred_at: datetime,
    title: str,
    institution_id: int | None = None,
    source: str,
    ref: str | None = None,
    detail: dict[str, Any] | None = None,
) -> RecordEvent:
    """Add one entry to a resident's record timeline (in the caller's transaction)."""
    _check_kinds([kind])
    if occurred_at.tzinfo is None:
        raise ValueError("occurred_at must be timezone-aware")
    event = RecordEvent(
        person_id=person_id,
        kind=kind,
        occurred_at=occurred_at,
        title=title[:200],
        institution_id=institution_id,
        source=source,
        ref=ref,
        detail=detail,
    )
    session.add(event)
    session.flush()
    return event


def update_event(
    session: Session,
    event: RecordEvent,
    *,
    occurred_at: datetime,
    title: str,
    detail: dict[str, Any] | None = None,
) -> None:
    """Bring an entry up to date when what it records was corrected at its source."""
    event.occurred_at = occurred_at
    event.title = title[:200]
    event.detail = detail
    session.flush()


def get_event(session: Session, event_id: int) -> RecordEvent | None:
    """One timeline entry by id."""
    return session.get(RecordEvent, event_id)


def event_for(session: Session, *, person_id: int, source: str, ref: str) -> int | None:
    """The id of the newest entry a part wrote about ``ref`` for the resident, if any."""
    query = (
        select(RecordEvent.id)
        .where(
            RecordEvent.person_id == person_id,
            RecordEvent.source == source,
            RecordEvent.ref == ref,
        )
        .order_by(RecordEvent.id.desc())
        .limit(1)
    )
    return session.execute(query).scalar_one_or_none()


def timeline(
    session: Session,
    *,
    actor: Principal,
    person_id: int,
    kinds: Collection[str] | None = None,
    before: Cursor | None = None,
    limit: int = 50,
) -> TimelinePage:
    """A resident's record timeline, newest first, optionally of some kinds, a page at a time."""
    access.check_read(session, actor=actor, person_id=person_id, purpose="record_timeline")
    if kinds:
        _check_kinds(kinds)
    limit = max(1, min(limit, MAX_LIMIT))
    query = select(RecordEvent).where(RecordEvent.person_id == person_id)
    if kinds:
        query = query.where(RecordEvent.kind.in_(sorted(set(kinds))))
    if before is not None:
        query = query.where(
            or_(
                RecordEvent.occurred_at < before.occurred_at,
                and_(RecordEvent.occurred_at == before.occurred_at, RecordEvent.id < before.id),
            )
        )
    query = query.order_by(RecordEvent.occurred_at.desc(), RecordEvent.id.desc()).limit(limit + 1)
    rows = session.execute(query).scalars().all()
    more = len(rows) > limit
    rows = rows[:limit]
    cursor = Cursor(rows[-1].occurred_at, rows[-1].id) if more else None
    return TimelinePage(rows, cursor)


def _check_kinds(kinds: Collection[str]) -> None:
    unknown = sorted(set(kinds) - set(EVENT_KINDS))
    if unknown:
        raise ValidationFailed(
            f"未知的档案记录类别：{'、'.join(unknown)}。",
            errors=[FieldError("kind", "可选类别：" + "、".join(EVENT_KINDS), "invalid")],
        )
