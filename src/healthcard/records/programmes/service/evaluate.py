"""What the rules say about a visit: its classification, whether to refer (and how urgently),
and when the next visit is due. Pure functions over a rule and the visit's values."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from healthcard.records.programmes.service.rules import ProgrammeRule


@dataclass(frozen=True)
class Assessment:
    """The outcome of one visit under one rule version."""

    classification: str | None
    referral: bool
    emergency: bool
    reasons: list[str] = field(default_factory=list)


def controlled(rule: ProgrammeRule, values: Mapping[str, Any], age: int | None) -> bool:
    """Whether the visit meets the control target of the resident's age band."""
    for band in rule.control:
        if band.min_age is None or (age is not None and age >= band.min_age):
            return all(c.holds(dict(values)) for c in band.all)
    return True


def classify(rule: ProgrammeRule, values: Mapping[str, Any], age: int | None) -> str | None:
    """The first classification rule (in file order) that applies; None if the rule has none."""
    given = dict(values)
    for option in rule.classification:
        if option.default:
            return option.code
        if option.not_controlled and not controlled(rule, given, age):
            return option.code
        if option.any and any(c.holds(given) for c in option.any):
            return option.code
    return None


def referral_reasons(rule: ProgrammeRule, values: Mapping[str, Any]) -> tuple[list[str], bool]:
    """Reasons to refer from measured values and reported symptoms, and whether any is urgent."""
    given = dict(values)
    reasons: list[str] = []
    emergency = False
    for condition in rule.referral:
        if condition.holds(given):
            reasons.append(
                condition.reason or f"{condition.field} {condition.op} {condition.value}"
            )
            emergency = emergency or condition.emergency
    for code in given.get("symptoms") or []:
        symptom = rule.symptoms.get(code)
        if symptom is not None and symptom.emergency:
            reasons.append(f"{symptom.label}，紧急转诊")
            emergency = True
    return reasons, emergency


def assess(
    rule: ProgrammeRule,
    values: Mapping[str, Any],
    *,
    age: int | None,
    previous: Sequence[str | None] = (),
) -> Assessment:
    """Classify a visit and collect every referral reason; ``previous`` are the classifications
    of the last visits, newest first (for "twice in a row" rules)."""
    reasons, emergency = referral_reasons(rule, values)
    code = classify(rule, values, age)
    if code is not None and code in rule.refer_on_classification:
        reasons.append(rule.refer_on_classification[code])
    streak = rule.refer_after_consecutive
    if streak is not None and code in streak.codes:
        earlier = list(previous[: streak.count - 1])
        if len(earlier) == streak.count - 1 and all(p in streak.codes for p in earlier):
            reasons.append(streak.reason)
    unique = list(dict.fromkeys(reasons))
    return Assessment(code, bool(unique), emergency, unique)


# --- scheduling ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Due:
    """A visit to schedule: which schedule item, by when."""

    code: str
    due_date: date


def _check_after(
    rule: ProgrammeRule, anchors: Mapping[str, date], *, after_code: str | None, not_before: date
) -> Due | None:
    codes = [c.code for c in rule.checks]
    start = codes.index(after_code) + 1 if after_code in codes else 0
    for check in rule.checks[start:]:
        # Once the baby is born the antenatal checks are over.
        if check.anchor == "lmp" and "delivery" in anchors:
            continue
        anchor = anchors.get(check.anchor)
        if anchor is None:
            return None
        due = check.due.after(anchor)
        if due >= not_before:
            return Due(check.code, due)
    return None


def first_due(rule: ProgrammeRule, *, enrolled_on: date, anchors: Mapping[str, date]) -> Due | None:
    """The first visit after enrolment (for fixed schedules: the first check not yet past)."""
    if rule.schedule == "checks":
        return _check_after(rule, anchors, after_code=None, not_before=enrolled_on)
    assert rule.first_visit is not None  # noqa: S101 - validated when the rules were loaded
    return Due("visit", rule.first_visit.after(enrolled_on))


def next_due(
    rule: ProgrammeRule,
    *,
    code: str,
    on: date,
    classification: str | None,
    anchors: Mapping[str, date],
) -> Due | None:
    """The visit after the one of ``code`` done (or missed) ``on``; None when the schedule ends."""
    if rule.schedule == "checks":
        return _check_after(rule, anchors, after_code=code, not_before=on)
    if rule.schedule == "every":
        assert rule.every is not None  # noqa: S101
        return Due("visit", rule.every.after(on))
    if rule.schedule == "phases":
        return _next_in_phase(rule, on=on, start=anchors["treatment"])
    interval = rule.next_by_classification.get(classification or "")
    if interval is None:
        assert rule.first_visit is not None  # noqa: S101
        interval = rule.first_visit
    return Due("visit", interval.after(on))


def _next_in_phase(rule: ProgrammeRule, *, on: date, start: date) -> Due | None:
    end = rule.phases[-1].until.after(start)
    for phase in rule.phases:
        if on < phase.until.after(start):
            due = phase.every.after(on)
            return Due("visit", due) if due <= end else None
    return None


def phase_label(rule: ProgrammeRule, *, on: date, start: date) -> str | None:
    """The treatment phase a date falls in (强化期 / 继续期)."""
    for phase in rule.phases:
        if on < phase.until.after(start):
            return phase.label
    return None
