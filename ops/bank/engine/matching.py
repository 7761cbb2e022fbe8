"""Matching an incoming bank transfer to open invoices: the rules, in order, as plain functions.

Pure: plain values in, plain values out (no Flask, no database); ``ops.bank.services`` records what
a match says. The rules (docs/bank.md):

1. Invoice numbers in the reference (摘要): INV-2026-00012, also lower case, without dashes,
   full-width, "INV2026 00012". Several numbers: one transfer pays them all, oldest first. Less than
   their balances: a partial payment; more: the excess is the client's credit (预收款).
2. Else the payer is a known client (a payer account learned from earlier matches, or the payer name
   equal to the client's name or legal name once normalised) and the amount equals exactly one of its
   open invoices' balance, or the sum of all of them (one transfer for every open invoice).
3. Else nothing is recorded: suggestions with a reason go to the unmatched queue.

Never ambiguous: two candidates equally good (two invoices of the same balance, two clients of the
same name, invoice numbers of two clients) → unmatched, with suggestions.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

RULE_INVOICE_NUMBER = "invoice_number"
RULE_ACCOUNT_AMOUNT = "account_amount"
RULE_NAME_AMOUNT = "name_amount"
RULE_MANUAL = "manual"
RULES = (RULE_INVOICE_NUMBER, RULE_ACCOUNT_AMOUNT, RULE_NAME_AMOUNT, RULE_MANUAL)

# Why a suggestion is made (the unmatched queue shows these).
REASON_NUMBERS_OF_CLIENTS = "numbers_of_clients"  # invoice numbers of different clients
REASON_SAME_AMOUNT = "same_amount"  # an open invoice of this exact balance
REASON_SAME_AMOUNT_TWICE = "same_amount_twice"  # the payer's client has several of that balance
REASON_SIMILAR_NAME = "similar_name"  # the payer's name resembles the client's
REASON_PARTIAL = "partial_amount"  # the payer's client; less than an open invoice's balance
REASON_OVER = "over_amount"  # the payer's client; more than its open invoices together
REASON_KNOWN_PAYER = "known_payer"  # the payer's client; no amount fits
REASONS = (
    REASON_NUMBERS_OF_CLIENTS,
    REASON_SAME_AMOUNT,
    REASON_SAME_AMOUNT_TWICE,
    REASON_SIMILAR_NAME,
    REASON_PARTIAL,
    REASON_OVER,
    REASON_KNOWN_PAYER,
)
MAX_SUGGESTIONS = 5
SIMILAR_NAME_RATIO = 0.6

_NUMBER = re.compile(r"INV[\s_\-/.]*(\d{4})[\s_\-/.]*(\d{5})(?!\d)")
_LEGAL_SUFFIXES = ("股份有限公司", "有限责任公司", "有限公司", "公司")
_PUNCTUATION = re.compile(r"[\s()\[\]{}·,.，。、:：;；'\"“”‘’\-_/]+")


@dataclass(frozen=True)
class Transfer:
    amount_fen: int  # > 0
    payer_name: str
    payer_account: str
    reference: str


@dataclass(frozen=True)
class OpenInvoice:
    id: int
    number: str
    client_id: int
    balance_fen: int  # > 0
    issued_on: date


@dataclass(frozen=True)
class Payer:
    """A client as a payer: its names (name, legal name) and the accounts it has paid from."""

    client_id: int
    names: tuple[str, ...]
    accounts: tuple[str, ...] = ()


@dataclass(frozen=True)
class Part:
    invoice_id: int
    amount_fen: int


@dataclass(frozen=True)
class Suggestion:
    client_id: int
    invoice_id: int | None
    reason: str


@dataclass(frozen=True)
class Match:
    """What to record for a transfer: ``parts`` (invoice, fen) and ``credit_fen`` (the excess, the
    client's credit); ``rule`` None means unmatched (``suggestions`` say what finance may look at)."""

    rule: str | None
    client_id: int | None = None
    parts: tuple[Part, ...] = ()
    credit_fen: int = 0
    suggestions: tuple[Suggestion, ...] = field(default_factory=tuple)

    @property
    def matched(self) -> bool:
        return self.rule is not None


def invoice_numbers(reference: str) -> list[str]:
    """Invoice numbers (INV-YYYY-NNNNN) written anywhere in a reference, in order, each once."""
    text = unicodedata.normalize("NFKC", reference).upper()
    found: list[str] = []
    for year, serial in _NUMBER.findall(text):
        number = f"INV-{year}-{serial}"
        if number not in found:
            found.append(number)
    return found


def normalise_name(name: str) -> str:
    """A company name compared without spaces, punctuation, width or the 有限公司 kind of suffix."""
    text = _PUNCTUATION.sub("", unicodedata.normalize("NFKC", name)).upper()
    for suffix in _LEGAL_SUFFIXES:
        if text.endswith(suffix) and len(text) > len(suffix):
            return text[: -len(suffix)]
    return text


def normalise_account(account: str) -> str:
    return re.sub(r"[\s\-]", "", unicodedata.normalize("NFKC", account))


def oldest_first(invoices: Iterable[OpenInvoice]) -> list[OpenInvoice]:
    return sorted(invoices, key=lambda i: (i.issued_on, i.number, i.id))


def spread(amount_fen: int, invoices: list[OpenInvoice]) -> tuple[tuple[Part, ...], int]:
    """``amount_fen`` over the invoices in the order given, none beyond its balance; returns the parts
    and what is left (the excess)."""
    parts: list[Part] = []
    left = amount_fen
    for invoice in invoices:
        if left == 0:
            break
        take = min(left, invoice.balance_fen)
        if take > 0:
            parts.append(Part(invoice.id, take))
            left -= take
    return tuple(parts), left


def _by_number(transfer: Transfer, invoices: list[OpenInvoice]) -> Match | None:
    numbers = invoice_numbers(transfer.reference)
    if not numbers:
        return None
    open_by_number = {i.number: i for i in invoices}
    named = [open_by_number[n] for n in numbers if n in open_by_number]
    if not named:
        return Match(rule=None)  # a settled or unknown invoice: finance decides (rule 3's suggestions)
    clients = {i.client_id for i in named}
    if len(clients) > 1:
        return Match(
            rule=None,
            suggestions=tuple(Suggestion(i.client_id, i.id, REASON_NUMBERS_OF_CLIENTS) for i in named),
        )
    parts, excess = spread(transfer.amount_fen, oldest_first(named))
    return Match(rule=RULE_INVOICE_NUMBER, client_id=named[0].client_id, parts=parts, credit_fen=excess)


def identify_payer(transfer: Transfer, payers: list[Payer]) -> tuple[int | None, str | None]:
    """The client a transfer comes from and how it is known (account, then name); (None, None) when
    unknown or ambiguous (an account or a name of two clients)."""
    account = normalise_account(transfer.payer_account)
    if account:
        by_account = {p.client_id for p in payers if account in {normalise_account(a) for a in p.accounts}}
        if len(by_account) == 1:
            return by_account.pop(), RULE_ACCOUNT_AMOUNT
        if len(by_account) > 1:
            return None, None
    name = normalise_name(transfer.payer_name)
    if name:
        by_name = {p.client_id for p in payers if name in {normalise_name(n) for n in p.names if n}}
        if len(by_name) == 1:
            return by_name.pop(), RULE_NAME_AMOUNT
    return None, None


def _by_amount(transfer: Transfer, client_id: int, rule: str, invoices: list[OpenInvoice]) -> Match:
    own = oldest_first(i for i in invoices if i.client_id == client_id)
    same = [i for i in own if i.balance_fen == transfer.amount_fen]
    if len(same) == 1:
        return Match(rule=rule, client_id=client_id, parts=(Part(same[0].id, transfer.amount_fen),))
    if len(same) > 1:
        return Match(
            rule=None, suggestions=tuple(Suggestion(client_id, i.id, REASON_SAME_AMOUNT_TWICE) for i in same)
        )
    if len(own) > 1 and sum(i.balance_fen for i in own) == transfer.amount_fen:
        return Match(rule=rule, client_id=client_id, parts=tuple(Part(i.id, i.balance_fen) for i in own))
    if not own:
        return Match(rule=None, suggestions=(Suggestion(client_id, None, REASON_KNOWN_PAYER),))
    if transfer.amount_fen > sum(i.balance_fen for i in own):
        return Match(rule=None, suggestions=(Suggestion(client_id, own[0].id, REASON_OVER),))
    larger = [i for i in own if i.balance_fen > transfer.amount_fen]
    if larger:
        return Match(rule=None, suggestions=(Suggestion(client_id, larger[0].id, REASON_PARTIAL),))
    return Match(rule=None, suggestions=(Suggestion(client_id, own[0].id, REASON_KNOWN_PAYER),))


def _payer_suggestions(transfer: Transfer, invoices: list[OpenInvoice]) -> tuple[Suggestion, ...]:
    """Rule 3: open invoices of exactly this amount (any client)."""
    found: list[Suggestion] = []
    for invoice in oldest_first(invoices):
        if invoice.balance_fen == transfer.amount_fen:
            found.append(Suggestion(invoice.client_id, invoice.id, REASON_SAME_AMOUNT))
    return tuple(found[:MAX_SUGGESTIONS])


def _similar_names(transfer: Transfer, payers: list[Payer], invoices: list[OpenInvoice]) -> list[Suggestion]:
    name = normalise_name(transfer.payer_name)
    if len(name) < 2:
        return []
    scored: list[tuple[float, int]] = []
    for payer in payers:
        best = 0.0
        for other in (normalise_name(n) for n in payer.names if n):
            if not other:
                continue
            ratio = (
                1.0
                if (name in other or other in name)
                else difflib.SequenceMatcher(None, name, other).ratio()
            )
            best = max(best, ratio)
        if best >= SIMILAR_NAME_RATIO:
            scored.append((best, payer.client_id))
    oldest: dict[int, int] = {}
    for invoice in oldest_first(invoices):
        oldest.setdefault(invoice.client_id, invoice.id)
    scored.sort(key=lambda s: (-s[0], s[1]))
    return [Suggestion(client_id, oldest.get(client_id), REASON_SIMILAR_NAME) for _, client_id in scored]


def match_transfer(transfer: Transfer, invoices: list[OpenInvoice], payers: list[Payer]) -> Match:
    """The match of one incoming transfer against every client's open invoices (rules 1–3)."""
    by_number = _by_number(transfer, invoices)
    if by_number is not None and by_number.matched:
        return by_number
    suggestions = list(by_number.suggestions) if by_number is not None else []
    if by_number is None:
        client_id, rule = identify_payer(transfer, payers)
        if client_id is not None and rule is not None:
            by_amount = _by_amount(transfer, client_id, rule, invoices)
            if by_amount.matched:
                return by_amount
            suggestions.extend(by_amount.suggestions)
    for suggestion in (*_payer_suggestions(transfer, invoices), *_similar_names(transfer, payers, invoices)):
        if not any(
            s.client_id == suggestion.client_id and s.invoice_id == suggestion.invoice_id for s in suggestions
        ):
            suggestions.append(suggestion)
    return Match(rule=None, suggestions=tuple(suggestions[:MAX_SUGGESTIONS]))


def apply_to_balances(match: Match, invoices: list[OpenInvoice]) -> list[OpenInvoice]:
    """The open invoices after ``match`` is recorded (for matching the next transfer of a file)."""
    paid = {p.invoice_id: p.amount_fen for p in match.parts}
    left = []
    for invoice in invoices:
        balance = invoice.balance_fen - paid.get(invoice.id, 0)
        if balance > 0:
            left.append(
                OpenInvoice(invoice.id, invoice.number, invoice.client_id, balance, invoice.issued_on)
            )
    return left
