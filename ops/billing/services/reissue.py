"""Re-issuing (重新出账) the period of a voided invoice: a corrected draft that replaces it."""

from __future__ import annotations

import sqlalchemy as sa

from ops.audit.services import record
from ops.billing.models import Invoice
from ops.billing.services.base import BillingServiceError, lock_invoice
from ops.billing.services.drafts import refresh_draft
from ops.contracts.services import lock_contract
from ops.extensions import db
from ops.transactions import write_transaction


def live_invoice(contract_id: int, period_code: str) -> Invoice | None:
    """The contract's invoice of that period that is not void (at most one: a partial unique index)."""
    return db.session.scalar(
        sa.select(Invoice).where(
            Invoice.contract_id == contract_id, Invoice.period == period_code, Invoice.status != "void"
        )
    )


def reissue_invoice(invoice_id: int, by=None) -> Invoice:
    """The corrected draft of a voided, numbered invoice's contract and period. Commits.

    Under the contract's lock (then the invoice's): two re-issues at once make one draft, the
    second finds it and returns it (the partial unique index on not-void invoices per contract and
    period is the database's backstop). The draft links back (``replaces_id``) and is issued with a
    new number like any other.
    """
    with write_transaction():
        contract_id = db.session.scalar(sa.select(Invoice.contract_id).where(Invoice.id == invoice_id))
        if contract_id is None:
            raise BillingServiceError("账单不存在。")
        contract = lock_contract(contract_id)
        voided = lock_invoice(invoice_id)
        if voided.status != "void" or not voided.number:
            raise BillingServiceError("只有已开具后作废的账单可以重新出账。")
        existing = live_invoice(contract.id, voided.period)
        if existing is not None:
            return existing
        draft, outcome = refresh_draft(contract, voided.period, by=by)
        if draft is None or outcome != "created":
            raise BillingServiceError(
                f"合同 {contract.number} 在账期 {voided.period} 没有服务，无法重新出账。"
            )
        record(
            "invoice.reissue_started",
            voided,
            summary=f"{voided.number} → {contract.number} {voided.period}",
            after={"draft_id": draft.id},
            actor=by,
        )
        return draft
