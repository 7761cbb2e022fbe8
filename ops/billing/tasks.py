"""Billing's jobs (``ops.tasks.jobs``): billing runs, the period ZIP and statements for many clients.

- ``billing.run``: one item per billable contract, each ``services.bill_contract`` (its own commits;
  idempotent, so a consumer killed part-way and a retry redo at most the contract it was on). The
  finish reads the counts back from the invoices (``services.run_outcomes``) and links to the
  period's invoices.
- ``billing.zip``: one item per issued invoice of the period, each copying its stored PDF (checked
  against its SHA-256) to a part file; the finish streams the parts into one ZIP on disk, then
  removes them. Nothing holds more than one PDF in memory.
- ``billing.statements``: one item per client, each rendering its 对账单 PDF to a part file; the
  finish zips them the same way.

And the PDF of an invoice or credit note, rendered and stored after its issue commits. Each render is
idempotent (a PDF already stored is left alone) and renders from the data frozen at issue, so a
retried, duplicated or resumed task stores the same bytes once. ``render_missing_pdfs`` (the sweep)
enqueues these again for anything a killed consumer left without its PDF.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import zipfile
from collections.abc import Callable
from datetime import date, timedelta
from functools import partial
from pathlib import Path

import sqlalchemy as sa
from flask import current_app, has_request_context, url_for
from huey import crontab
from sqlalchemy.orm import undefer

from ops.auth.roles import ADMIN, FINANCE, MANAGER
from ops.billing import services
from ops.billing.models import CreditNote, Invoice, Payment, Refund
from ops.billing.services import pdfs
from ops.clients.models import Client
from ops.contracts.models import Contract
from ops.extensions import db
from ops.i18n import _l
from ops.money import format_fen
from ops.tasks.jobs import JobItemError, job_dir, register_kind, start_job
from ops.tasks.models import Job, JobItem
from ops.tasks.runtime import at_consumer_start, periodic, task
from ops.timeutil import utcnow
from ops.transactions import retrying

FINANCE_ROLES = (ADMIN, MANAGER, FINANCE)
PARTS = "parts"


def _path(endpoint: str, **values) -> str:
    """A site path for ``endpoint`` (the job's result link), in a request or in a consumer."""
    if has_request_context():
        return url_for(endpoint, **values)
    with current_app.test_request_context("/"):
        return url_for(endpoint, **values)


def _item_keys(job: Job, status: str) -> list[str]:
    return list(
        db.session.scalars(
            sa.select(JobItem.key)
            .where(JobItem.job_id == job.id, JobItem.status == status)
            .order_by(JobItem.seq)
        )
    )


def _write_part(job: Job, key: str, data: bytes) -> None:
    """Write one item's file atomically (a redone item replaces it; a kill leaves no half file)."""
    folder = job_dir(job) / PARTS
    folder.mkdir(exist_ok=True)
    temporary = folder / f".{key}.tmp"
    temporary.write_bytes(data)
    os.replace(temporary, folder / key)


def zip_parts(
    job: Job, names: list[tuple[str, str]], filename: str, progress: Callable[[int, int, str], None]
) -> Path:
    """Stream the parts ``(key, name in the zip)`` into ``filename`` in the job's folder (written to a
    temporary name, renamed when complete), then delete the parts. Returns the ZIP's path."""
    folder = job_dir(job)
    target = folder / filename
    temporary = folder / f".{filename}.tmp"
    with zipfile.ZipFile(temporary, "w", zipfile.ZIP_DEFLATED) as archive:
        for index, (key, name) in enumerate(names, 1):
            part = folder / PARTS / key
            if part.is_file():
                archive.write(part, name)  # read from disk in chunks, never whole
            progress(index, len(names), name)
    os.replace(temporary, target)
    shutil.rmtree(folder / PARTS, ignore_errors=True)
    return target


# --- billing.run ----------------------------------------------------------------------------------


def _run_items(job: Job) -> list[tuple[str, str]]:
    rows = db.session.execute(
        sa.select(Contract.id, Contract.number, Client.name)
        .join(Client, Client.id == Contract.client_id)
        .where(Contract.id.in_(services.billable_contract_ids(job.params.get("client_id"))))
        .order_by(Contract.id)
    ).all()
    return [(str(row.id), f"{row.number or '#' + str(row.id)} · {row.name}") for row in rows]


def _run_item(job: Job, key: str) -> str | None:
    result = services.bill_contract(
        int(key), job.params["period"], issue=bool(job.params.get("issue")), by=job.created_by
    )
    if result.outcome == "error":
        raise JobItemError(f"{result.contract_number}：{result.error}")
    return None


def _run_finish(job: Job, progress) -> dict:
    period = job.params["period"]
    done = [int(key) for key in _item_keys(job, "done")]
    failed = len(_item_keys(job, "failed"))
    summary = services.run_outcomes(period, done, job.started_at or job.created_at)
    client_id = job.params.get("client_id")
    invoice_periods = sorted(
        set(db.session.scalars(sa.select(Invoice.period).where(Invoice.id.in_(summary.invoice_ids))))
    )
    text = _l(
        "出账 %(period)s：合同 %(contracts)s 份；新建 %(created)s，重新计算 %(refreshed)s，"
        "未改动（已开具） %(unchanged)s，本期无需出账 %(not_due)s，开具 %(issued)s，出错 %(failed)s；"
        "合计 %(total)s",
        period=period,
        contracts=summary.contracts + failed,
        created=summary.created,
        refreshed=summary.refreshed,
        unchanged=summary.unchanged,
        not_due=summary.not_due,
        issued=summary.issued,
        failed=failed,
        total=format_fen(summary.total_fen),
    )
    # The invoices the run made: their period is the run's for monthly contracts (an advance
    # contract bills the next month, a quarterly one its quarter), so link to the one there is.
    link_period = invoice_periods[0] if len(invoice_periods) == 1 else period
    return {
        "url": _path("billing.invoices", period=link_period, client_id=client_id or None),
        "summary": str(text),
        "counts": {
            "contracts": summary.contracts + failed,
            "created": summary.created,
            "refreshed": summary.refreshed,
            "unchanged": summary.unchanged,
            "not_due": summary.not_due,
            "issued": summary.issued,
            "failed": failed,
            "total_fen": summary.total_fen,
        },
        "invoice_ids": summary.invoice_ids[:1000],
    }


def start_billing_run(period: str, *, client_id: int | None, issue: bool, by) -> Job:
    """Start the run as a job (the page then shows its progress). ``period`` is checked already."""
    return start_job("billing.run", {"period": period, "client_id": client_id, "issue": bool(issue)}, by=by)


# --- billing.zip ----------------------------------------------------------------------------------


def period_invoices(period: str) -> list[tuple[int, str]]:
    """(id, number) of the period's issued (and paid) invoices whose PDF is stored, by number."""
    return [
        (row.id, row.number)
        for row in db.session.execute(
            sa.select(Invoice.id, Invoice.number)
            .where(
                Invoice.period == period,
                Invoice.status.in_(("issued", "paid")),
                Invoice.pdf_sha256.is_not(None),
            )
            .order_by(Invoice.number)
        )
    ]


def _zip_items(job: Job) -> list[tuple[str, str]]:
    return [(str(invoice_id), number) for invoice_id, number in period_invoices(job.params["period"])]


def _zip_item(job: Job, key: str) -> str | None:
    invoice = db.session.scalar(
        sa.select(Invoice).options(undefer(Invoice.pdf)).where(Invoice.id == int(key))
    )
    if invoice is None or invoice.pdf is None:
        raise JobItemError(str(_l("账单 %(id)s 没有已存的 PDF。", id=key)))
    if hashlib.sha256(invoice.pdf).hexdigest() != invoice.pdf_sha256:
        raise JobItemError(
            str(_l("账单 %(number)s 的 PDF 与其 SHA-256 不符，未放入压缩包。", number=invoice.number))
        )
    _write_part(job, key, invoice.pdf)
    db.session.expire(invoice, ["pdf"])  # the bytes go now, not with the session
    return None


def _zip_finish(job: Job, progress) -> dict:
    period = job.params["period"]
    keys = _item_keys(job, "done")
    invoices = {
        str(invoice.id): invoice
        for invoice in db.session.scalars(sa.select(Invoice).where(Invoice.id.in_([int(k) for k in keys])))
    }
    names = [(key, services.invoice_filename(invoices[key])) for key in keys if key in invoices]
    path = zip_parts(job, names, f"invoices_{period}.zip", progress)
    return {
        "file": path.name,
        "filename": f"账单_{period}.zip",
        "ascii_name": path.name,
        "mimetype": "application/zip",
        "summary": str(_l("%(period)s 账单压缩包：%(n)s 张账单", period=period, n=len(names))),
    }


def start_period_zip(period: str, *, by) -> Job:
    return start_job("billing.zip", {"period": period}, by=by)


# --- billing.statements ---------------------------------------------------------------------------


def clients_with_activity(start: date, end: date) -> list[int]:
    """Clients with an issued invoice, a payment, a credit note or a refund dated in [start, end]."""
    issued = sa.select(Invoice.client_id).where(
        Invoice.status.in_(("issued", "paid", "void")), Invoice.issued_on.between(start, end)
    )
    paid = (
        sa.select(Invoice.client_id)
        .join(Payment, Payment.invoice_id == Invoice.id)
        .where(Payment.paid_on.between(start, end))
    )
    credited = (
        sa.select(Invoice.client_id)
        .join(CreditNote, CreditNote.invoice_id == Invoice.id)
        .where(CreditNote.issued_on.between(start, end))
    )
    refunded = sa.select(Refund.client_id).where(Refund.refunded_on.between(start, end))
    union = sa.union(issued, paid, credited, refunded).subquery()
    return list(
        db.session.scalars(
            sa.select(Client.id).where(Client.id.in_(sa.select(union.c[0]))).order_by(Client.name, Client.id)
        )
    )


def _range(job: Job) -> tuple[date, date]:
    return date.fromisoformat(job.params["start"]), date.fromisoformat(job.params["end"])


def _statement_items(job: Job) -> list[tuple[str, str]]:
    start, end = _range(job)
    ids = job.params.get("client_ids") or clients_with_activity(start, end)
    rows = db.session.execute(
        sa.select(Client.id, Client.name).where(Client.id.in_(ids)).order_by(Client.name, Client.id)
    ).all()
    return [(str(row.id), row.name) for row in rows]


def statement_filename(client: Client, start: date, end: date, ext: str) -> str:
    return f"对账单_{services.safe_filename(client.name)}_{start.isoformat()}_{end.isoformat()}.{ext}"


def _statement_item(job: Job, key: str) -> str | None:
    client = db.session.get(Client, int(key))
    if client is None:
        raise JobItemError(str(_l("客户不存在。")))
    start, end = _range(job)
    _write_part(job, key, services.statement_pdf(client, services.client_statement(client.id, start, end)))
    return None


def _statement_finish(job: Job, progress) -> dict:
    start, end = _range(job)
    keys = _item_keys(job, "done")
    clients = {
        str(client.id): client
        for client in db.session.scalars(sa.select(Client).where(Client.id.in_([int(k) for k in keys])))
    }
    names = [(key, statement_filename(clients[key], start, end, "pdf")) for key in keys if key in clients]
    path = zip_parts(job, names, f"statements_{start.isoformat()}_{end.isoformat()}.zip", progress)
    return {
        "file": path.name,
        "filename": f"对账单_{start.isoformat()}_{end.isoformat()}.zip",
        "ascii_name": path.name,
        "mimetype": "application/zip",
        "summary": str(
            _l(
                "对账单 %(start)s 至 %(end)s：%(n)s 个客户",
                start=start.isoformat(),
                end=end.isoformat(),
                n=len(names),
            )
        ),
    }


def start_statements(start: date, end: date, client_ids: list[int] | None, *, by) -> Job:
    params = {"start": start.isoformat(), "end": end.isoformat(), "client_ids": client_ids or None}
    return start_job("billing.statements", params, by=by)


register_kind(
    "billing.run",
    label=_l("出账"),
    roles=FINANCE_ROLES,
    items=_run_items,
    run_item=_run_item,
    finish=_run_finish,
)
register_kind(
    "billing.zip",
    label=_l("账期账单压缩包"),
    roles=FINANCE_ROLES,
    items=_zip_items,
    run_item=_zip_item,
    finish=_zip_finish,
)
register_kind(
    "billing.statements",
    label=_l("批量对账单"),
    roles=FINANCE_ROLES,
    items=_statement_items,
    run_item=_statement_item,
    finish=_statement_finish,
)


# --- PDFs rendered after issue -------------------------------------------------------------------


@task(retries=3, retry_delay=5)
def render_invoice_pdf_task(invoice_id: int) -> bool:
    """Render and store invoice ``invoice_id``'s PDF; False when it was stored already."""
    return retrying(partial(pdfs.store_invoice_pdf, invoice_id))


@task(retries=3, retry_delay=5)
def render_credit_note_pdf_task(note_id: int) -> bool:
    """Render and store credit note ``note_id``'s PDF; False when it was stored already."""
    return retrying(partial(pdfs.store_credit_note_pdf, note_id))


@at_consumer_start
def render_missing_pdfs_at_start() -> None:
    """A consumer killed mid-render took its renders with it: the next one to start queues them again
    (a render still queued elsewhere finds its PDF stored and does nothing)."""
    services.render_missing_pdfs()


@periodic(crontab(minute="*/5"))
def render_missing_pdfs_periodically() -> None:
    """The safety net: a PDF a killed consumer never stored is rendered within minutes."""
    services.render_missing_pdfs(issued_before=utcnow() - timedelta(minutes=2))
