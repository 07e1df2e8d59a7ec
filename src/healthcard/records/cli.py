"""``healthcard records``: jobs of the records domain (migration escalation)."""

from __future__ import annotations

import typer
from rich.console import Console

from healthcard.core.commands import transaction
from healthcard.core.db import utcnow
from healthcard.records.service import migration

app = typer.Typer(help="居民健康档案", no_args_is_help=True)
console = Console()


@app.command("escalate")
def escalate() -> None:
    """Escalate migration requests not answered in time to the health bureau (run hourly)."""
    with transaction() as session:
        escalated = migration.escalate_overdue(session, utcnow())
        numbers = [m.id for m in escalated]
    if numbers:
        console.print(f"已将 {len(numbers)} 个逾期未答复的迁移申请提交卫生健康局：{numbers}")
    else:
        console.print("没有逾期未答复的迁移申请。")
