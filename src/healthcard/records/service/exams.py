"""Health examinations (健康体检表) of a record: symptoms, vitals (BMI computed), lifestyle,
organ function, findings, assessment and guidance; each one goes on the record timeline."""

from __future__ import annotations

from datetime import UTC, datetime, time

from sqlalchemy.orm import Session

from healthcard.core import audit
from healthcard.core.db import utcnow
from healthcard.core.errors import FieldError
from healthcard.core.principal import Principal
from healthcard.models import HealthExam, HealthRecord
from healthcard.records import repository
from healthcard.records.exceptions import RecordInvalid
from healthcard.records.schemas import BloodPressure, ExamIn
from healthcard.records.service import codes, timeline
from healthcard.records.service.records import kept_record, touch, writable_record


def bmi(height_cm: float | None, weight_kg: float | None) -> float | None:
    """Body-mass index, kg/m², to one decimal (None without both measures)."""
    if not height_cm or not weight_kg:
        return None
    metres = height_cm / 100
    return round(weight_kg / (metres * metres), 1)


def check_exam(errors: list[FieldError], data: ExamIn, today: datetime) -> None:
    """Dates, plausible vitals and every code of the form."""
    if data.exam_date > today.date():
        errors.append(FieldError("body.exam_date", "体检日期不能晚于今天。", "future"))
    _check_vitals(errors, data)
    codes.check_all(errors, "symptom", "body.symptoms", data.symptoms)
    if "1" in data.symptoms and len(data.symptoms) > 1:
        errors.append(FieldError("body.symptoms", "选择“无症状”时不能再选其他症状。"))
    life = data.lifestyle
    codes.check(
        errors, "exercise_frequency", "body.lifestyle.exercise_frequency", life.exercise_frequency
    )
    codes.check_all(errors, "diet", "body.lifestyle.diet", life.diet)
    codes.check(errors, "smoking", "body.lifestyle.smoking", life.smoking)
    codes.check(errors, "drinking", "body.lifestyle.drinking", life.drinking)
    if life.smoking == "3" and life.cigarettes_per_day is None:
        errors.append(FieldError("body.lifestyle.cigarettes_per_day", "吸烟者请填写日吸烟量。"))
    codes.check(errors, "hearing", "body.organ_function.hearing", data.organ_function.hearing)
    codes.check(errors, "motor", "body.organ_function.motor", data.organ_function.motor)
    parts = codes.exam_findings()
    for part, finding in data.findings.items():
        if part not in parts:
            errors.append(
                FieldError(f"body.findings.{part}", f"未知的查体部位“{part}”。", "unknown")
            )
        elif finding.result == "2" and not finding.note:
            errors.append(FieldError(f"body.findings.{part}.note", "异常请写明所见。", "missing"))
    codes.check(errors, "assessment", "body.assessment", data.assessment)
    if data.assessment == "2" and not data.abnormalities:
        errors.append(FieldError("body.abnormalities", "评价为“有异常”时请列出异常。", "missing"))
    codes.check_all(errors, "guidance", "body.guidance", data.guidance)
    codes.check_all(errors, "risk_control", "body.risk_control", data.risk_control)


def _check_vitals(errors: list[FieldError], data: ExamIn) -> None:
    vitals = data.vitals
    for name in ("temperature", "pulse", "respiration", "height_cm", "weight_kg", "waist_cm"):
        _in_range(errors, f"body.vitals.{name}", name, getattr(vitals, name))
    for side in ("bp_left", "bp_right"):
        pressure: BloodPressure | None = getattr(vitals, side)
        if pressure is None:
            continue
        _in_range(errors, f"body.vitals.{side}.sbp", "sbp", pressure.sbp)
        _in_range(errors, f"body.vitals.{side}.dbp", "dbp", pressure.dbp)
        if pressure.dbp >= pressure.sbp:
            errors.append(FieldError(f"body.vitals.{side}", "舒张压应低于收缩压。", "inverted"))


def _in_range(errors: list[FieldError], field: str, name: str, value: float | None) -> None:
    if value is None:
        return
    low, high = codes.vital_range(name)
    if not low <= value <= high:
        errors.append(FieldError(field, f"数值 {value} 超出合理范围 {low:g}–{high:g}。", "range"))


def add_exam(session: Session, *, actor: Principal, record_id: int, data: ExamIn) -> HealthExam:
    """Record a health examination on a record (BMI computed), and put it on the timeline."""
    record = writable_record(session, actor=actor, record_id=record_id)
    errors: list[FieldError] = []
    check_exam(errors, data, utcnow())
    if errors:
        raise RecordInvalid(errors=errors)
    form = data.model_dump(mode="json", exclude={"exam_date"})
    exam = HealthExam(
        record_id=record.id,
        exam_date=data.exam_date,
        institution_id=record.institution_id,
        examiner_id=actor.id if actor.kind == "staff" else None,
        examiner_name=actor.name[:100],
        form=form,
        bmi=bmi(data.vitals.height_cm, data.vitals.weight_kg),
        form_version=codes.version(),
    )
    repository.add(session, exam)
    touch(session, record)
    audit.record(
        session,
        actor=actor,
        action="record.exam.create",
        resource_type="HealthExam",
        resource_id=exam.id,
        detail={"record_id": record.id},
    )
    _on_timeline(session, record, exam)
    return exam


def _on_timeline(session: Session, record: HealthRecord, exam: HealthExam) -> None:
    left = exam.form.get("vitals", {}).get("bp_left")
    title = "健康体检"
    if left:
        title += f"：血压 {left['sbp']}/{left['dbp']} mmHg"
    if exam.bmi is not None:
        title += f"，BMI {exam.bmi}"
    timeline.add_event(
        session,
        person_id=record.person_id,
        kind="exam",
        occurred_at=datetime.combine(exam.exam_date, time(9), tzinfo=UTC),
        title=title,
        institution_id=exam.institution_id,
        source="records",
        ref=f"HealthExam/{exam.id}",
        detail={"record_id": record.id, "bmi": exam.bmi},
    )


def exams_of(session: Session, *, record: HealthRecord) -> list[HealthExam]:
    """The examinations of a record, newest first (the caller has checked the read)."""
    return list(repository.exams_of(session, record.id))


def get_exam(session: Session, *, actor: Principal, exam_id: int) -> HealthExam:
    """One examination of a record ``actor``'s institution keeps (404 otherwise)."""
    exam = repository.get_exam(session, exam_id)
    if exam is None:
        raise RecordInvalid("体检记录不存在。", status_code=404, code="exam_not_found")
    kept_record(session, actor=actor, record_id=exam.record_id)
    return exam
