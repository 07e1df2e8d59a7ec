"""Record migration (档随人走): the record follows the resident.

- Within the institution: to the team the resident contracted with, at once.
- Within the region (same county): the new institution requests; the institution keeping the
  record confirms or refuses with a reason within ``migration_answer_days``; unanswered requests
  are escalated (``escalate_overdue``) to the county's health bureau, which decides.
- Across districts (different county codes): the two counties' health bureaus coordinate: the
  releasing bureau and the receiving bureau each approve (either may refuse).

Every step is a row with its actor and time; the resident's consent is required to request. While
a migration is open the record is read-only except for these steps. Completion moves the record
(institution and team) and keeps its number.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from healthcard.accounts import service as accounts_service
from healthcard.core import audit
from healthcard.core.db import utcnow
from healthcard.core.errors import FieldError
from healthcard.core.principal import Principal, system_principal
from healthcard.models import HealthRecord, MigrationStep, RecordMigration
from healthcard.records import repository
from healthcard.records.config import get_records_settings
from healthcard.records.exceptions import (
    MigrationConflict,
    MigrationNotFound,
    RecordInvalid,
    RecordNotFound,
)
from healthcard.records.permissions import RECORDS_MIGRATE, RECORDS_MIGRATE_DECIDE
from healthcard.records.programmes import service as programmes_service
from healthcard.records.schemas import MigrationIn
from healthcard.records.service import timeline
from healthcard.records.service.records import check_writable, region_prefix

OPEN = ("requested", "escalated", "bureau_review")
STATUS_NAMES = {
    "requested": "待原机构确认",
    "escalated": "已逾期，待卫生健康局裁决",
    "bureau_review": "跨区县，待两地卫生健康局协调",
    "completed": "已完成",
    "refused": "已拒绝",
    "cancelled": "已撤回",
}
STEP_NAMES = {
    "request": "申请迁入",
    "confirm": "原机构确认迁出",
    "refuse": "原机构拒绝",
    "escalate": "逾期未答复，提交卫生健康局",
    "bureau_approve": "卫生健康局裁决同意",
    "bureau_refuse": "卫生健康局裁决不同意",
    "source_bureau_approve": "迁出地卫生健康局同意",
    "target_bureau_approve": "迁入地卫生健康局同意",
    "source_bureau_refuse": "迁出地卫生健康局不同意",
    "target_bureau_refuse": "迁入地卫生健康局不同意",
    "cancel": "申请机构撤回",
    "complete": "迁移完成",
}
KIND_NAMES = {"team": "机构内转团队", "region": "区县内跨机构", "district": "跨区县"}
ESCALATION_ACTOR = system_principal("records-escalation")


@dataclass(frozen=True)
class MigrationView:
    migration: RecordMigration
    record: HealthRecord
    steps: list[MigrationStep]


def _step(
    session: Session,
    migration: RecordMigration,
    actor: Principal,
    step: str,
    note: str | None = None,
    at: datetime | None = None,
) -> None:
    repository.add(
        session,
        MigrationStep(
            migration_id=migration.id,
            step=step,
            status_after=migration.status,
            actor_name=f"{actor.label}:{actor.name}"[:200],
            actor_id=actor.id if actor.kind == "staff" else None,
            institution_id=actor.institution_id,
            note=note,
            occurred_at=at or utcnow(),
        ),
    )
    audit.record(
        session,
        actor=actor,
        action=f"record.migration.{step}",
        resource_type="RecordMigration",
        resource_id=migration.id,
        detail={"record_id": migration.record_id, "status": migration.status, "note": note},
    )


def request(session: Session, *, actor: Principal, data: MigrationIn) -> RecordMigration:
    """Ask for a record to move to ``actor``'s institution (or one of its teams); needs consent."""
    if actor.institution_id is None:
        raise RecordInvalid("迁移须由机构人员申请。")
    record = repository.record_by_number(session, data.record_number)
    if record is None:
        raise RecordNotFound()
    _check_request(session, actor, record, data)
    locked = repository.record_for_update(session, record.id)
    assert locked is not None  # noqa: S101 - it was just read
    check_writable(locked)
    if locked.institution_id == actor.institution_id:
        return _within_institution(session, actor, locked, data)
    source = accounts_service.get_institution(
        session, actor=_everywhere(actor), institution_id=locked.institution_id
    )
    target = accounts_service.get_institution(
        session, actor=actor, institution_id=actor.institution_id
    )
    same_county = source.division_code == target.division_code
    now = utcnow()
    migration = RecordMigration(
        record_id=locked.id,
        kind="region" if same_county else "district",
        status="requested" if same_county else "bureau_review",
        from_institution_id=source.id,
        to_institution_id=target.id,
        to_team_id=data.to_team_id,
        from_county=source.division_code,
        to_county=target.division_code,
        reason=data.reason,
        consent_by=data.consent_by,
        consent_on=data.consent_on,
        answer_due_at=(
            now + timedelta(days=get_records_settings().migration_answer_days)
            if same_county
            else None
        ),
        requested_at=now,
    )
    repository.add(session, migration)
    locked.status = "migrating"
    _step(session, migration, actor, "request", data.reason, now)
    return migration


def _check_request(
    session: Session, actor: Principal, record: HealthRecord, data: MigrationIn
) -> None:
    errors: list[FieldError] = []
    if data.consent_on > utcnow().date():
        errors.append(FieldError("body.consent_on", "居民同意日期不能晚于今天。", "future"))
    if data.to_team_id is not None:
        team = repository.get_team(session, data.to_team_id)
        if team is None or team.institution_id != actor.institution_id:
            errors.append(FieldError("body.to_team_id", "团队不存在或不属于本机构。", "unknown"))
    elif record.institution_id == actor.institution_id:
        errors.append(
            FieldError("body.to_team_id", "机构内迁移请选择居民签约的家庭医生团队。", "missing")
        )
    if record.institution_id == actor.institution_id and data.to_team_id == record.team_id:
        errors.append(FieldError("body.to_team_id", "档案已在该团队。", "same_team"))
    if errors:
        raise RecordInvalid(errors=errors)


def _everywhere(actor: Principal) -> Principal:
    return Principal(kind=actor.kind, id=actor.id, name=actor.name, platform_wide=True)


def _within_institution(
    session: Session, actor: Principal, record: HealthRecord, data: MigrationIn
) -> RecordMigration:
    county = record.area_code[:6]
    now = utcnow()
    migration = RecordMigration(
        record_id=record.id,
        kind="team",
        status="completed",
        from_institution_id=record.institution_id,
        to_institution_id=record.institution_id,
        to_team_id=data.to_team_id,
        from_county=county,
        to_county=county,
        reason=data.reason,
        consent_by=data.consent_by,
        consent_on=data.consent_on,
        requested_at=now,
        closed_at=now,
    )
    repository.add(session, migration)
    _step(session, migration, actor, "request", data.reason, now)
    _move(session, migration, record, actor)
    return migration


def _move(
    session: Session, migration: RecordMigration, record: HealthRecord, actor: Principal
) -> None:
    """Complete: the record changes institution and team, keeps its number."""
    team = repository.get_team(session, migration.to_team_id) if migration.to_team_id else None
    record.institution_id = migration.to_institution_id
    record.team_id = team.id if team else None
    record.responsible_staff_id = team.leader_id if team else None
    record.status = "active"
    record.updated_at = utcnow()
    programmes_service.reassign_record(  # task lists follow the record to its new keeper
        session,
        record_id=record.id,
        institution_id=record.institution_id,
        team_id=record.team_id,
        responsible_staff_id=record.responsible_staff_id,
    )
    migration.status = "completed"
    migration.closed_at = utcnow()
    session.flush()
    _step(session, migration, actor, "complete")
    timeline.add_event(
        session,
        person_id=record.person_id,
        kind="migration",
        occurred_at=migration.closed_at,
        title=f"健康档案迁移完成（{KIND_NAMES[migration.kind]}）",
        institution_id=migration.to_institution_id,
        source="records",
        ref=f"RecordMigration/{migration.id}",
        detail={"from": migration.from_institution_id, "to": migration.to_institution_id},
    )


def _close(
    session: Session,
    migration: RecordMigration,
    status: str,
    actor: Principal,
    step: str,
    note: str | None,
) -> None:
    record = repository.record_for_update(session, migration.record_id)
    assert record is not None  # noqa: S101 - a foreign key
    migration.status = status
    migration.closed_at = utcnow()
    record.status = "active"
    session.flush()
    _step(session, migration, actor, step, note)


def _open(session: Session, migration_id: int, *statuses: str) -> RecordMigration:
    migration = repository.migration_for_update(session, migration_id)
    if migration is None:
        raise MigrationNotFound()
    if migration.status not in statuses:
        raise MigrationConflict(
            f"迁移当前状态为“{STATUS_NAMES[migration.status]}”，不能办理这一步。"
        )
    return migration


def confirm(
    session: Session, *, actor: Principal, migration_id: int, note: str | None
) -> RecordMigration:
    """The institution keeping the record lets it go: the migration completes."""
    migration = _open(session, migration_id, "requested")
    if not actor.has(RECORDS_MIGRATE) or not actor.may_act_in(migration.from_institution_id):
        raise MigrationNotFound()
    record = repository.record_for_update(session, migration.record_id)
    assert record is not None  # noqa: S101
    _step(session, migration, actor, "confirm", note)
    _move(session, migration, record, actor)
    return migration


def refuse(session: Session, *, actor: Principal, migration_id: int, note: str) -> RecordMigration:
    """The institution keeping the record refuses, with a reason."""
    migration = _open(session, migration_id, "requested")
    if not actor.has(RECORDS_MIGRATE) or not actor.may_act_in(migration.from_institution_id):
        raise MigrationNotFound()
    _close(session, migration, "refused", actor, "refuse", note)
    return migration


def cancel(
    session: Session, *, actor: Principal, migration_id: int, note: str | None
) -> RecordMigration:
    """The requesting institution withdraws its request while it is open."""
    migration = _open(session, migration_id, *OPEN)
    if not actor.has(RECORDS_MIGRATE) or not actor.may_act_in(migration.to_institution_id):
        raise MigrationNotFound()
    _close(session, migration, "cancelled", actor, "cancel", note)
    return migration


def escalate_overdue(session: Session, now: datetime) -> list[RecordMigration]:
    """Hand every unanswered, overdue within-region request to the health bureau (a job)."""
    escalated = []
    for migration in repository.overdue_migrations(session, now):
        migration.status = "escalated"
        session.flush()
        due = migration.answer_due_at
        _step(
            session,
            migration,
            ESCALATION_ACTOR,
            "escalate",
            f"答复期限 {due:%Y-%m-%d %H:%M} 已过",
            now,
        )
        escalated.append(migration)
    return escalated


def _bureau_division(session: Session, actor: Principal) -> str:
    if not actor.has(RECORDS_MIGRATE_DECIDE) or actor.institution_id is None:
        raise MigrationNotFound()
    return accounts_service.get_institution(
        session, actor=actor, institution_id=actor.institution_id
    ).division_code


def covers(bureau_division: str, county: str) -> bool:
    """Whether a bureau of ``bureau_division`` (a county, city or province) oversees ``county``."""
    return county.startswith(region_prefix(bureau_division))


def bureau_decide(
    session: Session,
    *,
    actor: Principal,
    migration_id: int,
    approve: bool,
    side: str | None = None,
    note: str | None = None,
) -> RecordMigration:
    """A health bureau decides an escalated request, or approves one side of a cross-district
    migration (``side``: source or target); a refusal needs a reason."""
    division = _bureau_division(session, actor)
    migration = _open(session, migration_id, "escalated", "bureau_review")
    if not approve and not note:
        raise RecordInvalid(errors=[FieldError("body.note", "不同意时请说明理由。", "missing")])
    if migration.status == "escalated":
        if not covers(division, migration.from_county):
            raise MigrationNotFound()
        return _decide_escalated(session, actor, migration, approve, note)
    if side not in ("source", "target"):
        raise RecordInvalid(
            errors=[FieldError("body.side", "跨区县迁移请指明以迁出地还是迁入地身份审批。")]
        )
    county = migration.from_county if side == "source" else migration.to_county
    if not covers(division, county):
        raise MigrationNotFound()
    return _decide_side(session, actor, migration, side, approve, note)


def _decide_escalated(
    session: Session, actor: Principal, migration: RecordMigration, approve: bool, note: str | None
) -> RecordMigration:
    if not approve:
        _close(session, migration, "refused", actor, "bureau_refuse", note)
        return migration
    record = repository.record_for_update(session, migration.record_id)
    assert record is not None  # noqa: S101
    _step(session, migration, actor, "bureau_approve", note)
    _move(session, migration, record, actor)
    return migration


def _decide_side(
    session: Session,
    actor: Principal,
    migration: RecordMigration,
    side: str,
    approve: bool,
    note: str | None,
) -> RecordMigration:
    if not approve:
        _close(session, migration, "refused", actor, f"{side}_bureau_refuse", note)
        return migration
    already = (
        migration.source_bureau_approved if side == "source" else migration.target_bureau_approved
    )
    if already:
        raise MigrationConflict("这一方已经同意过了。")
    if side == "source":
        migration.source_bureau_approved = True
    else:
        migration.target_bureau_approved = True
    session.flush()
    _step(session, migration, actor, f"{side}_bureau_approve", note)
    if migration.source_bureau_approved and migration.target_bureau_approved:
        record = repository.record_for_update(session, migration.record_id)
        assert record is not None  # noqa: S101
        _move(session, migration, record, actor)
    return migration


# --- reading -----------------------------------------------------------------------------------


def may_see(session: Session, actor: Principal, migration: RecordMigration) -> bool:
    """Staff of either institution, or a bureau overseeing either county."""
    if actor.institution_id in (migration.from_institution_id, migration.to_institution_id):
        return True
    if actor.has(RECORDS_MIGRATE_DECIDE) and actor.institution_id is not None:
        division = _bureau_division(session, actor)
        return covers(division, migration.from_county) or covers(division, migration.to_county)
    return actor.kind == "system"


def get_migration(session: Session, *, actor: Principal, migration_id: int) -> MigrationView:
    """A migration with its record and steps (404 unless ``actor`` takes part in it)."""
    migration = repository.get_migration(session, migration_id)
    if migration is None or not may_see(session, actor, migration):
        raise MigrationNotFound()
    record = repository.get_record(session, migration.record_id)
    assert record is not None  # noqa: S101
    return MigrationView(migration, record, list(repository.steps_of(session, migration.id)))


def history(session: Session, *, record: HealthRecord) -> list[MigrationView]:
    """The migrations of a record with their steps, newest first (the read was checked)."""
    return [
        MigrationView(m, record, list(repository.steps_of(session, m.id)))
        for m in repository.migrations_of(session, record.id)
    ]


@dataclass(frozen=True)
class Inbox:
    to_answer: list[RecordMigration]  # requests for records we keep
    our_requests: list[RecordMigration]  # what we asked for
    to_decide: list[RecordMigration]  # a bureau's queue


def inbox(session: Session, *, actor: Principal) -> Inbox:
    """What waits for ``actor``: requests to answer, own requests, a bureau's decisions."""
    mine = actor.institution_id or -1
    to_answer = list(
        repository.migrations_where(
            session,
            RecordMigration.from_institution_id == mine,
            RecordMigration.status.in_(OPEN),
            RecordMigration.kind != "team",
        )
    )
    ours = list(
        repository.migrations_where(
            session, RecordMigration.to_institution_id == mine, RecordMigration.kind != "team"
        )
    )
    to_decide: list[RecordMigration] = []
    if actor.has(RECORDS_MIGRATE_DECIDE) and actor.institution_id is not None:
        division = _bureau_division(session, actor)
        candidates = repository.migrations_where(
            session, RecordMigration.status.in_(("escalated", "bureau_review"))
        )
        to_decide = [m for m in candidates if _awaits(division, m)]
    return Inbox(to_answer, ours, to_decide)


def _awaits(division: str, migration: RecordMigration) -> bool:
    if migration.status == "escalated":
        return covers(division, migration.from_county)
    source = covers(division, migration.from_county) and not migration.source_bureau_approved
    target = covers(division, migration.to_county) and not migration.target_bureau_approved
    return source or target
