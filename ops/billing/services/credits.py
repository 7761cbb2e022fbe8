"""Allocations: credit notes settling invoices, the client's credit balance (客户余额), applying it to
an invoice (上期余额抵扣), refunds (退款), the deposit a full reversal returns, and the statement (对账单).

Money between a client and the vendor is rows (docs/domain.md, "Allocations"): invoices (debits),
payments and credit notes (credits), refunds, and ``allocations`` linking a credit to the invoice or
refund it settles. A credit is a credit note, or the excess of a bank transfer kept as the client's
credit (预收款, ``ops.bank``). ``invoices.allocated_fen``, ``credit_notes.allocated_fen`` and
``bank_transactions.credit_allocated_fen`` are the sums of their allocations, set in the same transaction under the row locks and bounded by CHECK constraints,
so no outstanding amount and no credit remainder is ever negative.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import date

import sqlalchemy as sa
from flask import current_app

from ops import i18n
from ops.audit.services import record
from ops.bank.models import BankTransaction
from ops.billing.engine.credits import Entry, Statement, allocate_oldest_first, build_statement
from ops.billing.models import Allocation, CreditNote, Invoice, Payment, Refund
from ops.billing.services.base import BillingServiceError, lock_invoice
from ops.billing.statement_pdf import render_statement_pdf
from ops.clients.models import Client
from ops.contracts.models import Contract
from ops.events.services import emit
from ops.extensions import db
from ops.i18n import N_
from ops.idempotency import claim
from ops.money import format_fen
from ops.timeutil import today, utcnow
from ops.transactions import lock_row


def lock_client(client_id: int) -> Client:
    """The client row, locked: every action that consumes a client's credit balance takes it (last)."""
    client = lock_row(Client, client_id)
    if client is None:
        raise BillingServiceError("客户不存在。")
    return client


CreditSource = CreditNote | BankTransaction


def credit_balance_fen(client_id: int) -> int:
    """The client's credit balance (fen, ≥ 0): its issued credit notes' remainders (credit not returned
    to a deposit) and its bank transfers' excess (预收款), less what was allocated to an invoice or a
    refund."""
    from_notes = int(
        db.session.scalar(
            sa.select(
                sa.func.coalesce(
                    sa.func.sum(CreditNote.total_fen - CreditNote.deposit_fen - CreditNote.allocated_fen), 0
                )
            )
            .join(Invoice, Invoice.id == CreditNote.invoice_id)
            .where(Invoice.client_id == client_id, CreditNote.status == "issued")
        )
    )
    from_transfers = int(
        db.session.scalar(
            sa.select(
                sa.func.coalesce(
                    sa.func.sum(BankTransaction.credit_fen - BankTransaction.credit_allocated_fen), 0
                )
            ).where(BankTransaction.client_id == client_id)
        )
    )
    return from_notes + from_transfers


def _open_credits(client_id: int) -> list[CreditSource]:
    """The client's credits with a remainder (credit notes, bank transfers' excess), oldest first (the
    order a balance is consumed)."""
    transfers = db.session.scalars(
        sa.select(BankTransaction).where(
            BankTransaction.client_id == client_id,
            BankTransaction.credit_fen - BankTransaction.credit_allocated_fen > 0,
        )
    )
    credits: list[CreditSource] = [*_open_notes(client_id), *transfers]
    return sorted(credits, key=lambda c: (c.issued_on, isinstance(c, BankTransaction), c.id))


def _open_notes(client_id: int) -> list[CreditNote]:
    stmt = (
        sa.select(CreditNote)
        .join(Invoice, Invoice.id == CreditNote.invoice_id)
        .where(
            Invoice.client_id == client_id,
            CreditNote.status == "issued",
            CreditNote.total_fen - CreditNote.deposit_fen - CreditNote.allocated_fen > 0,
        )
        .order_by(CreditNote.issued_on, CreditNote.id)
    )
    return list(db.session.scalars(stmt))


def _sum_allocations(column, value: int) -> int:
    return int(
        db.session.scalar(
            sa.select(sa.func.coalesce(sa.func.sum(Allocation.amount_fen), 0)).where(column == value)
        )
    )


def allocate(
    source: CreditSource,
    amount_fen: int,
    *,
    kind: str,
    client_id: int,
    invoice: Invoice | None = None,
    refund: Refund | None = None,
    by=None,
) -> Allocation:
    """One allocation row from a credit note or a bank transfer's excess; the source's and the invoice's
    stored sums are re-summed from the rows.

    The caller holds the locks (invoice and/or client) and has checked the amounts."""
    is_note = isinstance(source, CreditNote)
    allocation = Allocation(
        client_id=client_id,
        kind=kind,
        credit_note_id=source.id if is_note else None,
        bank_transaction_id=None if is_note else source.id,
        invoice_id=invoice.id if invoice is not None else None,
        refund_id=refund.id if refund is not None else None,
        amount_fen=amount_fen,
        created_by_id=getattr(by, "id", None),
    )
    db.session.add(allocation)
    db.session.flush()
    if isinstance(source, CreditNote):
        source.allocated_fen = _sum_allocations(Allocation.credit_note_id, source.id)
    else:
        source.credit_allocated_fen = _sum_allocations(Allocation.bank_transaction_id, source.id)
    if invoice is not None:
        invoice.allocated_fen = _sum_allocations(Allocation.invoice_id, invoice.id)
    db.session.flush()
    return allocation


def _consume_balance(client_id: int, amount_fen: int, **target) -> None:
    credits = _open_credits(client_id)  # oldest first
    parts = allocate_oldest_first([(i, c.remainder_fen) for i, c in enumerate(credits)], amount_fen)
    for index, part in parts:
        allocate(credits[index], part, client_id=client_id, **target)


def apply_credit_balance(
    invoice: Invoice, amount_fen: int | None = None, by=None, *, idempotency_key: str | None = None
) -> int:
    """Apply the client's credit balance to an issued invoice (上期余额抵扣); returns the fen applied.

    ``amount_fen`` None applies as much as possible (the smaller of the balance and the outstanding).
    Locks invoice → client (the client row comes last), so the balance cannot be spent twice.
    """
    invoice = lock_invoice(invoice.id)
    lock_client(invoice.client_id)
    claim(idempotency_key, "invoice.credit_balance", object_id=invoice.id, by=by)
    if invoice.status != "issued":
        raise BillingServiceError("只能抵扣已开具、未结清的账单。")
    balance = credit_balance_fen(invoice.client_id)
    outstanding = invoice.balance_fen
    if balance <= 0:
        raise BillingServiceError("客户没有可用余额。")
    amount = min(balance, outstanding) if amount_fen is None else amount_fen
    if amount <= 0 or amount > min(balance, outstanding):
        raise BillingServiceError(
            f"抵扣金额必须大于 0，且不超过客户余额（{format_fen(balance)}）"
            f"和账单未付余额（{format_fen(outstanding)}）。",
            field="amount",
        )
    before = {"status": invoice.status, "allocated_fen": invoice.allocated_fen}
    _consume_balance(invoice.client_id, amount, kind="credit_balance", invoice=invoice, by=by)
    if invoice.balance_fen == 0:
        invoice.status = "paid"
        invoice.paid_at = utcnow()
        emit("invoice.paid", invoice, client_id=invoice.client_id, invoice_id=invoice.id)
    record(
        "invoice.credit_balance_applied",
        invoice,
        summary=i18n._l(
            "%(number)s 上期余额抵扣 %(amount)s", number=invoice.number, amount=format_fen(amount)
        ),
        before=before,
        after={"status": invoice.status, "allocated_fen": invoice.allocated_fen, "amount_fen": amount},
        actor=by,
    )
    return amount


def record_refund(
    client: Client,
    amount_fen: int,
    refunded_on: date,
    method: str,
    reference: str,
    by=None,
    *,
    idempotency_key: str | None = None,
) -> Refund:
    """Pay (part of) the client's credit balance back (退款), under the client's lock; audited."""
    client = lock_client(client.id)
    claim(idempotency_key, "client.refund", object_id=client.id, by=by)
    balance = credit_balance_fen(client.id)
    if amount_fen <= 0 or amount_fen > balance:
        raise BillingServiceError(
            f"退款金额必须大于 0，且不超过客户余额（{format_fen(balance)}）。", field="amount"
        )
    if refunded_on > today():
        raise BillingServiceError("退款日期不能晚于今天。", field="refunded_on")
    if not method.strip():
        raise BillingServiceError("请选择退款方式。", field="method")
    refund = Refund(
        client_id=client.id,
        refunded_on=refunded_on,
        amount_fen=amount_fen,
        method=method.strip(),
        reference=reference.strip(),
        recorded_by_id=getattr(by, "id", None),
    )
    db.session.add(refund)
    db.session.flush()
    _consume_balance(client.id, amount_fen, kind="refund", refund=refund, by=by)
    record(
        "client.refund_recorded",
        client,
        summary=i18n._l(
            "退款 %(amount)s %(reference)s", amount=format_fen(amount_fen), reference=reference.strip()
        ),
        before={"credit_balance_fen": balance},
        after={"credit_balance_fen": balance - amount_fen, "refund_id": refund.id, "amount_fen": amount_fen},
        actor=by,
    )
    return refund


def restore_deposit(contract, amount_fen: int, by=None) -> None:
    """A credit note reversed ``amount_fen`` of an invoice's deposit offset: the deposit is held again.

    The caller holds the contract's lock. The applied sum (``deposit_applied_fen``) goes down by the
    amount: nothing applied any more → 'received' (it may offset the re-billed invoice, or be refunded);
    some still applied → 'partly_applied' (the rest is owed back). A deposit refunded or forfeited
    since is left alone. Audited with the amount.
    """
    if amount_fen <= 0:
        return
    before = contract.deposit_status
    if before in ("applied", "partly_applied"):
        contract.deposit_applied_fen = max(0, contract.deposit_applied_fen - amount_fen)
        contract.deposit_status = "partly_applied" if contract.deposit_applied_fen else "received"
        if contract.deposit_status == "received":
            contract.deposit_settled_on = None
            contract.deposit_settled_reference = ""
    record(
        "contract.deposit_restored",
        contract,
        summary=i18n._l("红字冲销退回定金 %(amount)s", amount=format_fen(amount_fen)),
        before={"deposit_status": before},
        after={"deposit_status": contract.deposit_status, "amount_fen": amount_fen},
        actor=by,
    )


# --- reading --------------------------------------------------------------------------------------


def invoice_allocations(invoice_id: int) -> list[Allocation]:
    """What settled the invoice besides payments: credit notes and applied credit balance."""
    return list(
        db.session.scalars(
            sa.select(Allocation)
            .options(
                sa.orm.joinedload(Allocation.credit_note), sa.orm.joinedload(Allocation.bank_transaction)
            )
            .where(Allocation.invoice_id == invoice_id)
            .order_by(Allocation.id)
        )
    )


def client_refunds(client_id: int) -> list[Refund]:
    return list(
        db.session.scalars(
            sa.select(Refund).where(Refund.client_id == client_id).order_by(Refund.refunded_on, Refund.id)
        )
    )


def statement_entries(client_id: int, gettext: Callable[[str], str] = str) -> list[Entry]:
    """Every movement on the client's account: issued invoices (void ones never were owed), payments,
    credit notes (their client part; the part returned to a deposit is not the client's money), the
    excess of bank transfers kept as credit (预收款; the matched part is among the payments) and
    refunds. Applying the credit balance moves nothing between the parties: it is not an entry."""
    entries: list[Entry] = []
    invoices = db.session.scalars(
        sa.select(Invoice)
        .where(Invoice.client_id == client_id, Invoice.status.in_(("issued", "paid")))
        .order_by(Invoice.id)
    )
    for inv in invoices:
        entries.append(
            Entry(
                inv.issued_on or date.min,
                "invoice",
                inv.number or "",
                gettext(N_("账单 %(period)s")) % {"period": inv.period},
                debit_fen=inv.total_fen,
                seq=inv.id,
            )
        )
    rows = db.session.execute(
        sa.select(Payment, Invoice.number)
        .join(Invoice, Invoice.id == Payment.invoice_id)
        .where(Invoice.client_id == client_id)
    )
    for pay, number in rows:
        text = (gettext(N_("收款（%(method)s）")) % {"method": gettext(pay.method)} + pay.reference).strip()
        entries.append(
            Entry(pay.paid_on, "payment", number or "", text, credit_fen=pay.amount_fen, seq=pay.id)
        )
    notes = db.session.execute(
        sa.select(CreditNote, Invoice.number)
        .join(Invoice, Invoice.id == CreditNote.invoice_id)
        .where(Invoice.client_id == client_id, CreditNote.status == "issued")
    )
    for note, number in notes:
        client_part = note.total_fen - note.deposit_fen
        if client_part > 0:
            entries.append(
                Entry(
                    note.issued_on,
                    "credit_note",
                    note.number,
                    (gettext(N_("红字冲销 %(number)s：")) % {"number": number} + note.reason)[:120],
                    credit_fen=client_part,
                    seq=note.id,
                )
            )
    transfers = db.session.scalars(
        sa.select(BankTransaction).where(
            BankTransaction.client_id == client_id, BankTransaction.credit_fen > 0
        )
    )
    for transfer in transfers:
        text = gettext(N_("银行转账多付，转为预收款")) + (
            f" {transfer.reference}" if transfer.reference else ""
        )
        entries.append(
            Entry(
                transfer.booked_on,
                "prepayment",
                transfer.serial,
                text.strip()[:120],
                credit_fen=transfer.credit_fen,
                seq=transfer.id,
            )
        )
    for refund in client_refunds(client_id):
        text = (
            gettext(N_("退款（%(method)s）")) % {"method": gettext(refund.method)} + refund.reference
        ).strip()
        entries.append(
            Entry(refund.refunded_on, "refund", "", text, debit_fen=refund.amount_fen, seq=refund.id)
        )
    return entries


def client_statement(
    client_id: int, start: date, end: date, gettext: Callable[[str], str] = str
) -> Statement:
    """The 对账单 of [start, end]. Its closing balance is what the ageing report shows as the client's
    outstanding, minus the client's credit balance (when ``end`` is today or later). Descriptions in
    Chinese (the PDF and CSV) unless a page passes its ``gettext``."""
    return build_statement(statement_entries(client_id, gettext), start, end)


STATEMENT_HEADER = ("日期", "项目", "单号", "说明", "应收（借）", "已收/冲销（贷）", "余额")
STATEMENT_KINDS = {
    "invoice": "账单",
    "payment": "收款",
    "credit_note": "红字冲销",
    "prepayment": "预收款",
    "refund": "退款",
}


def _csv_yuan(fen: int) -> str:
    return format_fen(fen, symbol=False).replace(",", "")


def statement_csv(statement: Statement) -> bytes:
    """The statement as a UTF-8 CSV with a BOM (Excel), yuan with 2 decimals."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(STATEMENT_HEADER)
    writer.writerow(
        [statement.start.isoformat(), "期初余额", "", "", "", "", _csv_yuan(statement.opening_fen)]
    )
    for line in statement.lines:
        e = line.entry
        text = "'" + e.description if e.description[:1] in ("=", "+", "-", "@") else e.description
        writer.writerow(
            [
                e.on.isoformat(),
                STATEMENT_KINDS.get(e.kind, e.kind),
                e.reference,
                text,
                _csv_yuan(e.debit_fen) if e.debit_fen else "",
                _csv_yuan(e.credit_fen) if e.credit_fen else "",
                _csv_yuan(line.balance_fen),
            ]
        )
    writer.writerow(
        ["", "本期合计", "", "", _csv_yuan(statement.debits_fen), _csv_yuan(statement.credits_fen), ""]
    )
    writer.writerow([statement.end.isoformat(), "期末余额", "", "", "", "", _csv_yuan(statement.closing_fen)])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _vendor_name(client_id: int) -> str:
    """The vendor as named on the client's latest contract (the statement's issuer)."""
    name = db.session.scalar(
        sa.select(Contract.vendor_name)
        .where(Contract.client_id == client_id)
        .order_by(Contract.id.desc())
        .limit(1)
    )
    return name or ""


def statement_pdf(client: Client, statement: Statement) -> bytes:
    """The statement as an A4 PDF (not stored: it is a view of the rows at the time it is asked for)."""
    return render_statement_pdf(
        statement,
        vendor_name=_vendor_name(client.id),
        client_name=client.legal_name or client.name,
        credit_balance_fen=credit_balance_fen(client.id),
        generated_on=today(),
        ttf_path=current_app.config.get("PDF_FONT"),
    )
