"""The pieces every billing service shares: the error, the invoice lock and a few labels."""

from __future__ import annotations

from sqlalchemy.orm import selectinload

from ops.billing.models import Invoice
from ops.errors import ServiceError
from ops.transactions import lock_row

INVOICE_TYPE_LABELS = {"normal": "增值税普通发票", "special": "增值税专用发票"}
BILLABLE_STATES = ("active", "expired", "terminated")


class BillingServiceError(ServiceError):
    """A refused billing action; the message is for the user."""


def lock_invoice(invoice_id: int) -> Invoice:
    """The invoice (with its credit notes), re-read and locked for the rest of the transaction.

    Lock order: a caller that also writes the contract locks it first (``lock_contract``)."""
    invoice = lock_row(Invoice, invoice_id, selectinload(Invoice.credit_notes))
    if invoice is None:
        raise BillingServiceError("账单不存在。")
    return invoice
