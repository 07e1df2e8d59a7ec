"""Score one pair of records in pure Python, field by field, with a trained model.

The same comparison levels and the same m and u as batch linkage, without a database: for the
online matcher, and to explain a score in the review screen. ``match_weight`` equals Splink's own
prediction for the pair (the tests hold it to 1e-6).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from healthcard.identity.features import NormalizedRecord
from healthcard.identity.linkage.comparisons import COMPARISONS, feature_row
from healthcard.identity.linkage.model import LinkModel

Rule = Literal["same_valid_id", "different_valid_ids"]

_SHOWN: dict[str, Callable[[NormalizedRecord], str | None]] = {
    "id_number": lambda r: r.id_number or r.id_raw or r.other_document,
    "name": lambda r: r.name,
    "birth_date": lambda r: r.birth_date.isoformat() if r.birth_date else None,
    "sex": lambda r: r.sex,
    "phone": lambda r: r.phone,
    "address": lambda r: r.address,
}


@dataclass(frozen=True)
class FieldScore:
    """How one field of the pair compared: its level and the evidence (log2 m/u) it gave.

    ``value_a``/``value_b`` are unmasked: mask ID numbers and phones before showing them.
    """

    name: str
    level_label: str
    level: int
    match_weight: float
    value_a: str | None
    value_b: str | None

    @property
    def bayes_factor(self) -> float:
        """m/u of the level: how many times likelier this agreement is for one person."""
        return float(2**self.match_weight)


@dataclass(frozen=True)
class PairScore:
    """The model's score of a pair, the fields behind it, and the hard rule that decides, if any."""

    match_weight: float
    match_probability: float
    fields: list[FieldScore]
    rule: Rule | None

    @property
    def final_probability(self) -> float:
        """The probability linkage uses: 1 for the same valid ID, 0 for two different ones."""
        if self.rule == "same_valid_id":
            return 1.0
        if self.rule == "different_valid_ids":
            return 0.0
        return self.match_probability


def score_pair(model: LinkModel, a: NormalizedRecord, b: NormalizedRecord) -> PairScore:
    """Compare two records field by field with the model's m and u; apply the ID hard rules."""
    left, right = feature_row(a), feature_row(b)
    fields: list[FieldScore] = []
    total = model.prior_weight
    for comparison in COMPARISONS:
        index = comparison.level_of(left, right)
        weight = model.weights[comparison.name][index]
        total += weight
        shown = _SHOWN[comparison.name]
        fields.append(
            FieldScore(
                comparison.name,
                comparison.levels[index].label,
                index,
                weight,
                shown(a),
                shown(b),
            )
        )
    return PairScore(total, match_probability(total), fields, id_rule(a, b))


def match_probability(match_weight: float) -> float:
    """1 / (1 + 2^-w), computed as Splink does so large weights do not overflow."""
    if match_weight >= 0:
        return 1.0 / (1.0 + math.pow(2.0, -match_weight))
    power = math.pow(2.0, match_weight)
    return power / (1.0 + power)


def id_rule(a: NormalizedRecord, b: NormalizedRecord) -> Rule | None:
    """The hard rule on resident IDs: the same valid number links, two different never do."""
    if a.id_number is None or b.id_number is None:
        return None
    return "same_valid_id" if a.id_number == b.id_number else "different_valid_ids"
