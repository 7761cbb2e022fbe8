"""Billing's queue tasks: render and store the PDF of an invoice or credit note after its issue commits.

Each task is idempotent (a PDF already stored is left alone) and renders from the data frozen at issue,
so a retried, duplicated or resumed task stores the same bytes once. ``render_missing_pdfs`` (the
sweep) enqueues these again for anything a killed consumer left without its PDF.
"""

from functools import partial

from ops.billing.services import pdfs
from ops.tasks.runtime import task
from ops.transactions import retrying


@task(retries=3, retry_delay=5)
def render_invoice_pdf_task(invoice_id: int) -> bool:
    """Render and store invoice ``invoice_id``'s PDF; False when it was stored already."""
    return retrying(partial(pdfs.store_invoice_pdf, invoice_id))


@task(retries=3, retry_delay=5)
def render_credit_note_pdf_task(note_id: int) -> bool:
    """Render and store credit note ``note_id``'s PDF; False when it was stored already."""
    return retrying(partial(pdfs.store_credit_note_pdf, note_id))
