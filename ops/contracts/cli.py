"""``flask contracts ...``: scheduled contract housekeeping."""

import click
from flask.cli import AppGroup

from ops.extensions import db

contracts_cli = AppGroup("contracts", help="合同命令：到期处理。")


@contracts_cli.command("expire")
def expire():
    """Mark active contracts whose end date has passed as expired (safe to run every day)."""
    from ops.contracts.services import expire_contracts

    changed = expire_contracts()
    db.session.commit()
    click.echo(
        f"已到期合同：{len(changed)} 份"
        + (f"（{'、'.join(c.number or str(c.id) for c in changed)}）" if changed else "")
    )
