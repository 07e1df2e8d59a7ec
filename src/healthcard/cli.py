"""The ``healthcard`` command: serve, migrate, users, API clients, demo data, audit checks."""

from __future__ import annotations

import sys
from pathlib import Path

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy import func, select, text

import healthcard.app  # noqa: F401 - imports every domain, so all permissions are registered
from healthcard.accounts import service as accounts_service
from healthcard.accounts.schemas import ClientIn, StaffIn
from healthcard.cards import service as cards_service
from healthcard.core import audit, migrate
from healthcard.core.commands import operator, transaction
from healthcard.core.config import get_settings
from healthcard.core.db import make_engine
from healthcard.core.errors import AppError
from healthcard.demo import service as demo_service
from healthcard.demo.clinical import load_clinical
from healthcard.demo.programmes import load_programmes
from healthcard.demo.records import load_records
from healthcard.ecard import cli as ecard_cli
from healthcard.identity import cli as identity_cli
from healthcard.identity import service as identity_service
from healthcard.records import cli as records_cli

app = typer.Typer(help="居民健康卡平台 healthcard", no_args_is_help=True)
db_app = typer.Typer(help="数据库：迁移与状态", no_args_is_help=True)
users_app = typer.Typer(help="人员账户", no_args_is_help=True)
clients_app = typer.Typer(help="接入系统（OAuth2 客户端）", no_args_is_help=True)
demo_app = typer.Typer(help="演示数据", no_args_is_help=True)
audit_app = typer.Typer(help="审计日志", no_args_is_help=True)
app.add_typer(identity_cli.app, name="empi")
app.add_typer(ecard_cli.app, name="keys")
app.add_typer(ecard_cli.ecards_app, name="ecards")
app.add_typer(records_cli.app, name="records")
for sub, name in (
    (db_app, "db"),
    (users_app, "users"),
    (clients_app, "clients"),
    (demo_app, "demo"),
    (audit_app, "audit"),
):
    app.add_typer(sub, name=name)

console = Console()
err = Console(stderr=True)


def _fail(message: str) -> None:
    err.print(f"[red]错误：{message}[/red]")
    raise typer.Exit(code=1)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply every pending migration and register new permissions."""
    settings = get_settings()
    migrate.upgrade(settings.database_url)
    with transaction() as session:
        new = accounts_service.sync_permissions(session)
    console.print(
        f"数据库已迁移到最新版本（新增权限 {new} 项）：{_safe_url(settings.database_url)}"
    )


@db_app.command("current")
def db_current() -> None:
    """Show the migration revision of the database."""
    with transaction() as session:
        revision = migrate.current_revision(session.connection())
    console.print(revision or "（未迁移）")


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


@users_app.command("create")
def users_create(
    username: str = typer.Option(..., help="登录名（小写字母开头）"),
    name: str = typer.Option(..., help="姓名"),
    institution: str = typer.Option(..., help="机构 id 或统一社会信用代码"),
    role: list[str] = typer.Option(..., help="角色代码，可重复：system_admin, doctor ..."),
    password: str = typer.Option(
        ..., prompt=True, hide_input=True, confirmation_prompt=True, help="初始密码"
    ),
) -> None:
    """Open a staff account (for the first administrator of a new installation)."""
    with transaction() as session:
        accounts_service.sync_permissions(session)
        actor = operator()
        found, _ = accounts_service.search_institutions(
            session, actor=actor, text=institution, limit=2
        )
        match = [i for i in found if str(i.id) == institution or i.uscc == institution.upper()]
        if institution.isdigit():
            match = match or [
                accounts_service.get_institution(
                    session, actor=actor, institution_id=int(institution)
                )
            ]
        if not match:
            _fail(f"找不到机构 {institution}")
        try:
            view = accounts_service.create_staff(
                session,
                actor=actor,
                data=StaffIn(
                    username=username,
                    display_name=name,
                    institution_id=match[0].id,
                    roles=role,
                    password=password,
                ),
            )
        except AppError as error:
            _fail(error.message + "".join(f" [{e.field}] {e.message}" for e in error.errors))
            return
        console.print(f"已创建账户 {view.user.username}（{', '.join(view.roles)}）")


@clients_app.command("create")
def clients_create(
    name: str = typer.Option(..., help="系统名称"),
    institution_id: int = typer.Option(..., help="所属机构 id"),
    scope: list[str] = typer.Option(..., help="授予的权限，可重复"),
    use: list[str] = typer.Option(
        [],
        help="只允许为这些业务核验二维码：registration、payment、report、dispensing、card_service（可重复；不给则不限）",
    ),
) -> None:
    """Register an institution system; prints its client id and secret once."""
    try:
        data = ClientIn.model_validate(
            {"name": name, "institution_id": institution_id, "scopes": scope, "uses": use}
        )
    except ValidationError as error:
        _fail("; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors()))
        return
    with transaction() as session:
        try:
            issued = accounts_service.create_client(
                session, settings=get_settings(), actor=operator(), data=data
            )
        except AppError as error:
            _fail(error.message)
            return
    console.print(f"client_id:     {issued.client.client_id}")
    console.print(f"client_secret: {issued.secret}  （只显示这一次，请妥善保存）")


@demo_app.command("load")
def demo_load(quiet: bool = typer.Option(False, help="已加载时不输出提示")) -> None:
    """Load the demo institutions, logins and hospital system (once)."""
    settings = get_settings()
    with transaction() as session:
        if demo_service.is_loaded(session):
            if not quiet:
                console.print("演示数据已存在，跳过。")
            return
        credentials = demo_service.load(session, settings=settings)
        people = demo_service.load_population(session, settings=settings)
        cards = demo_service.load_cards(session, settings=settings)
        health_records = load_records(session, settings=settings)
        programmes = load_programmes(session, settings=settings)  # after the records
        clinical = load_clinical(session, settings=settings)  # last: needs the records
    console.print("[green]已加载演示数据。[/green]")
    console.print(
        f"演示居民：{people.registered} 条登记（新建 {people.outcomes.get('created', 0)}，"
        f"匹配 {people.outcomes.get('matched', 0)}，待审核 {people.outcomes.get('review', 0)}；"
        f"证件号有误被拒 {people.refused}）"
    )
    by_state = "，".join(
        f"{label} {cards[state]}"
        for state, label in cards_service.STATE_NAMES.items()
        if cards.get(state)
    )
    console.print(
        f"演示健康卡：{by_state}；受理终端 {len(demo_service.TERMINALS)} 台"
        f"（{', '.join(t[0] for t in demo_service.TERMINALS)}）"
    )
    console.print(
        f"演示健康档案：{health_records.records} 份（居民 {health_records.residents} 人），"
        f"家庭 {health_records.families} 户，体检 {health_records.exams} 次"
    )
    console.print(f"演示公共卫生：{programmes.summary()}")
    console.print(
        f"演示诊疗记录（毓璜顶医院推送）：{clinical.residents} 位居民，"
        + "，".join(f"{k} {v}" for k, v in sorted(clinical.resources.items()))
    )
    if credentials:
        client_id, secret = credentials.split(":", 1)
        console.print(
            f"演示接入系统（{demo_service.DEMO_CLIENT_NAME}）"
            f"client_id={client_id} client_secret={secret}"
        )


@demo_app.command("population")
def demo_population(
    persons: int = typer.Option(10_000, min=1, help="人数"),
    sources: int = typer.Option(5, min=1, max=99, help="医院（数据来源）数"),
    seed: int = typer.Option(1, help="随机种子：相同种子生成相同文件"),
    out: Path = typer.Option(..., "--out", help="输出 CSV（INPUT 格式，另加 truth_person 列）"),
) -> None:
    """Write a synthetic population with realistic errors (for linkage tests and benchmarks)."""
    with Progress(
        TextColumn("生成人口"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=err
    ) as progress:
        task = progress.add_task("population", total=persons)
        stats = identity_service.write_population_csv(
            out,
            persons=persons,
            sources=sources,
            seed=seed,
            progress=lambda done: progress.update(task, completed=done),
        )
    console.print(
        f"{stats.persons} 人，{stats.records} 条记录，来源 {stats.sources} 家，"
        f"真实同一人记录对 {stats.true_pairs} 对 → {out}"
    )


@demo_app.command("logins")
def demo_logins() -> None:
    """Print the demo logins."""
    table = Table(title=f"演示账户（密码均为 {demo_service.DEMO_PASSWORD}）")
    for column in ("用户名", "姓名", "角色", "机构"):
        table.add_column(column)
    names = {i.key: i.name for i in demo_service.INSTITUTIONS}
    for login in demo_service.LOGINS:
        table.add_row(login.username, login.name, login.role, names[login.institution])
    console.print(table)


@audit_app.command("verify")
def audit_verify() -> None:
    """Walk the audit hash chain; exit 1 if any entry was edited, inserted or deleted."""
    with transaction() as session:
        total = session.execute(select(func.count()).select_from(audit.AuditEvent)).scalar_one()
        with Progress(
            TextColumn("校验审计链"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=err,
            transient=True,
        ) as progress:
            task = progress.add_task("verify", total=total)
            result = audit.verify(session, progress=lambda n: progress.advance(task, n))
        audit.record(
            session,
            actor=operator(),
            action="audit.verify",
            resource_type="AuditEvent",
            outcome="success" if result.ok else "failure",
            detail={"checked": result.checked, "problems": result.problems[:20]},
        )
    if result.ok:
        console.print(
            f"[green]审计链完整[/green]：{result.checked} 条，"
            f"链头 #{result.head_id} {result.head_hash}"
        )
        return
    err.print(
        f"[red]审计链已被破坏[/red]：共检查 {result.checked} 条，发现 {len(result.problems)} 处问题"
    )
    for problem in result.problems:
        err.print(f"  - {problem}")
    raise typer.Exit(code=1)


@app.command("serve")
def serve(
    host: str = typer.Option(None, help="监听地址（默认 HEALTHCARD_HOST 或 127.0.0.1）"),
    port: int = typer.Option(None, help="端口（默认 HEALTHCARD_PORT 或 8000）"),
    workers: int = typer.Option(
        1, min=1, max=64, help="工作进程数（每个进程一个 CPU 核；连接由内核均匀分配）"
    ),
) -> None:
    """Serve the platform (API, FHIR and web console)."""
    from healthcard.core import logging as hc_logging
    from healthcard.core import serving

    settings = get_settings()
    hc_logging.configure(level=settings.log_level, json_output=settings.log_json)
    engine = make_engine(settings.database_url)
    with engine.connect() as conn:
        try:
            conn.execute(text("SELECT 1 FROM alembic_version"))
        except Exception:
            _fail("数据库尚未迁移：请先运行 healthcard db upgrade")
    engine.dispose()
    host = host or settings.host
    port = port or settings.port
    console.print(f"居民健康卡平台：http://{host}:{port}/  （API 文档 /api/docs，按 Ctrl+C 停止）")
    serving.run(host, port, workers)


def main() -> None:
    """Entry point of the ``healthcard`` command."""
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
