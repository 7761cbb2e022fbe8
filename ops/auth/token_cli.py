"""``flask tokens create|list|revoke``: API tokens from the command line (audited as "system")."""

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from ops.auth.models import ApiToken
from ops.auth.scopes import LEGACY_SCOPES, SCOPES
from ops.auth.tokens import TokenError, create_token, revoke_token
from ops.extensions import db

tokens_cli = AppGroup("tokens", help="API 令牌：创建（密钥只显示一次）、列出、吊销。")


@tokens_cli.command("create")
@click.argument("name")
@click.option("--client", "client_id", type=int, default=None, help="客户 id：令牌只能访问该客户的数据。")
@click.option(
    "--scope",
    "scopes",
    multiple=True,
    type=click.Choice(SCOPES),
    help=f"权限，可重复；省略时为 {' '.join(LEGACY_SCOPES)}。",
)
def create_command(name: str, client_id: int | None, scopes: tuple[str, ...]):
    """Create a token and print its secret once (only its SHA-256 is stored)."""
    try:
        token, secret = create_token(name, client_id, scopes=list(scopes) or list(LEGACY_SCOPES))
    except TokenError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    click.echo(f"令牌 #{token.id}“{token.name}”已创建，权限：{token.scopes}。")
    click.echo("密钥只显示这一次，请立即保存：")
    click.echo(secret)


@tokens_cli.command("list")
def list_command():
    """List the tokens (prefix, scope, client, last use); never a secret."""
    for t in db.session.scalars(sa.select(ApiToken).order_by(ApiToken.id)):
        state = "已吊销" if t.revoked_at else "有效"
        client = f"客户 #{t.client_id}" if t.client_id else "员工"
        used = t.last_used_at.isoformat(timespec="minutes") if t.last_used_at else "从未使用"
        click.echo(f"#{t.id}\t{t.prefix}…\t{t.name}\t{client}\t{t.scopes}\t{state}\t{used}")


@tokens_cli.command("revoke")
@click.argument("token_id", type=int)
def revoke_command(token_id: int):
    """Revoke a token by its id: requests with it are refused at once."""
    token = db.session.get(ApiToken, token_id)
    if token is None:
        raise click.ClickException(f"没有 id 为 {token_id} 的令牌。")
    try:
        revoke_token(token)
    except TokenError as exc:
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    click.echo(f"令牌 #{token.id}“{token.name}”已吊销。")
