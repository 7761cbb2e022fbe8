"""``flask ops ...``: administration commands."""

import sqlite3
from pathlib import Path

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import AppGroup

from ops.extensions import db

ops_cli = AppGroup("ops", help="运维命令：创建管理员、载入演示数据、备份。")


@ops_cli.command("create-admin")
@click.option("--username", prompt="用户名")
@click.option("--name", "display_name", default="管理员", show_default=True)
@click.password_option("--password", prompt="密码", confirmation_prompt="再次输入密码")
def create_admin(username: str, display_name: str, password: str):
    """Create an administrator account."""
    from ops.auth import services
    from ops.auth.roles import ADMIN

    try:
        user = services.create_user(username=username, display_name=display_name, role=ADMIN,
                                    password=password, must_change_password=False)
    except services.AccountError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    click.echo(f"管理员 {user.username} 已创建。")


@ops_cli.command("demo")
@click.option("--if-empty", is_flag=True, help="只在数据库没有任何用户时载入。")
def demo(if_empty: bool):
    """Load the demo data set (Chinese, every role)."""
    from ops.auth.models import User
    from ops.demo import DEMO_PASSWORD, load_demo

    if current_app.config["ENV_NAME"] == "production":
        raise click.ClickException("演示数据的账号使用弱密码（demo-2026），生产环境不能载入演示数据。")
    if if_empty and db.session.scalar(sa.select(sa.func.count()).select_from(User)):
        click.echo("数据库已有数据，跳过演示数据。")
        return
    summary = load_demo()
    db.session.commit()
    click.echo("演示数据已载入：" + "，".join(f"{k} {v}" for k, v in summary.items()))
    click.echo(f"演示账号（密码均为 {DEMO_PASSWORD}）：admin、manager、sales、trainer、finance、client")


@ops_cli.command("backup")
@click.argument("path", type=click.Path(dir_okay=False, writable=True))
def backup(path: str):
    """Write a consistent copy of the SQLite database to PATH (online, safe while serving)."""
    url = db.engine.url
    if url.get_backend_name() != "sqlite":
        raise click.ClickException(
            "当前数据库是 PostgreSQL：请使用 pg_dump 备份，例如 pg_dump -Fc -f ops.dump <数据库名>。"
        )
    source_path = url.database
    if not source_path or source_path == ":memory:":
        raise click.ClickException("内存数据库无法备份。")
    target = Path(path)
    if target.exists():
        raise click.ClickException(f"{target} 已存在，不会覆盖。")
    target.parent.mkdir(parents=True, exist_ok=True)
    src = sqlite3.connect(source_path)
    dst = sqlite3.connect(str(target))
    try:
        with dst:
            # In one step: a step-wise copy starts over whenever another connection writes between
            # steps, so under steady writes (API imports) a large database would never finish. One
            # step reads a single snapshot, and in WAL mode writers go on meanwhile.
            src.backup(dst)
    finally:
        dst.close()
        src.close()
    current_app.logger.info("backup written to %s", target)
    click.echo(f"备份已写入 {target}（{target.stat().st_size:,} 字节）。")
