"""Late fees (滞纳金) of issued invoices, as of a day: the database side of engine.late_fees."""

from __future__ import annotations

from datetime import date

from ops.billing.engine.late_fees import LateFee, Reduction, accrue
from ops.billing.models import Invoice
from ops.timeutil import today


def accrued_late_fee(invoice: Invoice, on: date | None = None) -> LateFee | None:
    """What ``invoice`` accrued up to ``on`` (today) under its contract's late-fee terms.

    None for drafts, void invoices, invoices without a due date and contracts without a late fee.
    Payments count from ``paid_on``, issued credit notes from ``issued_on`` (engine.late_fees).
    """
    contract = invoice.contract
    if invoice.status not in ("issued", "paid") or invoice.due_on is None or not contract.late_fee_bp_per_day:
        return None
    reductions = [Reduction(p.paid_on, p.amount_fen) for p in invoice.payments]
    reductions += [Reduction(c.issued_on, c.total_fen) for c in invoice.credit_notes if c.status == "issued"]
    return accrue(
        invoice.total_fen,
        invoice.due_on,
        contract.late_fee_grace_days or 0,
        contract.late_fee_bp_per_day,
        reductions,
        on or today(),
    )
