"""The rule files: loading and versions, month arithmetic, and what each programme's rules say
about a visit (classification, referral, next visit), immunisation due dates, deadlines."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from healthcard.records.programmes.service import evaluate, rules
from healthcard.records.programmes.service.immunisation import dose_statuses
from healthcard.records.programmes.service.infectious import deadline

NBPHS = rules.programme_rules(version="nbphs-2017")
NIP = rules.immunisation_schedule(version="nip-2021")


def test_shipped_versions_are_the_newest_in_force() -> None:
    assert rules.programme_rules().version == "nbphs-2017"
    assert rules.immunisation_schedule().version == "nip-2021"
    assert rules.disease_list().version == "notifiable-diseases-2023"
    with pytest.raises(rules.RulesError):
        rules.immunisation_schedule(on=date(2020, 1, 1))
    with pytest.raises(rules.RulesError):
        rules.immunisation_schedule(version="nbphs-2017")


@pytest.mark.parametrize(
    ("start", "interval", "expected"),
    [
        (date(2024, 1, 15), rules.Interval(months=3), date(2024, 4, 15)),
        (date(2024, 1, 31), rules.Interval(months=1), date(2024, 2, 29)),
        (date(2023, 1, 31), rules.Interval(months=1), date(2023, 2, 28)),
        (date(2024, 8, 31), rules.Interval(months=1), date(2024, 9, 30)),
        (date(2024, 2, 29), rules.Interval(years=1), date(2025, 2, 28)),
        (date(2024, 11, 30), rules.Interval(months=3), date(2025, 2, 28)),
        (date(2024, 12, 25), rules.Interval(days=14), date(2025, 1, 8)),
    ],
)
def test_month_arithmetic_clamps_to_the_month_end(
    start: date, interval: rules.Interval, expected: date
) -> None:
    assert interval.after(start) == expected


def _due(born: date, vaccine: str, dose: int, given: list[object] | None = None) -> date:
    statuses = dose_statuses(NIP, birth_date=born, given=given or [], as_of=born)  # type: ignore[arg-type]
    return next(s.due_date for s in statuses if s.vaccine_code == vaccine and s.dose_number == dose)


def test_child_born_2024_01_15_is_due_ipv2_and_mmr1_on_the_schedule() -> None:
    born = date(2024, 1, 15)
    assert _due(born, "IPV", 2) == date(2024, 4, 15)
    assert _due(born, "MMR", 1) == date(2024, 9, 15)
    assert _due(born, "HepB", 1) == born
    assert _due(born, "DT", 1) == date(2030, 1, 15)


def test_immunisation_due_dates_clamp_to_the_month_end() -> None:
    born = date(2024, 1, 31)
    assert _due(born, "HepB", 2) == date(2024, 2, 29)
    assert _due(born, "IPV", 1) == date(2024, 3, 31)
    assert _due(born, "DTaP", 1) == date(2024, 4, 30)
    assert _due(born, "MMR", 1) == date(2024, 9, 30)


class _Given:
    def __init__(self, vaccine: str, dose: int, on: date) -> None:
        self.vaccine_code, self.dose_number, self.given_on = vaccine, dose, on


def test_a_late_dose_pushes_the_next_by_the_minimum_interval() -> None:
    born = date(2024, 1, 15)
    late_first = _Given("DTaP", 1, date(2024, 5, 1))  # due 2024-04-15, given late
    assert _due(born, "DTaP", 2, [late_first]) == date(2024, 5, 29)  # 28 days later, not 05-15


def test_dose_statuses_given_due_overdue_upcoming() -> None:
    born = date(2024, 1, 15)
    given = [_Given("HepB", 1, born), _Given("BCG", 1, born)]
    statuses = dose_statuses(NIP, birth_date=born, given=given, as_of=date(2024, 3, 20))  # type: ignore[arg-type]
    by = {(s.vaccine_code, s.dose_number): s for s in statuses}
    assert by[("HepB", 1)].status == "given"
    assert by[("HepB", 2)].status == "overdue"  # due 02-15, on time until 03-15
    assert by[("IPV", 1)].status == "due"  # due 03-15, on time until 04-15
    assert by[("MMR", 1)].status == "upcoming"
    assert [s.due_date for s in statuses] == sorted(s.due_date for s in statuses)


def test_a_new_edition_is_a_new_file_not_a_code_change(tmp_path: Path) -> None:
    for shipped in rules.RULES_DIR.glob("*.json"):
        shutil.copy(shipped, tmp_path)
    edition = json.loads((rules.RULES_DIR / "nip-2021.json").read_text("utf-8"))
    edition.update(version="nip-2030", title="假设的2030年版", effective_from="2030-01-01")
    mmr = next(v for v in edition["vaccines"] if v["code"] == "MMR")
    mmr["doses"][0]["age"] = {"months": 9}
    (tmp_path / "nip-2030.json").write_text(json.dumps(edition), "utf-8")

    newer = rules.immunisation_schedule(on=date(2030, 6, 1), directory=tmp_path)
    assert newer.version == "nip-2030"
    assert (
        rules.immunisation_schedule(on=date(2029, 6, 1), directory=tmp_path).version == "nip-2021"
    )
    statuses = dose_statuses(newer, birth_date=date(2030, 1, 15), given=[], as_of=date(2030, 1, 15))
    mmr1 = next(s for s in statuses if (s.vaccine_code, s.dose_number) == ("MMR", 1))
    assert mmr1.due_date == date(2030, 10, 15)


def test_a_broken_or_duplicate_rule_file_is_refused(tmp_path: Path) -> None:
    shutil.copy(rules.RULES_DIR / "nip-2021.json", tmp_path / "a.json")
    shutil.copy(rules.RULES_DIR / "nip-2021.json", tmp_path / "b.json")
    with pytest.raises(rules.RulesError, match="share a version"):
        rules.immunisation_schedule(directory=tmp_path)
    (tmp_path / "b.json").write_text('{"kind": "immunisation", "version": "x"}', "utf-8")
    with pytest.raises(rules.RulesError, match="invalid"):
        rules.immunisation_schedule(directory=tmp_path)


# --- hypertension and diabetes ------------------------------------------------------------------

HT = NBPHS.programmes["hypertension"]
DM = NBPHS.programmes["diabetes"]


@pytest.mark.parametrize(
    ("values", "age", "code"),
    [
        ({"sbp": 132, "dbp": 84}, 50, "1"),
        ({"sbp": 145, "dbp": 85}, 50, "2"),
        ({"sbp": 145, "dbp": 85}, 70, "1"),  # <150/90 at 65+
        ({"sbp": 152, "dbp": 85}, 70, "2"),
        ({"sbp": 130, "dbp": 92}, 50, "2"),
        ({"sbp": 130, "dbp": 80, "adverse_reaction": True}, 50, "3"),
        ({"sbp": 150, "dbp": 80, "adverse_reaction": True, "new_complication": True}, 50, "4"),
    ],
)
def test_hypertension_classification(values: dict[str, object], age: int, code: str) -> None:
    assert evaluate.classify(HT, values, age) == code


def test_hypertension_emergency_referral_and_next_visits() -> None:
    high = evaluate.assess(HT, {"sbp": 182, "dbp": 100}, age=60)
    assert (high.classification, high.referral, high.emergency) == ("2", True, True)
    assert high.reasons == ["收缩压≥180mmHg，紧急转诊"]
    diastolic = evaluate.assess(HT, {"sbp": 170, "dbp": 110}, age=60)
    assert diastolic.emergency
    assert "舒张压≥110mmHg，紧急转诊" in diastolic.reasons
    below = evaluate.assess(HT, {"sbp": 179, "dbp": 109}, age=60)
    assert not below.emergency
    assert not below.referral
    symptom = evaluate.assess(HT, {"sbp": 130, "dbp": 80, "symptoms": ["consciousness"]}, age=60)
    assert symptom.emergency
    assert symptom.classification == "1"
    mild = evaluate.assess(HT, {"sbp": 130, "dbp": 80, "symptoms": ["tinnitus"]}, age=60)
    assert not mild.referral

    on = date(2025, 3, 10)
    for code, expected in (
        ("1", date(2025, 6, 10)),
        ("2", date(2025, 3, 24)),
        ("3", date(2025, 3, 24)),
    ):
        due = evaluate.next_due(HT, code="visit", on=on, classification=code, anchors={})
        assert due == evaluate.Due("visit", expected)


def test_twice_unsatisfactory_or_a_complication_advises_referral() -> None:
    once = evaluate.assess(HT, {"sbp": 150, "dbp": 95}, age=50, previous=["1"])
    assert not once.referral
    twice = evaluate.assess(HT, {"sbp": 150, "dbp": 95}, age=50, previous=["2", "1"])
    assert twice.referral
    assert not twice.emergency
    assert twice.reasons == [HT.refer_after_consecutive.reason]  # type: ignore[union-attr]
    complication = evaluate.assess(HT, {"sbp": 130, "dbp": 80, "new_complication": True}, age=50)
    assert complication.classification == "4"
    assert complication.referral


@pytest.mark.parametrize(
    ("glucose", "code", "emergency"),
    [
        (6.5, "1", False),
        (7.0, "2", False),
        (16.6, "2", False),
        (16.7, "2", True),
        (3.9, "1", True),
        (4.0, "1", False),
    ],
)
def test_diabetes_control_and_glucose_emergencies(
    glucose: float, code: str, emergency: bool
) -> None:
    outcome = evaluate.assess(DM, {"fasting_glucose": glucose, "sbp": 130, "dbp": 80}, age=55)
    assert outcome.classification == code
    assert outcome.emergency is emergency


# --- the other programmes -----------------------------------------------------------------------


def test_severe_mental_disorder_risk_levels() -> None:
    rule = NBPHS.programmes["mental"]
    unstable = evaluate.assess(rule, {"risk_level": 3, "insight": "complete"}, age=40)
    assert (unstable.classification, unstable.emergency) == ("unstable", True)
    basic = evaluate.assess(rule, {"risk_level": 1, "insight": "complete"}, age=40)
    assert (basic.classification, basic.referral) == ("basically_stable", False)
    stable = evaluate.assess(rule, {"risk_level": 0, "insight": "complete"}, age=40)
    assert stable.classification == "stable"
    on = date(2025, 1, 31)
    assert evaluate.next_due(
        rule, code="visit", on=on, classification="stable", anchors={}
    ) == evaluate.Due("visit", date(2025, 4, 30))
    assert evaluate.next_due(
        rule, code="visit", on=on, classification="unstable", anchors={}
    ) == evaluate.Due("visit", date(2025, 2, 14))


def test_children_checks_follow_the_age_schedule() -> None:
    rule = NBPHS.programmes["children"]
    born = date(2024, 1, 31)
    anchors = {"birth": born}
    assert evaluate.first_due(rule, enrolled_on=born, anchors=anchors) == evaluate.Due(
        "newborn", date(2024, 2, 7)
    )
    assert evaluate.first_due(rule, enrolled_on=date(2024, 2, 10), anchors=anchors) == evaluate.Due(
        "m1", date(2024, 3, 1)
    )
    after_m3 = evaluate.next_due(
        rule, code="m3", on=date(2024, 4, 30), classification="normal", anchors=anchors
    )
    assert after_m3 == evaluate.Due("m6", date(2024, 7, 31))
    late = evaluate.next_due(
        rule, code="m6", on=date(2024, 10, 5), classification="normal", anchors=anchors
    )
    assert late == evaluate.Due("m12", date(2025, 1, 31))  # the 8-month check has passed
    assert (
        evaluate.next_due(
            rule, code="y6", on=date(2030, 1, 31), classification=None, anchors=anchors
        )
        is None
    )
    assert evaluate.classify(rule, {"hemoglobin": 105}, 1) == "abnormal"


def test_maternal_visits_from_the_last_period_then_after_delivery() -> None:
    rule = NBPHS.programmes["maternal"]
    lmp = date(2025, 1, 1)
    first = evaluate.first_due(rule, enrolled_on=date(2025, 2, 20), anchors={"lmp": lmp})
    assert first == evaluate.Due("anc1", date(2025, 4, 2))
    waiting = evaluate.next_due(
        rule, code="anc5", on=date(2025, 10, 1), classification="normal", anchors={"lmp": lmp}
    )
    assert (
        waiting is None
    )  # no delivery date yet: nothing to schedule after the last antenatal visit
    delivered = {"lmp": lmp, "delivery": date(2025, 9, 20)}
    assert evaluate.next_due(
        rule, code="anc3", on=date(2025, 9, 25), classification="normal", anchors=delivered
    ) == evaluate.Due("pp7", date(2025, 9, 27))
    assert (
        evaluate.next_due(
            rule, code="pp42", on=date(2025, 11, 1), classification=None, anchors=delivered
        )
        is None
    )
    severe = evaluate.assess(rule, {"sbp": 162, "dbp": 100}, age=30)
    assert severe.classification == "high_risk"
    assert severe.emergency


def test_elderly_yearly_service_and_self_care() -> None:
    rule = NBPHS.programmes["elderly"]
    assert evaluate.next_due(
        rule, code="visit", on=date(2024, 2, 29), classification=None, anchors={}
    ) == evaluate.Due("visit", date(2025, 2, 28))
    assert [evaluate.classify(rule, {"self_care_score": s}, 70) for s in (0, 4, 9, 19)] == [
        "independent",
        "mild",
        "moderate",
        "dependent",
    ]


def test_tuberculosis_supervision_by_treatment_phase() -> None:
    rule = NBPHS.programmes["tuberculosis"]
    anchors = {"treatment": date(2025, 1, 1)}
    assert evaluate.first_due(rule, enrolled_on=date(2025, 1, 1), anchors=anchors) == evaluate.Due(
        "visit", date(2025, 1, 4)
    )
    assert evaluate.next_due(
        rule, code="visit", on=date(2025, 1, 20), classification=None, anchors=anchors
    ) == evaluate.Due("visit", date(2025, 1, 30))
    assert evaluate.next_due(
        rule, code="visit", on=date(2025, 3, 15), classification=None, anchors=anchors
    ) == evaluate.Due("visit", date(2025, 4, 15))
    assert (
        evaluate.next_due(
            rule, code="visit", on=date(2025, 6, 15), classification=None, anchors=anchors
        )
        is None
    )
    missed = evaluate.assess(rule, {"missed_doses": 2, "adverse_reaction": True}, age=40)
    assert missed.classification == "irregular"
    assert missed.referral
    assert not missed.emergency


# --- infectious diseases ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "hours"),
    [
        ("plague", 2),
        ("cholera", 2),
        ("sars", 2),
        ("anthrax_pulmonary", 2),
        ("anthrax", 24),
        ("measles", 24),
        ("covid19", 24),
        ("influenza", 24),
        ("hfmd", 24),
    ],
)
def test_reporting_deadlines_by_class(code: str, hours: int) -> None:
    diseases = rules.disease_list()
    disease = diseases.disease(code)
    assert disease is not None
    diagnosed = datetime(2025, 5, 1, 8, 0, tzinfo=UTC)
    assert (deadline(diseases, disease, diagnosed) - diagnosed).total_seconds() == hours * 3600


def test_disease_list_counts_and_classes() -> None:
    diseases = rules.disease_list()
    by_class = {c: {d.code for d in diseases.diseases if d.disease_class == c} for c in "ABC"}
    assert by_class["A"] == {"plague", "cholera"}
    assert len(by_class["C"]) == 11
    assert {d.code for d in diseases.diseases if d.managed_as_a} == {"sars", "anthrax_pulmonary"}
