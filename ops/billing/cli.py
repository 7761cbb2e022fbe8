"""``flask billing run --period 2026-10 [--client ID] [--issue]``: the monthly billing run;
``flask billing render-pdfs [--wait]``: render the PDFs of issued documents that have none yet."""

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
    if summary.issued:
        _finish_pdfs()


def _finish_pdfs() -> None:
    """Wait for the queue's consumers to store every PDF (rendering here what no consumer takes)."""
    from ops.billing.services import finish_pdfs, pending_pdf_count

    pending = pending_pdf_count()
    if pending:
        click.echo(f"等待 PDF 生成：{pending} 份……")
    rendered_here = finish_pdfs()
    click.echo(
        "PDF：全部已生成" + (f"（其中 {rendered_here} 份由本命令生成）" if rendered_here else "") + "。"
    )


@billing_cli.command("render-pdfs")
@click.option("--wait", is_flag=True, help="等待全部 PDF 生成后再退出（没有队列进程时由本命令生成）。")
def render_pdfs(wait: bool):
    """Enqueue a render for every issued invoice and credit note whose PDF is not stored yet."""
    from ops.billing.services import render_missing_pdfs

    enqueued = render_missing_pdfs()
    click.echo(f"缺少 PDF 的单据：{enqueued} 份，已加入生成队列。")
    if wait:
        _finish_pdfs()


@billing_cli.command("dunning")
def dunning():
    """Record the payment reminders due today (the consumer does this daily; safe to run again)."""
    from ops.billing.services import run_dunning

    click.echo(f"已记录催款提醒：{run_dunning()} 条")
