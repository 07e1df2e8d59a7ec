"""The card centre's batch commands: demo population, empi link, empi train."""

from __future__ import annotations

import csv
from pathlib import Path

from typer.testing import CliRunner

from healthcard.cli import app

runner = CliRunner()


def test_population_link_and_train(tmp_path: Path) -> None:
    people = tmp_path / "people.csv"
    made = runner.invoke(
        app,
        [
            "demo",
            "population",
            "--persons",
            "300",
            "--sources",
            "3",
            "--seed",
            "5",
            "--out",
            str(people),
        ],
    )
    assert made.exit_code == 0, made.output
    rows = list(csv.DictReader(people.open(encoding="utf-8")))
    assert list(rows[0])[-1] == "truth_person"
    # Damage one row: the load reports it with its line number and goes on.
    lines = people.read_text(encoding="utf-8").splitlines()
    lines[3] = "BAD-1,H01,01,,张3,1,1990-01-01,,,T0"
    people.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "out.csv"
    linked = runner.invoke(app, ["empi", "link", str(people), "--out", str(out)])
    assert linked.exit_code == 0, linked.output
    assert "第 4 行" in linked.output
    result = list(csv.DictReader(out.open(encoding="utf-8")))
    assert list(result[0]) == ["record_id", "person_id", "match_probability"]
    assert len(result) == len(rows) - 1
    truth = {r["record_id"]: r["truth_person"] for r in rows}
    by_person: dict[str, set[str]] = {}
    for r in result:
        by_person.setdefault(r["person_id"], set()).add(truth[r["record_id"]])
    mixed = sum(1 for truths in by_person.values() if len(truths) > 1)
    assert mixed <= 3  # records of one predicted person almost always share the true person
    model = tmp_path / "model.json"
    trained = runner.invoke(app, ["empi", "train", str(people), "--out", str(model)])
    assert trained.exit_code == 0, trained.output
    assert model.read_text(encoding="utf-8").startswith("{")


def test_wrong_header_and_spark_without_pyspark(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("id,name\n1,张三\n", encoding="utf-8")
    answer = runner.invoke(app, ["empi", "link", str(bad), "--out", str(tmp_path / "o.csv")])
    assert answer.exit_code == 2
    assert "record_id,source,id_type" in answer.output
    good = tmp_path / "good.csv"
    runner.invoke(app, ["demo", "population", "--persons", "20", "--out", str(good)])
    spark = runner.invoke(
        app, ["empi", "link", str(good), "--out", str(tmp_path / "o.csv"), "--engine", "spark"]
    )
    assert spark.exit_code == 2
    assert "healthcard[spark]" in spark.output
