"""Credit notes, allocations and the client statement (对账单): the arithmetic, in fen.

Pure: plain values in, plain values out. The services keep the rows (credit notes, allocations,
refunds) and call these for the amounts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from ops.money import round_fen


@dataclass(frozen=True)
class CreditSplit:
    """How a credit note of ``total_fen`` divides: its VAT, and the part reversing the deposit offset."""

    tax_fen: int
    deposit_fen: int  # returned to the deposit; the rest (total − deposit) is the client's money


def split_credit(
    *,
    amount_fen: int,
    invoice_total_fen: int,
    invoice_gross_fen: int,
    invoice_tax_fen: int,
    credited_fen: int,
    credited_tax_fen: int,
    rate_bp: int,
) -> CreditSplit:
    """Split a credit of ``amount_fen`` (tax included) on an invoice already credited ``credited_fen``.

    A credit first reverses what the client was charged (the total, after the deposit offset); only
    credit beyond the total reverses the deposit offset (gross = total + |deposit offset|). The VAT
    is amount × r / (1 + r), except that the credit completing a full reversal takes exactly the
    invoice's VAT not yet reversed, so the notes' VAT adds up to the invoice's VAT.
    """
    after = credited_fen + amount_fen
    deposit = max(0, after - invoice_total_fen) - max(0, credited_fen - invoice_total_fen)
    if after == invoice_gross_fen:
        tax = invoice_tax_fen - credited_tax_fen
    else:
        tax = round_fen(Decimal(amount_fen) * rate_bp / (10_000 + rate_bp))
    return CreditSplit(tax_fen=min(max(tax, 0), amount_fen), deposit_fen=deposit)


def allocate_oldest_first(remainders: list[tuple[int, int]], amount_fen: int) -> list[tuple[int, int]]:
    """(credit id, fen) pairs taking ``amount_fen`` from the credits' remainders in the order given.

    Raises ValueError if the remainders do not cover the amount (callers check the balance first).
    """
    taken: list[tuple[int, int]] = []
    left = amount_fen
    for credit_id, remainder in remainders:
        if left == 0:
            break
        part = min(remainder, left)
        if part > 0:
            taken.append((credit_id, part))
            left -= part
    if left:
        raise ValueError("credit remainders do not cover the amount")
    return taken


# --- the client statement -----------------------------------------------------------------------

# Order of entries on one day: debits before the credits that settle them.
ENTRY_ORDER = {"invoice": 0, "refund": 1, "payment": 2, "prepayment": 3, "credit_note": 4}


@dataclass(frozen=True)
class Entry:
    """One movement on the client's account. ``debit_fen``: the client owes more (an invoice, a refund
    paid to the client); ``credit_fen``: it owes less (a payment, a credit note)."""

    on: date
    kind: str  # invoice, payment, prepayment (a bank transfer's excess), credit_note, refund
    reference: str
    description: str
    debit_fen: int = 0
    credit_fen: int = 0
    seq: int = 0


@dataclass(frozen=True)
class StatementLine:
    entry: Entry
    balance_fen: int  # running balance after the entry (positive: the client owes)


@dataclass
class Statement:
    start: date
    end: date
    opening_fen: int
    lines: list[StatementLine] = field(default_factory=list)
    debits_fen: int = 0
    credits_fen: int = 0

    @property
    def closing_fen(self) -> int:
        """Opening + debits − credits: what the client owes at the end (negative: credit in its favour)."""
        return self.opening_fen + self.debits_fen - self.credits_fen


def build_statement(entries: list[Entry], start: date, end: date) -> Statement:
    """Opening balance (every entry before ``start``), the entries of [start, end] in date order with a
    running balance, their totals; entries after ``end`` are left out."""
    ordered = sorted(entries, key=lambda e: (e.on, ENTRY_ORDER.get(e.kind, 9), e.seq))
    opening = sum(e.debit_fen - e.credit_fen for e in ordered if e.on < start)
    statement = Statement(start=start, end=end, opening_fen=opening)
    running = opening
    for entry in ordered:
        if start <= entry.on <= end:
            running += entry.debit_fen - entry.credit_fen
            statement.debits_fen += entry.debit_fen
            statement.credits_fen += entry.credit_fen
            statement.lines.append(StatementLine(entry, running))
    return statement
