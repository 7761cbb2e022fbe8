"""``flask ops ...``: administration commands."""

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
        user = services.create_user(
            username=username,
            display_name=display_name,
            role=ADMIN,
            password=password,
            must_change_password=False,
        )
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
    from ops.billing.services import finish_pdfs

    finish_pdfs(idle_seconds=0)  # the demo's issued PDFs, stored here whether a consumer runs or not
    click.echo("演示数据已载入：" + "，".join(f"{k} {v}" for k, v in summary.items()))
    click.echo(f"演示账号（密码均为 {DEMO_PASSWORD}）：admin、manager、sales、trainer、finance、client")


@ops_cli.command("worker")
@click.option("--workers", default=2, show_default=True, help="并行执行任务的数量。")
@click.option(
    "--processes", is_flag=True, help="用进程而不是线程执行任务（渲染 PDF 等耗 CPU 的任务可用满多核）。"
)
@click.option("--no-periodic", is_flag=True, help="不运行定时任务（另一台机器上的消费者已在运行时）。")
def worker(workers: int, processes: bool, no_periodic: bool):
    """Run a task-queue consumer until Ctrl-C (docs/queue.md)."""
    from ops.tasks.runtime import run_consumer

    if current_app.config.get("QUEUE_IMMEDIATE"):
        raise click.ClickException("OPS_QUEUE_IMMEDIATE 已开启：任务在请求中直接执行，不需要消费者。")
    run_consumer(
        current_app._get_current_object(),  # type: ignore[attr-defined]
        workers=workers,
        worker_type="process" if processes else "thread",
        periodic_tasks=not no_periodic,
    )


# backup, restore, verify-backup, backup-rotate, rotate-vault-key
from ops import backup_cli  # noqa: E402,F401
