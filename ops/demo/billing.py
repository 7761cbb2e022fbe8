"""Demo invoices: real statements from the demo usage, so a new user sees billing at work at once.

Runs after the usage demo (which fills the last three full months). The older closed months are
billed and issued on the 2nd of the following month and mostly paid (one partly, one left
unpaid and overdue), one invoice is voided with its reason and one gets a credit note; the month
just ended is billed as drafts waiting for finance. Runs and issues commit as they go (each is its
own unit of work).
"""

from __future__ import annotations

from datetime import date, timedelta

from ops.billing import engine, services
from ops.billing.models import Invoice
from ops.extensions import db
from ops.timeutil import today as business_today


def _closed_month(on: date, back: int) -> str:
    index = on.year * 12 + on.month - 1 - back
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def _period_of(day: date, cycle: str) -> str:
    """The month ("2026-08") or quarter ("2026-Q3") holding ``day``."""
    return (
        f"{day.year}-Q{(day.month - 1) // 3 + 1}" if cycle == "quarterly" else f"{day.year}-{day.month:02d}"
    )


def _issue_day(period: str, on: date) -> date:
    return min(on, engine.parse_period(period).end + timedelta(days=2))


def load_billing_demo(users: dict, today: date | None = None) -> dict:
    """Bill the demo contracts for the last three closed months; returns counts for the demo summary."""
    on = today or business_today()
    finance = users.get("finance") or users.get("admin")
    issued: list[Invoice] = []
    errors = 0
    # In-advance contracts that began within these months first get their first advance invoice, which
    # the next one trues up; contracts older than that start fresh (see services.compute).
    window_start = engine.parse_period(_closed_month(on, 4)).start
    for contract in services.billable_contracts():
        if contract.billing_timing == "in_advance" and contract.start_on >= window_start:
            first = _period_of(contract.start_on, contract.billing_cycle)
            invoice, outcome = services.refresh_draft(contract, first, by=finance)
            db.session.commit()
            if outcome == "created" and invoice.lines:
                issued.append(services.issue_invoice(invoice.id, by=finance, issued_on=_issue_day(first, on)))
    for period in (_closed_month(on, back) for back in (4, 3, 2)):
        summary = services.run_billing(period, by=finance)
        errors += len(summary.errors)
        for invoice_id in summary.invoice_ids:
            invoice = db.session.get(Invoice, invoice_id)
            if invoice.status == "draft" and invoice.lines:
                issued.append(
                    services.issue_invoice(invoice_id, by=finance, issued_on=_issue_day(period, on))
                )
    drafts = services.run_billing(_closed_month(on, 1), by=finance)
    errors += len(drafts.errors)

    counts = {"作废账单": 0, "红字冲销单": 0, "已结清": 0, "部分收款": 0, "未付账单": 0}
    issued.sort(key=lambda inv: (inv.period_start, inv.total_fen, inv.id))
    issued_count = len(issued)
    voided = issued.pop(0) if len(issued) > 3 else None
    unpaid = issued.pop() if issued else None
    partly = issued.pop() if len(issued) > 1 else None
    if voided is not None:
        services.void_invoice(voided, "客户开票信息（公司名称）有误，作废后重新出账", by=finance)
        db.session.commit()
        counts["作废账单"] = 1
        # 重新出账: the corrected invoice of the same period, with a new number, linked to the void one.
        replacement = services.reissue_invoice(voided.id, by=finance)
        issued.append(services.issue_invoice(replacement.id, by=finance, issued_on=voided.issued_on))
        issued_count += 1
    for invoice in issued:
        if services.balance_fen(invoice) > 0:
            paid_on = min(on, max(invoice.issued_on, (invoice.due_on or on) - timedelta(days=2)))
            services.record_payment(
                invoice,
                services.balance_fen(invoice),
                paid_on,
                "银行转账",
                f"招行回单 {invoice.number[-5:]}",
                by=finance,
            )
            counts["已结清"] += 1
    if partly is not None and services.balance_fen(partly) > 1:
        services.record_payment(
            partly,
            services.balance_fen(partly) // 2,
            min(on, partly.due_on or on),
            "银行转账",
            "首笔付款（余款客户申请延后）",
            by=finance,
        )
        counts["部分收款"] = 1
    counts["未付账单"] = int(unpaid is not None)
    db.session.commit()
    if unpaid is not None and services.balance_fen(unpaid) > 50_000:
        services.create_credit_note(
            unpaid, 50_000, "系统故障停服半天，协商减免服务费 ¥500.00（含税）", by=finance
        )
        counts["红字冲销单"] = 1
    return {
        "已开具账单": issued_count,
        "待开具草稿": drafts.created + drafts.refreshed,
        "出账错误": errors,
        **counts,
    }
