"""The comparison levels of the linkage model, written once as SQL (for Splink) and as Python.

Every level is a SQL condition on the derived columns of ``FEATURE_COLUMNS`` and a Python
predicate on the same values, so batch linkage (Splink in DuckDB or Spark) and the online matcher
(``score_pair``) put a pair into the same level. Names are compared as characters only for exact
agreement and otherwise as pinyin: pinyin is ASCII, so DuckDB's byte-counting string functions
count characters there (``GLOSSARY.md``, "Matching Chinese names").
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from rapidfuzz.distance import JaroWinkler

from healthcard.identity.features import NormalizedRecord, id_near, one_digit_off

Row = Mapping[str, str | None]
"""A record's derived columns, as stored in the linkage table (``None`` = SQL NULL)."""

UNIQUE_ID = "record_id"
_SIDE = re.compile(r"\b([lr])\.([a-z_]+)\b")
JARO_WINKLER_THRESHOLD = 0.88

FEATURE_COLUMNS: tuple[str, ...] = (
    "record_id",
    "source",
    "id_number",
    "id_body",
    "other_document",
    "name",
    "name_pinyin",
    "surname_pinyin",
    "given_pinyin",
    "given_first",
    "given_last",
    "sex",
    "birth_date",
    "birth_year",
    "phone",
    "phone_tail",
    "address",
    "county",
)
"""Columns of the table Splink reads; all text."""


def feature_row(record: NormalizedRecord) -> dict[str, str | None]:
    """The derived columns of one record, in ``FEATURE_COLUMNS`` order."""
    features = record.name_features
    born = record.birth_date.isoformat() if record.birth_date else None
    given = features.given if features else ""
    return {
        "record_id": record.record_id,
        "source": record.source or None,
        "id_number": record.id_number,
        "id_body": record.id_body,
        "other_document": record.other_document,
        "name": record.name,
        "name_pinyin": (features.pinyin or None) if features else None,
        "surname_pinyin": (features.surname_pinyin or None) if features else None,
        "given_pinyin": (features.given_pinyin or None) if features else None,
        "given_first": given[:1] or None,
        "given_last": given[-1:] or None,
        "sex": record.sex,
        "birth_date": born,
        "birth_year": born[:4] if born else None,
        "phone": record.phone,
        "phone_tail": record.phone[-7:] if record.phone and len(record.phone) >= 7 else None,
        "address": record.address,
        "county": record.county,
    }


@dataclass(frozen=True)
class SqlFunctions:
    """Names of the string functions of one SQL dialect."""

    jaro_winkler: str
    damerau_levenshtein: str
    levenshtein: str


DUCKDB_FUNCTIONS = SqlFunctions("jaro_winkler_similarity", "damerau_levenshtein", "levenshtein")


@dataclass(frozen=True)
class Level:
    """One comparison level: a label, a SQL condition and the same condition in Python.

    The SQL is written like a blocking rule (``l.name = r.name``); ``{jw}``, ``{dl}`` and ``{lev}``
    stand for the dialect's Jaro-Winkler, Damerau-Levenshtein and Levenshtein functions.
    """

    label: str
    sql: str
    test: Callable[[Row, Row], bool]
    is_null: bool = False

    def sql_condition(self, functions: SqlFunctions) -> str:
        """The SQL condition as Splink's comparisons want it (``x_l`` for ``l.x``)."""
        sql = _SIDE.sub(r"\2_\1", self.sql)
        return sql.format(
            jw=functions.jaro_winkler, dl=functions.damerau_levenshtein, lev=functions.levenshtein
        )


@dataclass(frozen=True)
class Comparison:
    """A field compared level by level; level 0 is the null level, the last is ELSE."""

    name: str
    description: str
    levels: tuple[Level, ...]

    def level_of(self, left: Row, right: Row) -> int:
        """Index into ``levels`` of the first level whose condition holds (SQL CASE order)."""
        for index, level in enumerate(self.levels):
            if level.test(left, right):
                return index
        raise AssertionError(f"comparison {self.name} has no else level")  # pragma: no cover

    def as_splink(self, functions: SqlFunctions) -> dict[str, Any]:
        """The comparison as a Splink comparison dict (without m and u)."""
        levels: list[dict[str, Any]] = []
        for level in self.levels:
            entry: dict[str, Any] = {
                "sql_condition": level.sql_condition(functions),
                "label_for_charts": level.label,
            }
            if level.is_null:
                entry["is_null_level"] = True
            levels.append(entry)
        return {
            "output_column_name": self.name,
            "comparison_description": self.description,
            "comparison_levels": levels,
        }


def _eq(column: str) -> Callable[[Row, Row], bool]:
    def test(left: Row, right: Row) -> bool:
        value = left[column]
        return value is not None and value == right[column]

    return test


def _either_null(*columns: str) -> Callable[[Row, Row], bool]:
    def test(left: Row, right: Row) -> bool:
        return any(left[c] is None or right[c] is None for c in columns)

    return test


def _both(column: str) -> Callable[[Row, Row], bool]:
    return lambda left, right: left[column] is not None and right[column] is not None


def _all(*tests: Callable[[Row, Row], bool]) -> Callable[[Row, Row], bool]:
    return lambda left, right: all(t(left, right) for t in tests)


def _any(*tests: Callable[[Row, Row], bool]) -> Callable[[Row, Row], bool]:
    return lambda left, right: any(t(left, right) for t in tests)


def _else(_left: Row, _right: Row) -> bool:
    return True


def _sql_null(*columns: str) -> str:
    return " OR ".join(f"l.{c} IS NULL OR r.{c} IS NULL" for c in columns)


def _sql_eq(column: str) -> str:
    return f"l.{column} = r.{column}"


def _id_null(left: Row, right: Row) -> bool:
    no_id = left["id_body"] is None or right["id_body"] is None
    no_other = left["other_document"] is None or right["other_document"] is None
    return no_id and no_other


def _id_near(left: Row, right: Row) -> bool:
    return id_near(left["id_body"], right["id_body"])


def _given_similar(left: Row, right: Row) -> bool:
    a, b = left["given_pinyin"], right["given_pinyin"]
    if a is None or b is None:
        return False
    return JaroWinkler.similarity(a, b) >= JARO_WINKLER_THRESHOLD


def _substr_eq(left_slice: slice, right_slice: slice) -> Callable[[Row, Row], bool]:
    def test(left: Row, right: Row) -> bool:
        a, b = left["birth_date"], right["birth_date"]
        return a is not None and b is not None and a[left_slice] == b[right_slice]

    return test


def _birth_one_character(left: Row, right: Row) -> bool:
    a, b = left["birth_date"], right["birth_date"]
    return a is not None and b is not None and one_digit_off(a, b)


_YEAR, _MONTH, _DAY, _MONTH_DAY = slice(0, 4), slice(5, 7), slice(8, 10), slice(5, 10)

ID_COMPARISON = Comparison(
    name="id_number",
    description="Resident ID number (or another document)",
    levels=(
        Level(
            "ID missing",
            "(l.id_body IS NULL OR r.id_body IS NULL) AND "
            "(l.other_document IS NULL OR r.other_document IS NULL)",
            _id_null,
            is_null=True,
        ),
        Level("Same valid ID", _sql_eq("id_number"), _eq("id_number")),
        Level("Same other document", _sql_eq("other_document"), _eq("other_document")),
        Level("Same ID digits, not both valid", _sql_eq("id_body"), _eq("id_body")),
        Level(
            "Different valid IDs",
            "l.id_number IS NOT NULL AND r.id_number IS NOT NULL",
            _both("id_number"),
        ),
        Level(
            "ID one digit off or transposed",
            "{dl}(l.id_body, r.id_body) = 1 AND length(l.id_body) = length(r.id_body)",
            _id_near,
        ),
        Level("All other", "ELSE", _else),
    ),
)

NAME_COMPARISON = Comparison(
    name="name",
    description="Name: characters, pinyin (homophones), surname and given name",
    levels=(
        Level("Name missing", _sql_null("name"), _either_null("name"), is_null=True),
        Level("Same characters", _sql_eq("name"), _eq("name")),
        Level("Same pinyin (homophone)", _sql_eq("name_pinyin"), _eq("name_pinyin")),
        Level(
            f"Same surname, given name pinyin Jaro-Winkler >= {JARO_WINKLER_THRESHOLD}",
            f"{_sql_eq('surname_pinyin')} AND "
            f"{{jw}}(l.given_pinyin, r.given_pinyin) >= {JARO_WINKLER_THRESHOLD}",
            _all(_eq("surname_pinyin"), _given_similar),
        ),
        Level(
            "Same surname, a given-name character in common",
            f"{_sql_eq('surname_pinyin')} AND "
            f"({_sql_eq('given_first')} OR {_sql_eq('given_last')})",
            _all(_eq("surname_pinyin"), _any(_eq("given_first"), _eq("given_last"))),
        ),
        Level("Same surname", _sql_eq("surname_pinyin"), _eq("surname_pinyin")),
        Level("All other", "ELSE", _else),
    ),
)

BIRTH_DATE_COMPARISON = Comparison(
    name="birth_date",
    description="Birth date",
    levels=(
        Level("Birth date missing", _sql_null("birth_date"), _either_null("birth_date"), True),
        Level("Same birth date", _sql_eq("birth_date"), _eq("birth_date")),
        Level(
            "Month and day swapped",
            "substr(l.birth_date, 1, 4) = substr(r.birth_date, 1, 4) AND "
            "substr(l.birth_date, 6, 2) = substr(r.birth_date, 9, 2) AND "
            "substr(l.birth_date, 9, 2) = substr(r.birth_date, 6, 2)",
            _all(_substr_eq(_YEAR, _YEAR), _substr_eq(_MONTH, _DAY), _substr_eq(_DAY, _MONTH)),
        ),
        Level(
            "One character different",
            "{lev}(l.birth_date, r.birth_date) = 1",
            _birth_one_character,
        ),
        Level(
            "Same month and day",
            "substr(l.birth_date, 6, 5) = substr(r.birth_date, 6, 5)",
            _substr_eq(_MONTH_DAY, _MONTH_DAY),
        ),
        Level(
            "Same year",
            "substr(l.birth_date, 1, 4) = substr(r.birth_date, 1, 4)",
            _substr_eq(_YEAR, _YEAR),
        ),
        Level("All other", "ELSE", _else),
    ),
)

SEX_COMPARISON = Comparison(
    name="sex",
    description="Sex (GB/T 2261.1; 0 and 9 count as missing)",
    levels=(
        Level("Sex missing", _sql_null("sex"), _either_null("sex"), is_null=True),
        Level("Same sex", _sql_eq("sex"), _eq("sex")),
        Level("All other", "ELSE", _else),
    ),
)

PHONE_COMPARISON = Comparison(
    name="phone",
    description="Phone number (digits)",
    levels=(
        Level("Phone missing", _sql_null("phone"), _either_null("phone"), is_null=True),
        Level("Same phone", _sql_eq("phone"), _eq("phone")),
        Level("Same last 7 digits", _sql_eq("phone_tail"), _eq("phone_tail")),
        Level("All other", "ELSE", _else),
    ),
)

ADDRESS_COMPARISON = Comparison(
    name="address",
    description="Address text and its county",
    levels=(
        Level("Address missing", _sql_null("address"), _either_null("address"), is_null=True),
        Level("Same address", _sql_eq("address"), _eq("address")),
        Level("Same county", _sql_eq("county"), _eq("county")),
        Level("All other", "ELSE", _else),
    ),
)

COMPARISONS: tuple[Comparison, ...] = (
    ID_COMPARISON,
    NAME_COMPARISON,
    BIRTH_DATE_COMPARISON,
    SEX_COMPARISON,
    PHONE_COMPARISON,
    ADDRESS_COMPARISON,
)

BLOCKING_RULES: tuple[str, ...] = (
    _sql_eq("id_body"),
    "substr(l.id_body, 1, 14) = substr(r.id_body, 1, 14)",
    "substr(l.id_body, 7, 11) = substr(r.id_body, 7, 11)",
    _sql_eq("phone"),
    f"{_sql_eq('name_pinyin')} AND {_sql_eq('birth_year')}",
    f"{_sql_eq('surname_pinyin')} AND {_sql_eq('birth_date')}",
    f"{_sql_eq('name_pinyin')} AND {_sql_eq('county')}",
)
"""Candidate pairs: any rule (OR). Each is an equi-join, so work grows with the candidates."""

EM_TRAINING_RULES: tuple[str, ...] = (
    _sql_eq("id_body"),
    f"{_sql_eq('name_pinyin')} AND {_sql_eq('birth_date')}",
)
"""EM sessions: the first estimates m of every field but the ID, the second the ID's too."""

DETERMINISTIC_RULE = _sql_eq("id_number")
"""Pairs certainly matching, to estimate the prior probability that two records match."""
