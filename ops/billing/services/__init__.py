"""Billing runs, invoices, payments, voids and credit notes.

A billing run is its own unit of work: each contract's draft is committed on its own, so a run
that is killed part-way leaves complete drafts behind and the next run carries on. Issuing is a
write transaction (BEGIN IMMEDIATE on SQLite, row locks on PostgreSQL) that takes the next gapless
number and freezes what the PDF prints; after the commit the queue renders the PDF and stores its bytes
and SHA-256 once (``pdfs``); an issued invoice never changes.

Locks (docs/architecture.md, "Locks and check-then-write"): every action here locks its rows before
it checks them, always in the order contract → invoice → number counter, so two runs, a run and a
payment, or two finance users never deadlock on each other; a run that still loses a lock race
(deadlock, serialization failure, "database is locked") retries that contract.

The package: ``base`` (error, invoice lock), ``drafts`` (database → engine → draft), ``runs``,
``issuing`` (with draft adjustments), ``payments`` (with voids and credit notes), ``credits`` (allocations, credit balance, refunds,
statement), ``reports``.
Every public name is re-exported here.
"""

from ops.billing.services.base import (
    BILLABLE_STATES,
    INVOICE_TYPE_LABELS,
    BillingServiceError,
    lock_invoice,
)
from ops.billing.services.credits import (
    allocate,
    apply_credit_balance,
    client_refunds,
    client_statement,
    credit_balance_fen,
    invoice_allocations,
    lock_client,
    record_refund,
    restore_deposit,
    statement_csv,
    statement_entries,
    statement_pdf,
)
from ops.billing.services.drafts import (
    compute,
    contract_input,
    manual_adjustments,
    previous_period,
    refresh_draft,
    refresh_locked,
    service_end,
    write_draft,
)
from ops.billing.services.issuing import (
    add_adjustment,
    closing_period_end,
    invoice_deposit_remainder_fen,
    invoice_pdf_data,
    issue_invoice,
    payment_terms_text,
    remove_adjustment,
)
from ops.billing.services.late_fees import (
    accrued_late_fee,
    bill_late_fee,
    charged_until,
    charges_of,
    waive_late_fee,
)
from ops.billing.services.payments import (
    AGEING_BUCKETS,
    ageing_bucket,
    balance_fen,
    create_credit_note,
    credited_fen,
    is_overdue,
    record_payment,
    void_invoice,
)
from ops.billing.services.pdfs import (
    enqueue_credit_note_pdf,
    enqueue_invoice_pdf,
    finish_pdfs,
    missing_credit_note_pdfs,
    missing_invoice_pdfs,
    pdf_ready,
    pending_pdf_count,
    render_missing_pdfs,
    store_credit_note_pdf,
    store_invoice_pdf,
)
from ops.billing.services.reissue import live_invoice, reissue_invoice
from ops.billing.services.reports import (
    EXPORT_HEADER,
    STATUS_LABELS,
    AgeingRow,
    Receivables,
    ageing_report,
    credit_note_filename,
    draft_preview_pdf,
    export_rows,
    invoice_filename,
    open_invoices,
    period_pdfs,
    receivables,
    safe_filename,
    status_label,
)
from ops.billing.services.runs import (
    RunSummary,
    billable_contracts,
    run_billing,
)
from ops.billing.services.verification import Verified, verification_code, verify, verify_url

__all__ = [
    "allocate",
    "apply_credit_balance",
    "client_refunds",
    "client_statement",
    "credit_balance_fen",
    "invoice_allocations",
    "lock_client",
    "record_refund",
    "restore_deposit",
    "statement_csv",
    "statement_entries",
    "statement_pdf",
    "bill_late_fee",
    "charges_of",
    "charged_until",
    "waive_late_fee",
    "Verified",
    "verification_code",
    "verify",
    "verify_url",
    "accrued_late_fee",
    "AGEING_BUCKETS",
    "AgeingRow",
    "BILLABLE_STATES",
    "BillingServiceError",
    "EXPORT_HEADER",
    "INVOICE_TYPE_LABELS",
    "Receivables",
    "RunSummary",
    "STATUS_LABELS",
    "add_adjustment",
    "ageing_bucket",
    "ageing_report",
    "balance_fen",
    "billable_contracts",
    "closing_period_end",
    "compute",
    "contract_input",
    "create_credit_note",
    "credit_note_filename",
    "credited_fen",
    "draft_preview_pdf",
    "export_rows",
    "invoice_deposit_remainder_fen",
    "invoice_filename",
    "invoice_pdf_data",
    "is_overdue",
    "issue_invoice",
    "enqueue_credit_note_pdf",
    "enqueue_invoice_pdf",
    "finish_pdfs",
    "missing_credit_note_pdfs",
    "missing_invoice_pdfs",
    "pdf_ready",
    "pending_pdf_count",
    "render_missing_pdfs",
    "store_credit_note_pdf",
    "store_invoice_pdf",
    "live_invoice",
    "reissue_invoice",
    "lock_invoice",
    "manual_adjustments",
    "open_invoices",
    "payment_terms_text",
    "period_pdfs",
    "previous_period",
    "receivables",
    "record_payment",
    "refresh_draft",
    "refresh_locked",
    "remove_adjustment",
    "run_billing",
    "safe_filename",
    "service_end",
    "status_label",
    "void_invoice",
    "write_draft",
]
