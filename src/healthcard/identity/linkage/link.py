"""Link the records of one person: Splink predicts, the ID rules decide, clusters become persons.

1. Splink scores the candidate pairs of the blocking rules with the model's m and u.
2. Hard rules on resident ID numbers: the same valid number gives probability 1, two different
   valid numbers give 0, whatever the other fields say.
3. Splink's connected components at the threshold make clusters. A chain of links can still join
   two different valid IDs through records without one (A-ID1 ~ B ~ C-ID2); such a cluster is
   split again, strongest links first, never joining two different valid IDs.
4. A person id is derived from the smallest record id of the cluster, so it is stable.
"""

from __future__ import annotations

import csv
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from splink import Linker
from splink.internals.database_api import DatabaseAPISubClass

from healthcard.core.crypto import sm3_hex
from healthcard.identity.features import NormalizedRecord
from healthcard.identity.linkage.comparisons import feature_row
from healthcard.identity.linkage.engine import load_rows, new_database, quiet_splink
from healthcard.identity.linkage.inputs import OUTPUT_HEADER, RowError, read_input
from healthcard.identity.linkage.model import LinkModel, Progress, default_model

DEFAULT_THRESHOLD = 0.9

Edge = tuple[str, str, float]


@dataclass(frozen=True)
class LinkResult:
    """A record's person; ``match_probability``: its strongest link in the cluster (None alone)."""

    record_id: str
    person_id: str
    match_probability: float | None


@dataclass(frozen=True)
class LinkReport:
    """What ``link_csv`` did: records linked, rows skipped, persons found, wall time."""

    records: int
    bad_rows: list[RowError]
    persons: int
    seconds: float


def person_id(smallest_record_id: str) -> str:
    """A stable person id: "P" and 12 hex digits of SM3 of the cluster's smallest record id."""
    return "P" + sm3_hex(smallest_record_id.encode("utf-8"))[:12]


def link(
    records: Sequence[NormalizedRecord],
    *,
    model: LinkModel | None = None,
    engine: str = "duckdb",
    threshold: float = DEFAULT_THRESHOLD,
    progress: Progress | None = None,
) -> list[LinkResult]:
    """Group the records by person (blocking, scoring, ID rules, clustering at the threshold)."""
    if not 0 < threshold <= 1:
        raise ValueError(f"threshold must be within (0, 1], got {threshold!r}")
    report = progress or (lambda _step: None)
    model = model or default_model()
    db = new_database(engine)
    if not records:
        return []
    if len({r.record_id for r in records}) != len(records):
        raise ValueError("record ids must be unique")
    with quiet_splink():
        cluster_of, edges = _predict_and_cluster(db, records, model, engine, threshold, report)
    report("按身份证号规则拆分冲突的聚类")
    ids = {r.record_id: r.id_number for r in records if r.id_number}
    cluster_of = _split_conflicting(cluster_of, edges, ids)
    return _results(records, cluster_of, edges)


def _predict_and_cluster(
    db: DatabaseAPISubClass,
    records: Sequence[NormalizedRecord],
    model: LinkModel,
    engine: str,
    threshold: float,
    report: Progress,
) -> tuple[dict[str, str], list[Edge]]:
    """Splink: score the blocked pairs, apply the ID rules, cluster; (cluster of record, edges)."""
    report("载入记录")
    table = load_rows(db, [feature_row(r) for r in records])
    linker = Linker(table, model.settings_for(engine), log_level=None)
    report("分块并计算匹配概率")
    predictions = linker.inference.predict(warning_mode="never")
    edges_table = predictions.query_sql(_hard_rules_sql(threshold))
    report("按阈值聚类")
    clusters_table = linker.clustering.cluster_pairwise_predictions_at_threshold(
        edges_table, threshold_match_probability=threshold
    )
    edges: list[Edge] = [
        (str(row["record_id_l"]), str(row["record_id_r"]), float(row["match_probability"]))
        for row in edges_table.as_record_list()
    ]
    clusters = clusters_table.query_sql("SELECT cluster_id, record_id FROM {this}")
    cluster_of = {
        str(row["record_id"]): str(row["cluster_id"]) for row in clusters.as_record_list()
    }
    return cluster_of, edges


def link_csv(
    input_path: str | Path,
    output_path: str | Path,
    *,
    model: LinkModel | None = None,
    engine: str = "duckdb",
    threshold: float = DEFAULT_THRESHOLD,
    progress: Progress | None = None,
) -> LinkReport:
    """Link an input CSV and write record_id,person_id,match_probability (bad rows skipped)."""
    started = time.perf_counter()
    report = progress or (lambda _step: None)
    report("读取输入文件")
    records, bad_rows = read_input(input_path)
    results = link(records, model=model, engine=engine, threshold=threshold, progress=progress)
    report("写出结果")
    write_output(output_path, results)
    persons = len({r.person_id for r in results})
    return LinkReport(len(results), bad_rows, persons, time.perf_counter() - started)


def write_output(path: str | Path, results: Sequence[LinkResult]) -> None:
    """Write the output CSV (UTF-8, header ``record_id,person_id,match_probability``) atomically."""
    target = Path(path)
    partial = target.with_name(target.name + ".partial")
    with partial.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(OUTPUT_HEADER)
        for result in results:
            p = result.match_probability
            writer.writerow((result.record_id, result.person_id, "" if p is None else f"{p:.6f}"))
    partial.replace(target)


def _hard_rules_sql(threshold: float) -> str:
    return f"""
        SELECT record_id_l, record_id_r, match_probability FROM (
            SELECT record_id_l, record_id_r,
                CASE
                    WHEN id_number_l = id_number_r THEN 1.0
                    WHEN id_number_l IS NOT NULL AND id_number_r IS NOT NULL THEN 0.0
                    ELSE match_probability
                END AS match_probability
            FROM {{this}}
        ) AS ruled
        WHERE match_probability >= {threshold!r}
    """  # noqa: S608 - the only value is a float


def _split_conflicting(
    cluster_of: dict[str, str], edges: Sequence[Edge], ids: dict[str, str]
) -> dict[str, str]:
    """Re-cluster, strongest edge first, the clusters that hold two different valid IDs."""
    ids_in: dict[str, set[str]] = defaultdict(set)
    for record_id, number in ids.items():
        ids_in[cluster_of[record_id]].add(number)
    bad = {cluster for cluster, numbers in ids_in.items() if len(numbers) > 1}
    if not bad:
        return cluster_of
    parent = {r: r for r, c in cluster_of.items() if c in bad}
    number_of = {r: {ids[r]} if r in ids else set() for r in parent}

    def root(node: str) -> str:
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    inside = [e for e in edges if e[0] in parent and e[1] in parent]
    for left, right, _p in sorted(inside, key=lambda e: (-e[2], e[0], e[1])):
        a, b = root(left), root(right)
        if a == b or len(number_of[a] | number_of[b]) > 1:
            continue
        parent[b] = a
        number_of[a] |= number_of.pop(b)
    return {r: (f"{c}/{root(r)}" if c in bad else c) for r, c in cluster_of.items()}


def _results(
    records: Sequence[NormalizedRecord], cluster_of: dict[str, str], edges: Sequence[Edge]
) -> list[LinkResult]:
    members: dict[str, list[str]] = defaultdict(list)
    for record_id, cluster in cluster_of.items():
        members[cluster].append(record_id)
    names = {cluster: person_id(min(ids)) for cluster, ids in members.items()}
    best: dict[str, float] = {}
    for left, right, probability in edges:
        if cluster_of[left] == cluster_of[right]:
            best[left] = max(best.get(left, 0.0), probability)
            best[right] = max(best.get(right, 0.0), probability)
    return [
        LinkResult(r.record_id, names[cluster_of[r.record_id]], best.get(r.record_id))
        for r in records
    ]
