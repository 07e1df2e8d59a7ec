"""``healthcard keys``: the e-card issuer signing keys (rotate, retire, revoke, list);
``healthcard ecards``: housekeeping of e-card codes (purge-nonces)."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

from healthcard.core.commands import operator, transaction
from healthcard.core.config import get_settings
from healthcard.core.errors import AppError
from healthcard.ecard import service

app = typer.Typer(help="电子健康卡签名密钥", no_args_is_help=True)
ecards_app = typer.Typer(help="电子健康卡二维码维护", no_args_is_help=True)
console = Console()
err = Console(stderr=True)


def _fail(error: AppError) -> None:
    err.print(f"[red]错误：{error.message}[/red]")
    raise typer.Exit(code=1)


@app.command("rotate")
def rotate() -> None:
    """Create a new active SM2 key; the previous one verifies until its grace period ends."""
    settings = get_settings()
    with transaction() as session:
        key = service.rotate(session, settings=settings, actor=operator())
        kid, until = key.kid, settings.ecard_key_grace_days
    console.print(f"新签名密钥 {kid} 已启用；上一个密钥在 {until} 天宽限期内仍可验证。")


@app.command("retire")
def retire(kid: str = typer.Argument(..., help="密钥 id")) -> None:
    """End a retired key's grace period now: codes it signed stop verifying."""
    try:
        with transaction() as session:
            service.retire(session, actor=operator(), kid=kid)
    except AppError as error:
        _fail(error)
    console.print(f"密钥 {kid} 已停用，由它签发的二维码不再有效。")


@app.command("revoke")
def revoke(
    kid: str = typer.Argument(..., help="密钥 id"),
    reason: str = typer.Option("密钥泄露", help="吊销原因"),
) -> None:
    """Revoke a key at once (compromise): nothing it signed verifies any more."""
    try:
        with transaction() as session:
            service.revoke(session, actor=operator(), kid=kid, reason=reason)
    except AppError as error:
        _fail(error)
    console.print(f"[yellow]密钥 {kid} 已吊销[/yellow]：终端更新公钥列表后离线验证也将拒绝。")


@app.command("list")
def list_keys() -> None:
    """List every issuer key with its status and validity."""
    table = Table(title="电子健康卡签名密钥")
    for column in ("kid", "状态", "创建", "停用", "验证截止", "吊销"):
        table.add_column(column)
    with transaction() as session:
        for key in service.list_keys(session):
            table.add_row(
                key.kid,
                key.status,
                *(
                    m.isoformat(timespec="seconds") if m else "-"
                    for m in (key.created_at, key.retired_at, key.verify_until, key.revoked_at)
                ),
            )
    console.print(table)


@ecards_app.command("purge-nonces")
def purge_nonces() -> None:
    """Delete dynamic-code nonces expired longer ago than the retention period (run daily)."""
    settings = get_settings()
    with transaction() as session:
        count = service.purge_nonces(session, settings=settings, actor=operator())
    days = settings.ecard_nonce_retention_days
    console.print(f"已清理 {count} 个过期超过 {days} 天的动态码随机数。")
