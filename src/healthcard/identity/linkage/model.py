"""The trained linkage model: Splink's settings dict with m and u estimated from data.

Nothing here types an m or a u: ``train`` estimates u by random sampling of record pairs and m by
expectation maximisation (two EM sessions, blocked so each field is estimated at least once), and
the prior probability that two records match from the pairs sharing a valid ID number. A level
that training never observes (say, a changed sex among matches) gets the probability Splink itself
scores such a level with, 1e-6.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from splink import Linker

from healthcard.identity.features import NormalizedRecord, normalize_record
from healthcard.identity.linkage.comparisons import (
    BLOCKING_RULES,
    COMPARISONS,
    DETERMINISTIC_RULE,
    EM_TRAINING_RULES,
    UNIQUE_ID,
    Comparison,
    feature_row,
)
from healthcard.identity.linkage.engine import (
    load_rows,
    new_database,
    quiet_splink,
    sql_functions,
)
from healthcard.identity.linkage.inputs import INPUT_HEADER, read_input
from healthcard.identity.population import generate_population

Progress = Callable[[str], None]
"""Called with a short description of each step as it starts."""

LEVEL_NOT_OBSERVED = "level not observed in training dataset"
NOT_OBSERVED_PROBABILITY = 1e-6
"""What Splink uses for m or u of a level never seen in training (``LEVEL_NOT_OBSERVED``)."""
CLAMP = 1e-300
"""Splink clamps m and u to at least this before taking log2(m / u)."""
DEFAULT_MODEL = "default_link_model.json"
DEFAULT_U_PAIRS = 1e7
DEFAULT_SEED = 20261122
"""Seed of the random sampling of pairs for u."""
DEFAULT_MODEL_PERSONS, DEFAULT_MODEL_SOURCES, DEFAULT_MODEL_SEED = 20_000, 5, 11643
"""The synthetic population the shipped model is trained on (benchmarks use other seeds)."""


class ModelError(ValueError):
    """A model file that does not fit this version's comparison levels; retrain it."""


@dataclass(frozen=True)
class LinkModel:
    """Splink's settings dict, trained; ``weights[c][k]`` is log2(m/u) of level k of comparison c.

    Level 0 of every comparison is its null level (weight 0).
    """

    settings: dict[str, Any]
    weights: dict[str, tuple[float, ...]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "weights", _weights(self.settings))

    @property
    def prior(self) -> float:
        """Probability that two random records belong to one person (lambda)."""
        return float(self.settings["probability_two_random_records_match"])

    @property
    def prior_weight(self) -> float:
        """log2 of the prior odds: the match weight of a pair before any field is compared."""
        return math.log2(self.prior / (1 - self.prior))

    def settings_for(self, engine: str) -> dict[str, Any]:
        """The settings with SQL for the given engine and this model's m and u."""
        return _settings(engine, self.settings)

    def save(self, path: str | Path) -> None:
        """Write the model as Splink's settings JSON (readable by ``splink.Linker`` too)."""
        text = json.dumps(self.settings, ensure_ascii=False, indent=2) + "\n"
        Path(path).write_text(text, encoding="utf-8")

    @classmethod
    def from_json(cls, settings: dict[str, Any]) -> LinkModel:
        """A model from a parsed settings dict (checked against this version's levels)."""
        return cls(settings)

    def to_json(self) -> dict[str, Any]:
        """The settings dict, JSON-serialisable (Splink's format)."""
        return self.settings

    @classmethod
    def load(cls, path: str | Path) -> LinkModel:
        """Read a model saved by ``save`` (or by Splink's ``save_model_to_json``)."""
        try:
            settings = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ModelError(f"无法读取匹配模型文件 {path}：{exc}") from exc
        return cls(settings)


def default_model() -> LinkModel:
    """The model shipped with healthcard, trained on a synthetic population."""
    text = resources.files("healthcard.identity").joinpath("data", DEFAULT_MODEL).read_text("utf-8")
    return LinkModel(json.loads(text))


def build_default_model(path: str | Path | None = None) -> LinkModel:
    """Train the shipped model on a synthetic population (20,000 persons, 5 sources, seed 11643)."""
    people = generate_population(
        persons=DEFAULT_MODEL_PERSONS, sources=DEFAULT_MODEL_SOURCES, seed=DEFAULT_MODEL_SEED
    )
    records = [normalize_record({k: getattr(p, k) for k in INPUT_HEADER}) for p in people]
    model = train(records)
    if path is None:
        path = Path(str(resources.files("healthcard.identity").joinpath("data", DEFAULT_MODEL)))
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    model.save(path)
    return model


def untrained_settings(engine: str) -> dict[str, Any]:
    """Settings with our comparisons and blocking rules, before any estimation."""
    return _settings(engine, None)


def train(
    records: Sequence[NormalizedRecord],
    *,
    engine: str = "duckdb",
    u_pairs: float = DEFAULT_U_PAIRS,
    seed: int = DEFAULT_SEED,
    progress: Progress | None = None,
) -> LinkModel:
    """Estimate the model from unlabelled records: prior, u by random sampling, m by EM."""
    report = progress or (lambda _step: None)
    db = new_database(engine)
    if len(records) < 2:
        raise ValueError("training needs at least two records")
    with quiet_splink():
        table = load_rows(db, [feature_row(r) for r in records])
        linker = Linker(table, untrained_settings(engine), log_level=None)
        report("估计先验匹配概率")
        valid_share = sum(r.id_valid for r in records) / max(len(records), 1)
        # The same-valid-ID rule finds a matching pair when both of its records carry a valid
        # ID; its recall is estimated from the data as the share of valid IDs, squared.
        linker.training.estimate_probability_two_random_records_match(
            [DETERMINISTIC_RULE], recall=max(valid_share**2, 0.01)
        )
        report("随机抽样估计 u 参数")
        linker.training.estimate_u_using_random_sampling(max_pairs=u_pairs, seed=seed)
        for rule in EM_TRAINING_RULES:
            report(f"EM 估计 m 参数（分块：{rule}）")
            linker.training.estimate_parameters_using_expectation_maximisation(
                rule, estimate_without_term_frequencies=True
            )
        settings = linker.misc.save_model_to_json()
    return LinkModel(_mark_unobserved(settings))


def train_csv(
    input_path: str | Path,
    output_path: str | Path,
    *,
    engine: str = "duckdb",
    u_pairs: float = DEFAULT_U_PAIRS,
    seed: int = DEFAULT_SEED,
    progress: Progress | None = None,
) -> tuple[LinkModel, int]:
    """Train on an input CSV (bad rows skipped), save the model; return it and the bad-row count."""
    records, errors = read_input(input_path)
    model = train(records, engine=engine, u_pairs=u_pairs, seed=seed, progress=progress)
    model.save(output_path)
    return model, len(errors)


def _settings(engine: str, trained: dict[str, Any] | None) -> dict[str, Any]:
    functions = sql_functions(engine)
    comparisons = [c.as_splink(functions) for c in COMPARISONS]
    settings: dict[str, Any] = {
        "link_type": "dedupe_only",
        "unique_id_column_name": UNIQUE_ID,
        "blocking_rules_to_generate_predictions": list(BLOCKING_RULES),
        "comparisons": comparisons,
        "retain_matching_columns": True,
        "retain_intermediate_calculation_columns": False,
        "em_convergence": 0.0001,
        "max_iterations": 25,
    }
    if trained is None:
        return settings
    settings["probability_two_random_records_match"] = trained[
        "probability_two_random_records_match"
    ]
    for comparison, ours in zip(COMPARISONS, comparisons, strict=True):
        theirs = _trained_levels(trained, comparison)
        for level, stored in zip(ours["comparison_levels"], theirs, strict=True):
            for key in ("m_probability", "u_probability"):
                if key in stored:
                    value = stored[key]
                    level[key] = NOT_OBSERVED_PROBABILITY if value == LEVEL_NOT_OBSERVED else value
    return settings


def _mark_unobserved(settings: dict[str, Any]) -> dict[str, Any]:
    """Give levels that training never observed the probability Splink scores them with.

    A level no EM session saw among matches (or random sampling among non-matches) has no value
    or Splink's "level not observed" marker; the training linker scores it as 1e-6. Saved that
    way, a model read back by Splink would fall back to Splink's generic per-level defaults
    instead, so the 1e-6 is written as a number: the model scores the same wherever it is read.
    """
    for comparison in settings["comparisons"]:
        for level in comparison["comparison_levels"]:
            if level.get("is_null_level"):
                continue
            for key in ("m_probability", "u_probability"):
                if level.get(key) is None or level.get(key) == LEVEL_NOT_OBSERVED:
                    level[key] = NOT_OBSERVED_PROBABILITY
    return settings


def _trained_levels(settings: dict[str, Any], comparison: Comparison) -> list[dict[str, Any]]:
    """The stored levels of one comparison, checked against this version's levels."""
    found = [
        c for c in settings.get("comparisons", []) if c.get("output_column_name") == comparison.name
    ]
    if len(found) != 1:
        raise ModelError(f"匹配模型缺少比较字段“{comparison.name}”，请重新训练模型。")
    levels: list[dict[str, Any]] = found[0].get("comparison_levels", [])
    labels = [level.get("label_for_charts") for level in levels]
    expected = [level.label for level in comparison.levels]
    if labels != expected:
        raise ModelError(
            f"匹配模型中“{comparison.name}”的比较级别与当前版本不一致"
            f"（模型：{labels}；当前：{expected}），请重新训练模型。"
        )
    return levels


def _probability(value: Any, what: str) -> float:
    if value == LEVEL_NOT_OBSERVED:
        return NOT_OBSERVED_PROBABILITY
    if not isinstance(value, int | float) or not 0 <= value <= 1:
        raise ModelError(f"匹配模型的 {what} 缺失或不是 0–1 之间的概率，请重新训练模型。")
    return max(float(value), CLAMP)


def _weights(settings: dict[str, Any]) -> dict[str, tuple[float, ...]]:
    prior = settings.get("probability_two_random_records_match")
    if not isinstance(prior, int | float) or not 0 < prior < 1:
        raise ModelError("匹配模型缺少先验匹配概率（probability_two_random_records_match）。")
    weights: dict[str, tuple[float, ...]] = {}
    for comparison in COMPARISONS:
        levels = _trained_levels(settings, comparison)
        values: list[float] = []
        for spec, level in zip(comparison.levels, levels, strict=True):
            if spec.is_null:
                values.append(0.0)
                continue
            what = f"“{comparison.name} / {spec.label}”"
            m = _probability(level.get("m_probability"), f"{what} m")
            u = _probability(level.get("u_probability"), f"{what} u")
            values.append(math.log2(m / u))
        weights[comparison.name] = tuple(values)
    return weights
