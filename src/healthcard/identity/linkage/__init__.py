"""Master patient index linkage: group the records hospitals hold of one person.

``healthcard empi link INPUT.csv --out OUTPUT.csv`` runs ``link_csv``; ``healthcard empi train``
runs ``train_csv``. The same valid resident ID number decides; otherwise a Fellegi-Sunter model
(Splink; m and u estimated from the data) scores names, birth dates, sex, phones and addresses,
and two different valid ID numbers are never linked.

Modules: ``inputs`` (CSV reading), ``comparisons`` (levels as SQL and as Python), ``model``
(training, saved model), ``scoring`` (one pair in pure Python), ``link`` (batch linkage),
``engine`` (DuckDB or Spark).
"""

from healthcard.identity.linkage.comparisons import (
    BLOCKING_RULES,
    COMPARISONS,
    FEATURE_COLUMNS,
    feature_row,
)
from healthcard.identity.linkage.engine import ENGINES, Engine, EngineUnavailable
from healthcard.identity.linkage.inputs import (
    INPUT_HEADER,
    OUTPUT_HEADER,
    InputFileError,
    RowError,
    read_input,
)
from healthcard.identity.linkage.link import (
    DEFAULT_THRESHOLD,
    LinkReport,
    LinkResult,
    link,
    link_csv,
    person_id,
    write_output,
)
from healthcard.identity.linkage.model import (
    LinkModel,
    ModelError,
    Progress,
    build_default_model,
    default_model,
    train,
    train_csv,
)
from healthcard.identity.linkage.scoring import (
    FieldScore,
    PairScore,
    id_rule,
    match_probability,
    score_pair,
)

__all__ = [
    "BLOCKING_RULES",
    "COMPARISONS",
    "DEFAULT_THRESHOLD",
    "ENGINES",
    "FEATURE_COLUMNS",
    "INPUT_HEADER",
    "OUTPUT_HEADER",
    "Engine",
    "EngineUnavailable",
    "FieldScore",
    "InputFileError",
    "LinkModel",
    "LinkReport",
    "LinkResult",
    "ModelError",
    "PairScore",
    "Progress",
    "RowError",
    "build_default_model",
    "default_model",
    "feature_row",
    "id_rule",
    "link",
    "link_csv",
    "match_probability",
    "person_id",
    "read_input",
    "score_pair",
    "train",
    "train_csv",
    "write_output",
]
