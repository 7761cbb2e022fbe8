"""``flask billing run --period 2026-10 [--client ID] [--issue]``: the monthly billing run."""

import click
from flask.cli import AppGroup

from ops.billing import engine
from ops.extensions import db
from ops.money import format_fen

billing_cli = AppGroup("billing", help="账单命令：按账期出账。")


@billing_cli.command("run")
@click.option("--period", required=True, help="刚结束的账期，例如 2026-10 或 2026-Q3。")
@click.option("--client", "client_id", type=int, default=None, help="只为这个客户（ID）出账。")
@click.option("--issue", is_flag=True, help="生成后立即开具（分配编号、生成 PDF）。")
def run(period: str, client_id: int | None, issue: bool):
    """Create or refresh each contract's invoice for the period; issued invoices are never changed."""
    from ops.billing.services import billable_contract_ids, run_billing

    try:
        period = engine.parse_period(period).code
    except engine.BillingError as exc:
        raise click.BadParameter(str(exc), param_hint="--period") from None
    total = len(billable_contract_ids(client_id))
    with click.progressbar(length=total, label=f"出账 {period}", show_pos=True) as bar:
        summary = run_billing(period, client_id=client_id, issue=issue, progress=lambda *_: bar.update(1))
    db.session.commit()
    click.echo(f"账期：{summary.run_period}")
    click.echo(
        f"合同：{summary.contracts} 份；新建 {summary.created}，重新计算 {summary.refreshed}，"
        f"未改动（已开具） {summary.unchanged}，本期无需出账 {summary.not_due}，开具 {summary.issued}"
    )
    click.echo(f"合计：{format_fen(summary.total_fen)}")
    if summary.errors:
        click.echo(f"出错：{len(summary.errors)} 份")
        for number, message in summary.errors:
            click.echo(f"  {number}：{message}")
    else:
        click.echo("出错：0 份")


@billing_cli.command("dunning")
def dunning():
    """Record the payment reminders due today (the consumer does this daily; safe to run again)."""
    from ops.billing.services import run_dunning

    click.echo(f"已记录催款提醒：{run_dunning()} 条")
