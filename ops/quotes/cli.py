"""``flask quotes ...``: quote housekeeping commands."""

from datetime import date

import click
from flask.cli import AppGroup

from ops.extensions import db

quotes_cli = AppGroup("quotes", help="报价命令：将过期的报价标记为已过期。")


@quotes_cli.command("expire")
@click.option(
    "--today",
    "on",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="按哪一天判断（YYYY-MM-DD），默认今天（北京时间）。",
)
def expire(on):
    """Mark sent quotes whose validity has ended as expired (safe to run repeatedly)."""
    from ops.quotes.services import expire_quotes

    day: date | None = on.date() if on else None
    count = expire_quotes(day)
    db.session.commit()
    click.echo(f"已将 {count} 份报价标记为已过期。")
