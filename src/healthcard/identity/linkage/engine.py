"""The SQL engines Splink runs on: DuckDB in process, or Spark when pyspark is installed."""

from __future__ import annotations

import importlib
import logging
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Literal, cast

from splink import DuckDBAPI
from splink.internals.database_api import DatabaseAPISubClass
from splink.internals.splink_dataframe import SplinkDataFrame

from healthcard.identity.linkage.comparisons import (
    DUCKDB_FUNCTIONS,
    FEATURE_COLUMNS,
    SqlFunctions,
)

Engine = Literal["duckdb", "spark"]
ENGINES: tuple[str, ...] = ("duckdb", "spark")
SPARK_FUNCTIONS = SqlFunctions("jaro_winkler", "damerau_levenshtein", "levenshtein")
"""Spark: ``levenshtein`` is built in, the other two are Splink's registered Java UDFs."""


class EngineUnavailable(RuntimeError):
    """The requested engine cannot run here (unknown, or its package is not installed)."""


def sql_functions(engine: str) -> SqlFunctions:
    """The string functions of an engine's SQL dialect."""
    return SPARK_FUNCTIONS if _checked(engine) == "spark" else DUCKDB_FUNCTIONS


def new_database(engine: str) -> DatabaseAPISubClass:
    """A fresh Splink database API for one run (an in-memory DuckDB, or the Spark session)."""
    if _checked(engine) == "duckdb":
        return DuckDBAPI(":memory:")
    spark_sql = _import_pyspark()
    session = spark_sql.SparkSession.builder.appName("healthcard-empi").getOrCreate()
    spark_api = cast(Any, importlib.import_module("splink.internals.spark.database_api"))
    return cast(DatabaseAPISubClass, spark_api.SparkAPI(spark_session=session))


def load_rows(db: DatabaseAPISubClass, rows: Sequence[dict[str, str | None]]) -> SplinkDataFrame:
    """Put the feature rows into the engine as a table of text columns; return it for Splink."""
    name = f"hc_records_{uuid.uuid4().hex[:12]}"
    columns = {c: [row[c] for row in rows] for c in FEATURE_COLUMNS}
    if isinstance(db, DuckDBAPI):
        raw = db.register(columns, table_name=f"{name}_raw")
        casts = ", ".join(f'CAST("{c}" AS VARCHAR) AS "{c}"' for c in FEATURE_COLUMNS)
        select = f"SELECT {casts} FROM {raw.physical_name}"  # noqa: S608 - names are ours
        db.duckdb_con.execute(f"CREATE TABLE {name} AS {select}")
        return db.register(name, table_name=name)
    spark = cast(Any, db).spark
    schema = ", ".join(f"`{c}` string" for c in FEATURE_COLUMNS)
    frame = spark.createDataFrame([tuple(row[c] for c in FEATURE_COLUMNS) for row in rows], schema)
    return db.register(frame, table_name=name)


@contextmanager
def quiet_splink(level: int = logging.ERROR) -> Iterator[None]:
    """Hold back Splink's progress and advice messages (the caller reports progress itself)."""
    logger = logging.getLogger("splink")
    previous = logger.level
    logger.setLevel(level)
    try:
        yield
    finally:
        logger.setLevel(previous)


def _checked(engine: str) -> str:
    if engine not in ENGINES:
        raise EngineUnavailable(f"未知的计算引擎“{engine}”：可选 {', '.join(ENGINES)}。")
    return engine


def _import_pyspark() -> Any:
    try:
        return importlib.import_module("pyspark.sql")
    except ImportError:
        raise EngineUnavailable(
            "Spark 引擎需要 pyspark，但当前环境未安装。请执行 pip install 'healthcard[spark]' "
            "安装后重试，或改用 --engine duckdb。"
        ) from None
