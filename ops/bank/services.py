"""Bank statements: saving a bank's format, importing an export, matching transfers (automatically
and by hand), ignoring what is no client's payment. Every action is audited; nothing commits (the
view's unit of work does).

A match records ``record_payment`` per invoice part (method 银行转账, linked to the transaction) and
keeps the excess as the client's credit (``BankTransaction.credit_fen``, a credit source of
``ops.billing.services.credits``). Locks: the transaction first (re-checked: matched once, whoever
matches it at the same time), then the invoices in id order (``record_payment``), then the client.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import sqlalchemy as sa

from ops import i18n
from ops.audit.services import record
from ops.bank.engine import matching
from ops.bank.engine.statement import Layout, decode_statement, layout_problems, parse_statement
from ops.bank.models import BankFormat, BankPayerAccount, BankStatement, BankTransaction
from ops.billing.models import Invoice, Payment
from ops.billing.services.base import lock_invoice
from ops.billing.services.credits import lock_client
from ops.billing.services.payments import record_payment
from ops.clients.models import Client
from ops.errors import ServiceError
from ops.extensions import db
from ops.money import format_fen
from ops.timeutil import today, utcnow
from ops.transactions import lock_row

PAYMENT_METHOD = "银行转账"


class BankServiceError(ServiceError):
    """A refused bank-statement action; the message is for the user."""


def lock_transaction(transaction_id: int) -> BankTransaction:
    """The transaction, re-read and locked: every match, ignore and un-ignore takes it first."""
    transaction = lock_row(BankTransaction, transaction_id)
    if transaction is None:
        raise BankServiceError(i18n._l("银行流水不存在。"))
    return transaction


# --- formats ----------------------------------------------------------------------------------------


def lock_format(format_id: int) -> BankFormat:
    bank_format = lock_row(BankFormat, format_id)
    if bank_format is None:
        raise BankServiceError(i18n._l("银行格式不存在。"), field="format_id")
    return bank_format


def create_format(name: str, layout: Layout, by=None) -> BankFormat:
    """Save a bank's column mapping under a unique name (audited)."""
    name = name.strip()
    if not name:
        raise BankServiceError(i18n._l("请填写格式名称。"), field="name")
    for field, message in layout_problems(layout):
        raise BankServiceError(message, field=field)
    if db.session.scalar(sa.select(BankFormat.id).where(BankFormat.name == name)) is not None:
        raise BankServiceError(i18n._l("已有同名的银行格式。"), field="name")
    columns = {k: v.strip() for k, v in layout.columns().items()}
    bank_format = BankFormat(name=name, date_format=layout.date_format, created_by_id=getattr(by, "id", None))
    for field in (
        "date_column",
        "amount_column",
        "credit_column",
        "debit_column",
        "payer_name_column",
        "payer_account_column",
        "reference_column",
        "serial_column",
    ):
        setattr(bank_format, field, columns.get(field, ""))
    db.session.add(bank_format)
    db.session.flush()
    record("bank.format_created", bank_format, summary=name, after=columns, actor=by)
    return bank_format


# --- the matching context ---------------------------------------------------------------------------


def open_invoices() -> list[matching.OpenInvoice]:
    """Every client's issued invoices with a balance, as the matcher sees them."""
    rows = db.session.execute(
        sa.select(
            Invoice.id,
            Invoice.number,
            Invoice.client_id,
            Invoice.total_fen - Invoice.paid_fen - Invoice.allocated_fen,
            Invoice.issued_on,
        ).where(
            Invoice.status == "issued",
            Invoice.total_fen - Invoice.paid_fen - Invoice.allocated_fen > 0,
            Invoice.number.is_not(None),
        )
    )
    return [matching.OpenInvoice(i, n or "", c, int(b), d) for i, n, c, b, d in rows if d is not None]


def payers() -> list[matching.Payer]:
    """Every client as a payer: its names and the accounts learned from earlier matches."""
    accounts: dict[int, list[str]] = {}
    for account, client_id in db.session.execute(
        sa.select(BankPayerAccount.account, BankPayerAccount.client_id)
    ):
        accounts.setdefault(client_id, []).append(account)
    rows = db.session.execute(sa.select(Client.id, Client.name, Client.legal_name))
    return [
        matching.Payer(cid, tuple(n for n in (name, legal) if n), tuple(accounts.get(cid, ())))
        for cid, name, legal in rows
    ]


# --- recording a match ------------------------------------------------------------------------------


def _learn_account(transaction: BankTransaction, client_id: int) -> bool:
    """Remember the payer account for the client (rule 2 knows it next time); the caller holds the
    client's lock. An account known for another client stays with it."""
    account = matching.normalise_account(transaction.payer_account)
    if not account:
        return False
    if (
        db.session.scalar(sa.select(BankPayerAccount.id).where(BankPayerAccount.account == account))
        is not None
    ):
        return False
    db.session.add(BankPayerAccount(account=account, client_id=client_id, learned_from_id=transaction.id))
    return True


def _payment_reference(transaction: BankTransaction) -> str:
    return (transaction.serial or transaction.reference or f"#{transaction.id}")[:100]


def record_match(
    transaction: BankTransaction, client_id: int, parts: dict[int, int], rule: str, by=None
) -> BankTransaction:
    """Record a transfer as payments of the client's invoices (``parts``: invoice id → fen) and the
    rest of its amount as the client's credit (预收款). All or nothing, under the locks; refused when
    the transaction is no longer unmatched, when a part exceeds its invoice's balance or the parts
    exceed the amount."""
    transaction = lock_transaction(transaction.id)
    if transaction.status != "unmatched":
        raise BankServiceError(i18n._l("这笔流水已经处理过（已匹配或已忽略），不能再匹配。"))
    parts = {invoice_id: fen for invoice_id, fen in parts.items() if fen}
    if any(fen < 0 for fen in parts.values()):
        raise BankServiceError(i18n._l("金额不能为负数。"))
    total = sum(parts.values())
    if total > transaction.amount_fen:
        raise BankServiceError(
            i18n._l(
                "各账单金额合计 %(total)s 超过流水金额 %(amount)s。",
                total=format_fen(total),
                amount=format_fen(transaction.amount_fen),
            )
        )
    if transaction.booked_on > today():
        raise BankServiceError(i18n._l("流水日期晚于今天，不能登记收款。"))
    client = db.session.get(Client, client_id)
    if client is None:
        raise BankServiceError(i18n._l("客户不存在。"), field="client_id")
    still_open = False
    for invoice_id in sorted(parts):  # invoices in id order: two matches never wait on each other crosswise
        invoice = db.session.get(Invoice, invoice_id)
        if invoice is None or invoice.client_id != client.id:
            raise BankServiceError(i18n._l("只能匹配所选客户的账单。"))
        payment = record_payment(
            invoice,
            parts[invoice_id],
            transaction.booked_on,
            PAYMENT_METHOD,
            _payment_reference(transaction),
            by=by,
        )
        payment.bank_transaction_id = transaction.id
        still_open = still_open or invoice.balance_fen > 0
    lock_client(client.id)
    transaction.client_id = client.id
    transaction.matched_fen = total
    transaction.credit_fen = transaction.amount_fen - total
    transaction.rule = rule
    transaction.status = "partial" if still_open else "matched"
    transaction.suggestions = []
    transaction.matched_at = utcnow()
    transaction.matched_by_id = getattr(by, "id", None)
    learned = _learn_account(transaction, client.id)
    db.session.flush()
    numbers = db.session.scalars(sa.select(Invoice.number).where(Invoice.id.in_(list(parts)))).all()
    record(
        "bank.transaction_matched",
        transaction,
        summary=i18n._l(
            "%(client)s %(amount)s → %(invoices)s",
            client=client.name,
            amount=format_fen(transaction.amount_fen),
            invoices="、".join(sorted(n or "" for n in numbers)) or "—",
        ),
        before={"status": "unmatched"},
        after={
            "status": transaction.status,
            "rule": rule,
            "client_id": client.id,
            "parts": {str(k): v for k, v in sorted(parts.items())},
            "credit_fen": transaction.credit_fen,
            "account_learned": learned,
        },
        actor=by,
    )
    return transaction


def match_manually(
    transaction: BankTransaction, client_id: int | None, amounts: dict[int, int | None], by=None
):
    """Finance's match from the queue: amounts per invoice of the chosen client (blank = nothing), the
    rest of the transfer to the client's credit. Each amount within its invoice's balance."""
    if not client_id:
        raise BankServiceError(i18n._l("请选择客户。"), field="client_id")
    parts = {invoice_id: fen for invoice_id, fen in amounts.items() if fen}
    for invoice_id, fen in parts.items():
        invoice = db.session.get(Invoice, invoice_id)
        if invoice is None or invoice.client_id != client_id or invoice.status != "issued":
            raise BankServiceError(i18n._l("只能匹配所选客户已开具、未结清的账单。"))
        if fen < 0 or fen > invoice.balance_fen:
            raise BankServiceError(
                i18n._l(
                    "%(number)s 的金额必须大于 0，且不超过其未付余额 %(balance)s。",
                    number=invoice.number,
                    balance=format_fen(invoice.balance_fen),
                ),
                field=f"invoice_{invoice_id}",
            )
    return record_match(transaction, client_id, parts, matching.RULE_MANUAL, by=by)


# --- import -----------------------------------------------------------------------------------------


@dataclass
class ImportResult:
    statement: BankStatement | None  # None: nothing new in the file (nothing written)
    encoding: str
    incoming: int
    new: int
    outgoing: int
    matched: int

    @property
    def duplicates(self) -> int:
        return self.incoming - self.new


def import_statement(bank_format: BankFormat, filename: str, data: bytes, by=None) -> ImportResult:
    """Import an export read with ``bank_format``: its incoming transfers not seen before (by their
    key: a file imported again, or overlapping an earlier one, adds nothing), each matched at once
    when a rule says so (payments recorded), the others left in the unmatched queue with suggestions.

    Outgoing rows are counted, never imported. A file with no new transfer writes nothing (no
    statement, no audit entry). Locks the format's row first: two imports of the same bank's exports
    take turns, so a file posted twice at once is imported once."""
    text, encoding = decode_statement(data)
    parsed = parse_statement(text, bank_format.layout())
    # Imports of one bank's exports take turns (the same file posted twice at once adds it once); the
    # unique index on dedupe_key is the backstop.
    bank_format = lock_format(bank_format.id)
    keys = [row.key for row in parsed.rows]
    known = set(
        db.session.scalars(sa.select(BankTransaction.dedupe_key).where(BankTransaction.dedupe_key.in_(keys)))
        if keys
        else ()
    )
    seen: set[str] = set()
    new_rows = []
    for row in parsed.rows:
        if row.key not in known and row.key not in seen:
            seen.add(row.key)
            new_rows.append(row)
    if not new_rows:
        return ImportResult(None, encoding, len(parsed.rows), 0, parsed.outgoing, 0)
    statement = BankStatement(
        format_id=bank_format.id,
        filename=filename[:200],
        encoding=encoding,
        sha256=hashlib.sha256(data).hexdigest(),
        incoming_count=len(parsed.rows),
        new_count=len(new_rows),
        outgoing_count=parsed.outgoing,
        imported_by_id=getattr(by, "id", None),
    )
    db.session.add(statement)
    db.session.flush()
    transactions = []
    for row in new_rows:
        transaction = BankTransaction(
            statement_id=statement.id,
            dedupe_key=row.key,
            line=row.line,
            booked_on=row.booked_on,
            amount_fen=row.amount_fen,
            payer_name=row.payer_name[:200],
            payer_account=row.payer_account[:60],
            reference=row.reference[:300],
            serial=row.serial[:80],
            status="unmatched",
            suggestions=[],
        )
        db.session.add(transaction)
        transactions.append(transaction)
    db.session.flush()
    record(
        "bank.statement_imported",
        statement,
        summary=f"{bank_format.name} {filename}"[:300],
        after={
            "incoming": len(parsed.rows),
            "new": len(new_rows),
            "outgoing": parsed.outgoing,
            "encoding": encoding,
        },
        actor=by,
    )
    statement.matched_count = match_transactions(transactions, by=by)
    return ImportResult(
        statement, encoding, len(parsed.rows), len(new_rows), parsed.outgoing, statement.matched_count
    )


def match_transactions(transactions: list[BankTransaction], by=None) -> int:
    """Run the matcher over unmatched transactions in order, recording each match; the others keep
    the matcher's suggestions. Returns how many were matched."""
    invoices = open_invoices()
    known = payers()
    matched = 0
    for transaction in transactions:
        if transaction.status != "unmatched":
            continue
        transfer = matching.Transfer(
            transaction.amount_fen, transaction.payer_name, transaction.payer_account, transaction.reference
        )
        result = matching.match_transfer(transfer, invoices, known)
        if not result.matched or result.client_id is None or transaction.booked_on > today():
            transaction.suggestions = [
                {"client_id": s.client_id, "invoice_id": s.invoice_id, "reason": s.reason}
                for s in result.suggestions
            ]
            continue
        record_match(
            transaction,
            result.client_id,
            {p.invoice_id: p.amount_fen for p in result.parts},
            result.rule or "",
            by=by,
        )
        matched += 1
        invoices = matching.apply_to_balances(result, invoices)
        if transaction.payer_account:
            known = [
                matching.Payer(p.client_id, p.names, (*p.accounts, transaction.payer_account))
                if p.client_id == result.client_id
                else p
                for p in known
            ]
    return matched


def undo_match(transaction: BankTransaction, reason: str, by=None) -> BankTransaction:
    """Reverse a match while it can be reversed cleanly: its payments are removed (each invoice's
    ``paid_fen`` re-summed, a settled one issued again), its credit withdrawn, the account it taught
    forgotten, and the transfer is unmatched again. Refused once its credit was applied or refunded,
    or an invoice it paid was voided. Locks: the transaction, the invoices in id order, the client."""
    transaction = lock_transaction(transaction.id)
    if transaction.status not in ("matched", "partial"):
        raise BankServiceError(i18n._l("只能撤销已匹配的流水。"))
    if not reason.strip():
        raise BankServiceError(i18n._l("请填写撤销原因。"), field="reason")
    if transaction.credit_allocated_fen:
        raise BankServiceError(i18n._l("这笔流水转入的客户余额已被抵扣或退款，不能撤销匹配。"))
    payments = list(
        db.session.scalars(
            sa.select(Payment).where(Payment.bank_transaction_id == transaction.id).order_by(Payment.id)
        )
    )
    invoices = [lock_invoice(invoice_id) for invoice_id in sorted({p.invoice_id for p in payments})]
    if any(invoice.status not in ("issued", "paid") for invoice in invoices):
        raise BankServiceError(i18n._l("这笔流水付款的账单已作废，不能撤销匹配。"))
    if transaction.client_id is not None:
        lock_client(transaction.client_id)
    for payment in payments:
        db.session.delete(payment)
    db.session.flush()
    for invoice in invoices:
        before = {"status": invoice.status, "paid_fen": invoice.paid_fen}
        invoice.paid_fen = int(
            db.session.scalar(
                sa.select(sa.func.coalesce(sa.func.sum(Payment.amount_fen), 0)).where(
                    Payment.invoice_id == invoice.id
                )
            )
        )
        if invoice.status == "paid" and invoice.balance_fen > 0:
            invoice.status = "issued"
            invoice.paid_at = None
        record(
            "invoice.payment_reversed",
            invoice,
            summary=reason.strip()[:300],
            before=before,
            after={"status": invoice.status, "paid_fen": invoice.paid_fen},
            actor=by,
        )
    before = {
        "status": transaction.status,
        "client_id": transaction.client_id,
        "matched_fen": transaction.matched_fen,
        "credit_fen": transaction.credit_fen,
        "payments": [(p.invoice_id, p.amount_fen) for p in payments],
    }
    db.session.execute(sa.delete(BankPayerAccount).where(BankPayerAccount.learned_from_id == transaction.id))
    transaction.status = "unmatched"
    transaction.client_id = None
    transaction.matched_fen = 0
    transaction.credit_fen = 0
    transaction.rule = ""
    transaction.matched_at = None
    transaction.matched_by_id = None
    record(
        "bank.match_undone",
        transaction,
        summary=reason.strip()[:300],
        before=before,
        after={"status": "unmatched"},
        actor=by,
    )
    return transaction


# --- ignoring ---------------------------------------------------------------------------------------


def ignore_transaction(transaction: BankTransaction, reason: str, by=None) -> None:
    """Mark an unmatched transfer as no client's payment (利息, 退税, 内部转账 …); audited."""
    transaction = lock_transaction(transaction.id)
    if transaction.status != "unmatched":
        raise BankServiceError(i18n._l("只能忽略未匹配的流水。"))
    if not reason.strip():
        raise BankServiceError(i18n._l("请填写忽略原因。"), field="reason")
    transaction.status = "ignored"
    transaction.ignore_reason = reason.strip()[:200]
    record(
        "bank.transaction_ignored",
        transaction,
        summary=reason.strip()[:300],
        before={"status": "unmatched"},
        after={"status": "ignored"},
        actor=by,
    )


def unignore_transaction(transaction: BankTransaction, by=None) -> None:
    """Put an ignored transfer back in the unmatched queue; audited."""
    transaction = lock_transaction(transaction.id)
    if transaction.status != "ignored":
        raise BankServiceError(i18n._l("这笔流水没有被忽略。"))
    transaction.status = "unmatched"
    before = transaction.ignore_reason
    transaction.ignore_reason = ""
    record(
        "bank.transaction_unignored",
        transaction,
        summary=before[:300],
        before={"status": "ignored"},
        after={"status": "unmatched"},
        actor=by,
    )
