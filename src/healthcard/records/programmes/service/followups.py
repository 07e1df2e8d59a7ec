"""Follow-ups: recording a visit on its programme's form (classified, referral flagged and the
next visit scheduled by the rules in force), a missed visit, and measurements taken at
hospitals that count for the programme."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from healthcard.core import audit
from healthcard.core.db import utcnow
from healthcard.core.errors import FieldError, ValidationFailed
from healthcard.core.principal import Principal
from healthcard.models import FollowUp, ProgrammeEnrolment
from healthcard.records.programmes import repository
from healthcard.records.programmes.exceptions import FollowUpClosed, FollowUpNotFound
from healthcard.records.programmes.schemas import FORMS
from healthcard.records.programmes.service import evaluate, rules
from healthcard.records.programmes.service.common import (
    LOCAL_ZONE,
    age_on,
    invalid,
    today,
    validate_form,
    who,
)
from healthcard.records.programmes.service.enrolments import (
    anchors,
    close,
    noon,
    person,
    schedule,
    visible,
)
from healthcard.records.service import timeline

# Programmes a blood pressure or glucose measured at a hospital counts for.
MEASURED_PROGRAMMES = ("hypertension", "diabetes")
MEASUREMENT_FIELDS = ("sbp", "dbp", "fasting_glucose")
FIELD_NAMES = {
    "sbp": "收缩压",
    "dbp": "舒张压",
    "fasting_glucose": "空腹血糖",
    "self_care_score": "生活自理能力评分",
}
_END_REASONS = {
    "children": "已完成0～6岁儿童健康管理",
    "maternal": "已完成产后42天健康检查",
    "tuberculosis": "已完成全疗程督导",
}


@dataclass(frozen=True)
class Recorded:
    """A visit just recorded and the visit it scheduled (None when the schedule ended)."""

    followup: FollowUp
    next: FollowUp | None


def get_followup(
    session: Session, *, actor: Principal, followup_id: int, lock: bool = False
) -> FollowUp:
    """A follow-up of a resident the actor works with (404 otherwise)."""
    visit = repository.get_followup(session, followup_id, lock=lock)
    if visit is None or not visible(
        actor, institution_id=visit.institution_id, staff_id=visit.responsible_staff_id
    ):
        raise FollowUpNotFound()
    return visit


def followups_of(session: Session, enrolment: ProgrammeEnrolment) -> Sequence[FollowUp]:
    """The visits of an enrolment (checked by get_enrolment), latest due first."""
    return repository.followups_of(session, enrolment.id)


def visit_label(rule: rules.ProgrammeRule, code: str) -> str:
    """What a schedule item is called on forms and lists."""
    check = rule.check(code)
    if check is not None:
        return check.label
    return "年度健康管理服务" if rule.schedule == "every" else "随访"


def _values(visit: FollowUp, form: dict[str, Any]) -> dict[str, Any]:
    """The form's values, with measurements taken at hospital filling what was not measured."""
    values = dict(form)
    filled = []
    latest_first = sorted(visit.hospital_measurements, key=lambda m: m["measured_at"], reverse=True)
    for measurement in latest_first:
        for key in MEASUREMENT_FIELDS:
            if values.get(key) is None and measurement.get(key) is not None:
                values[key] = measurement[key]
                filled.append(key)
    if filled:
        values["from_hospital"] = filled
    return values


def _check_values(
    rule: rules.ProgrammeRule, values: dict[str, Any], enrolment: ProgrammeEnrolment
) -> None:
    errors = [
        FieldError(f"body.{key}", f"请填写{FIELD_NAMES.get(key, key)}。", "missing")
        for key in rule.required
        if values.get(key) is None
    ]
    unknown = [s for s in values.get("symptoms") or [] if s not in rule.symptoms]
    if unknown:
        errors.append(FieldError("body.symptoms", f"不认识的症状代码：{'、'.join(unknown)}。"))
    done_on: date = values["done_on"]
    if done_on > today() or done_on < enrolment.enrolled_on:
        errors.append(FieldError("body.done_on", "随访日期应在纳入管理日期与今天之间。"))
    sbp, dbp = values.get("sbp"), values.get("dbp")
    if sbp is not None and dbp is not None and dbp >= sbp:
        errors.append(FieldError("body.dbp", "舒张压应低于收缩压。"))
    delivered = values.get("delivered_on")
    if delivered is not None and (delivered > done_on or delivered < enrolment.enrolled_on):
        errors.append(FieldError("body.delivered_on", "分娩日期应在纳入管理与本次访视之间。"))
    if errors:
        raise ValidationFailed("；".join(e.message for e in errors), errors=errors)


def _json(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if isinstance(v, date) else v for k, v in values.items()}


def record_followup(
    session: Session, *, actor: Principal, followup_id: int, data: dict[str, Any]
) -> Recorded:
    """Record a due visit on its form; classify it, flag referral, schedule the next one."""
    visit = get_followup(session, actor=actor, followup_id=followup_id, lock=True)
    if visit.status != "due":
        raise FollowUpClosed()
    enrolment = repository.get_enrolment(session, visit.enrolment_id)
    assert enrolment is not None  # noqa: S101 - foreign key
    form = validate_form(FORMS[visit.programme], data)
    values = _values(visit, form.model_dump(exclude_none=True))
    ruleset = rules.programme_rules(on=form.done_on)
    rule = ruleset.programmes[visit.programme]
    _check_values(rule, values, enrolment)
    basics = person(session, visit.person_id)
    previous = [v.classification for v in repository.recent_done(session, enrolment.id, 3)]
    outcome = evaluate.assess(
        rule, values, age=age_on(basics.birth_date, form.done_on), previous=previous
    )
    _complete(visit, actor, values, outcome, ruleset.version)
    if values.get("delivered_on") is not None:
        enrolment.detail = {**enrolment.detail, "delivered_on": values["delivered_on"].isoformat()}
    upcoming = _schedule_next(session, enrolment, visit, rule, basics.birth_date, ruleset.version)
    _followup_events(session, actor, visit, rule)
    return Recorded(visit, upcoming)


def _complete(
    visit: FollowUp,
    actor: Principal,
    values: dict[str, Any],
    outcome: evaluate.Assessment,
    version: str,
) -> None:
    visit.status = "done"
    visit.done_on = values["done_on"]
    visit.method = values.get("method")
    visit.note = values.get("note")
    visit.form = _json(values)
    visit.classification = outcome.classification
    # Reasons raised by hospital measurements before the visit stay on record.
    visit.referral_reasons = list(dict.fromkeys([*visit.referral_reasons, *outcome.reasons]))
    visit.referral = visit.referral or outcome.referral
    visit.emergency = visit.emergency or outcome.emergency
    visit.rule_version = version
    visit.performed_by = who(actor)
    visit.performed_by_id = actor.id if actor.kind == "staff" else None


def _schedule_next(
    session: Session,
    enrolment: ProgrammeEnrolment,
    visit: FollowUp,
    rule: rules.ProgrammeRule,
    birth_date: date | None,
    version: str,
) -> FollowUp | None:
    assert visit.done_on is not None  # noqa: S101
    due = evaluate.next_due(
        rule,
        code=visit.visit_code,
        on=visit.done_on,
        classification=visit.classification,
        anchors=anchors(enrolment, birth_date),
    )
    if due is None:
        reason = _END_REASONS.get(enrolment.programme, "管理周期结束")
        close(session, enrolment, ended_on=visit.done_on, reason=reason)
        return None
    return schedule(session, enrolment, due, rule_version=version)


def _followup_events(
    session: Session, actor: Principal, visit: FollowUp, rule: rules.ProgrammeRule
) -> None:
    assert visit.done_on is not None  # noqa: S101
    outcome = rule.class_label(visit.classification)
    title = f"{rule.name}：{visit_label(rule, visit.visit_code)}"
    timeline.add_event(
        session,
        person_id=visit.person_id,
        kind="followup",
        occurred_at=noon(visit.done_on),
        title=f"{title}（{outcome}）" if outcome else title,
        institution_id=visit.institution_id,
        source="programmes",
        ref=f"followup:{visit.id}",
        detail={
            "programme": visit.programme,
            "classification": visit.classification,
            "referral": visit.referral,
            "emergency": visit.emergency,
            "rule_version": visit.rule_version,
        },
    )
    audit.record(
        session,
        actor=actor,
        action="followup.record",
        resource_type="FollowUp",
        resource_id=visit.id,
        detail={"classification": visit.classification, "emergency": visit.emergency},
    )


def miss_followup(session: Session, *, actor: Principal, followup_id: int, reason: str) -> Recorded:
    """Mark a due visit missed (失访一次) and schedule the next one from today."""
    visit = get_followup(session, actor=actor, followup_id=followup_id, lock=True)
    if visit.status != "due":
        raise FollowUpClosed()
    if visit.due_date > today():
        raise invalid("body.reason", "随访尚未到期，不能登记为未随访。", "not_due")
    enrolment = repository.get_enrolment(session, visit.enrolment_id)
    assert enrolment is not None  # noqa: S101
    ruleset = rules.programme_rules(on=today())
    rule = ruleset.programmes[visit.programme]
    visit.status = "missed"
    visit.note = reason[:300]
    visit.performed_by = who(actor)
    basics = person(session, visit.person_id)
    due = evaluate.next_due(
        rule,
        code=visit.visit_code,
        on=today(),
        classification=None,
        anchors=anchors(enrolment, basics.birth_date),
    )
    upcoming = schedule(session, enrolment, due, rule_version=ruleset.version) if due else None
    audit.record(
        session,
        actor=actor,
        action="followup.missed",
        resource_type="FollowUp",
        resource_id=visit.id,
        detail={"reason": reason},
    )
    return Recorded(visit, upcoming)


# --- measurements taken at hospitals ------------------------------------------------------------


def _check_measurement(
    measured_at: datetime, sbp: int | None, dbp: int | None, glucose: float | None
) -> None:
    errors = []
    if measured_at.tzinfo is None:
        errors.append(FieldError("measured_at", "测量时间须带时区。", "naive_datetime"))
    elif measured_at > utcnow() + timedelta(minutes=5):
        errors.append(FieldError("measured_at", "测量时间不能晚于现在。", "in_future"))
    if (sbp is None) != (dbp is None):
        errors.append(FieldError("dbp" if dbp is None else "sbp", "血压须同时给出收缩压和舒张压。"))
    if sbp is not None and not 40 <= sbp <= 300:
        errors.append(FieldError("sbp", "收缩压应在 40–300 mmHg 之间。", "out_of_range"))
    if dbp is not None and not 20 <= dbp <= 200:
        errors.append(FieldError("dbp", "舒张压应在 20–200 mmHg 之间。", "out_of_range"))
    if glucose is not None and not 0.5 <= glucose <= 50:
        errors.append(FieldError("fasting_glucose", "血糖应在 0.5–50 mmol/L 之间。"))
    if sbp is None and glucose is None:
        errors.append(FieldError("sbp", "没有血压或血糖测量值。", "missing"))
    if errors:
        raise ValidationFailed("；".join(e.message for e in errors), errors=errors)


def measurement_from_hospital(
    session: Session,
    *,
    person_id: int,
    measured_at: datetime,
    institution_id: int,
    source_ref: str,
    sbp: int | None = None,
    dbp: int | None = None,
    fasting_glucose: float | None = None,
) -> None:
    """Count a BP or glucose measured at a hospital for the resident's programmes: kept on the
    next due follow-up (shown on its form, used when the visit omits it) and checked against
    the emergency-referral conditions at once."""
    _check_measurement(measured_at, sbp, dbp, fasting_glucose)
    measurement = {
        "measured_at": measured_at.isoformat(),
        "institution_id": institution_id,
        "source_ref": source_ref,
        "sbp": sbp,
        "dbp": dbp,
        "fasting_glucose": fasting_glucose,
    }
    local_day = measured_at.astimezone(LOCAL_ZONE).date()
    rule_set = rules.programme_rules(on=local_day)
    for enrolment in repository.active_enrolments_of(session, person_id, MEASURED_PROGRAMMES):
        visit = repository.next_due(session, enrolment.id)
        if visit is None or any(m["source_ref"] == source_ref for m in visit.hospital_measurements):
            continue
        visit.hospital_measurements = [*visit.hospital_measurements, measurement]
        values = {k: v for k, v in measurement.items() if k in MEASUREMENT_FIELDS and v is not None}
        reasons, emergency = evaluate.referral_reasons(
            rule_set.programmes[enrolment.programme], values
        )
        if reasons:
            stamp = measured_at.astimezone(LOCAL_ZONE).strftime("%m-%d %H:%M")
            visit.referral_reasons = [
                *visit.referral_reasons,
                *(f"医院测量（{stamp}）：{r}" for r in reasons),
            ]
            visit.referral = True
            visit.emergency = visit.emergency or emergency
    session.flush()
