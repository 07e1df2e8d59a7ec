"""``healthcard empi``: batch linkage of hospital extracts (数据比对) and model training."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from healthcard.core.commands import operator, transaction
from healthcard.identity import linkage, service

app = typer.Typer(help="主索引：批量数据比对与匹配模型训练", no_args_is_help=True)
console = Console()
err = Console(stderr=True)


def _progress() -> Progress:
    return Progress(
        SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=err
    )


@app.command("link")
def link_command(
    input_csv: Path = typer.Argument(..., exists=True, dir_okay=False, help="INPUT.csv"),
    out: Path = typer.Option(
        ..., "--out", help="OUTPUT.csv: record_id,person_id,match_probability"
    ),
    engine: str = typer.Option("duckdb", help="duckdb（单机）或 spark（集群）"),
    model: Path | None = typer.Option(None, exists=True, dir_okay=False, help="训练好的模型 JSON"),
    threshold: float = typer.Option(
        linkage.DEFAULT_THRESHOLD, min=0.0, max=1.0, help="归为同一人的概率阈值"
    ),
) -> None:
    """Link the records of one person across hospital extracts."""
    chosen = linkage.LinkModel.load(model) if model else linkage.default_model()
    with _progress() as progress:
        task = progress.add_task("比对", total=None)

        def tick(step: str) -> None:
            progress.update(task, description=step)

        try:
            report = linkage.link_csv(
                input_csv, out, model=chosen, engine=engine, threshold=threshold, progress=tick
            )
        except (linkage.InputFileError, linkage.EngineUnavailable, linkage.ModelError) as error:
            err.print(f"[red]错误：{escape(str(error))}[/red]")
            raise typer.Exit(code=2) from error
    for problem in report.bad_rows:
        err.print(f"[yellow]第 {problem.line} 行[/yellow] {escape(str(problem))}")
    console.print(
        f"已比对 {report.records} 条记录（跳过 {len(report.bad_rows)} 条有误记录），"
        f"归并为 {report.persons} 人，用时 {report.seconds:.1f} 秒 → {out}"
    )


@app.command("activate")
def activate_command(
    model: Path = typer.Argument(..., exists=True, dir_okay=False, help="训练好的模型 JSON"),
) -> None:
    """Make a trained model the one online registrations are scored with."""
    loaded = linkage.LinkModel.load(model)
    with transaction() as session:
        row = service.activate_model(session, actor=operator(), model=loaded, trained_on=str(model))
    console.print(f"在线匹配已启用模型 {row.version}")


@app.command("train")
def train_command(
    input_csv: Path = typer.Argument(..., exists=True, dir_okay=False, help="INPUT.csv"),
    out: Path = typer.Option(..., "--out", help="模型 JSON 输出路径"),
    engine: str = typer.Option("duckdb", help="duckdb 或 spark"),
) -> None:
    """Estimate the matching weights (m, u) from data and save the model."""
    with _progress() as progress:
        task = progress.add_task("训练", total=None)

        def tick(step: str) -> None:
            progress.update(task, description=step)

        try:
            _, bad_rows = linkage.train_csv(input_csv, out, engine=engine, progress=tick)
        except (linkage.InputFileError, linkage.EngineUnavailable) as error:
            err.print(f"[red]错误：{escape(str(error))}[/red]")
            raise typer.Exit(code=2) from error
    console.print(f"模型已保存：{out}（跳过 {bad_rows} 条有误记录）")
