"""Billing runs: every billable contract's draft for a period, each committed on its own.

``bill_contract`` is one contract's step (create or refresh its invoice, issue it when asked); the
CLI's ``run_billing`` loops over it in the process, and the ``billing.run`` job (``ops.billing.jobs``)
runs it once per contract in the queue's consumers. Both are idempotent: a step done again finds
the contract's invoice (an issued one is left as it is) instead of adding one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from ops.billing import engine
from ops.billing.models import Invoice
from ops.billing.services.base import BILLABLE_STATES, BillingServiceError
from ops.billing.services.drafts import refresh_locked
from ops.billing.services.issuing import issue_invoice
from ops.contracts.models import Contract, ContractKpi
from ops.extensions import db
from ops.transactions import is_retryable, retrying

MSG_CONFLICT = "与其他出账任务冲突，请稍后重新出账。"


@dataclass
class RunSummary:
    run_period: str
    contracts: int = 0
    created: int = 0
    refreshed: int = 0
    unchanged: int = 0  # issued, paid or void invoices left as they are
    not_due: int = 0  # contracts with nothing to bill in this run
    issued: int = 0
    total_fen: int = 0
    errors: list[tuple[str, str]] = field(default_factory=list)  # (contract number, message)
    invoice_ids: list[int] = field(default_factory=list)


@dataclass
class ContractResult:
    """What one contract's step did: ``outcome`` is created | refreshed | unchanged | not_due | error."""

    contract_number: str
    outcome: str
    invoice_id: int | None = None
    total_fen: int = 0
    issued: bool = False
    error: str = ""


def billable_contracts(client_id: int | None = None) -> list[Contract]:
    stmt = (
        sa.select(Contract)
        .options(selectinload(Contract.kpis).selectinload(ContractKpi.bands), selectinload(Contract.client))
        .where(Contract.status.in_(BILLABLE_STATES))
        .order_by(Contract.id)
    )
    if client_id is not None:
        stmt = stmt.where(Contract.client_id == client_id)
    return list(db.session.scalars(stmt))


def billable_contract_ids(client_id: int | None = None) -> list[int]:
    stmt = sa.select(Contract.id).where(Contract.status.in_(BILLABLE_STATES)).order_by(Contract.id)
    if client_id is not None:
        stmt = stmt.where(Contract.client_id == client_id)
    return list(db.session.scalars(stmt))


def bill_contract(contract_id: int, run_period: str, *, issue: bool = False, by=None) -> ContractResult:
    """One contract's step of the run for ``run_period``: create or refresh its invoice for the
    period this run bills, then issue it when ``issue`` and it is a draft. Commits its own work.

    Idempotent: done again, it refreshes the draft (or leaves the issued invoice) and never issues
    twice. A contract's bad terms or a lost lock race come back as ``outcome == "error"`` with the
    message (its step rolled back), so that one contract never stops the run.
    """
    # Three columns, not the contract: refresh_locked re-reads it under its lock (with its KPIs).
    contract = db.session.execute(
        sa.select(Contract.number, Contract.billing_cycle, Contract.billing_timing).where(
            Contract.id == contract_id
        )
    ).one_or_none()
    if contract is None:
        return ContractResult(f"#{contract_id}", "error", error="合同不存在。")
    number = contract.number or f"#{contract_id}"
    try:
        period_code = engine.invoice_period_for_run(
            run_period, contract.billing_cycle, contract.billing_timing
        )
        if period_code is None:
            return ContractResult(number, "not_due")
        # Two runs at once (the schedule and the runs page) take each contract in turn: the second
        # waits for the lock, then finds the first one's invoice instead of adding one. A deadlock or
        # serialization failure rolls back this contract's step and retries it.
        invoice, outcome = retrying(partial(refresh_locked, contract_id, period_code, by))
        if outcome == "not_due" or invoice is None:
            return ContractResult(number, "not_due")
        result = ContractResult(number, outcome, invoice_id=invoice.id, total_fen=invoice.total_fen)
        if issue and invoice.status == "draft":
            retrying(partial(issue_invoice, invoice.id, by=by))  # issuing never changes the total
            result.issued = True
        return result
    except (engine.BillingError, BillingServiceError, ValueError, KeyError, TypeError) as exc:
        db.session.rollback()
        return ContractResult(number, "error", error=str(exc))
    except sa.exc.DBAPIError as exc:
        if not is_retryable(exc):
            raise
        # Still losing the lock race after the retries: listed, and the next run picks it up.
        db.session.rollback()
        return ContractResult(number, "error", error=MSG_CONFLICT)


def add_result(summary: RunSummary, result: ContractResult) -> None:
    summary.contracts += 1
    if result.outcome == "error":
        summary.errors.append((result.contract_number, result.error))
        return
    setattr(summary, result.outcome, getattr(summary, result.outcome) + 1)
    if result.invoice_id is not None:
        summary.invoice_ids.append(result.invoice_id)
        summary.total_fen += result.total_fen
    summary.issued += result.issued


def run_billing(
    run_period: str,
    *,
    client_id: int | None = None,
    issue: bool = False,
    by=None,
    progress: Callable[[int, int, ContractResult], None] | None = None,
) -> RunSummary:
    """Bill every contract for the period that has just ended (``2026-10`` or ``2026-Q3``), in this
    process (the CLI; the pages start the ``billing.run`` job instead).

    Commits after each contract. Running again refreshes drafts and never touches issued invoices.
    """
    engine.parse_period(run_period)  # refuse a bad period before doing anything
    summary = RunSummary(run_period=run_period)
    # Ids, not the loaded contracts: every commit expires what the session holds, so a thousand
    # contracts kept for the whole run made each commit (three a contract) cost more as the run went on.
    contract_ids = billable_contract_ids(client_id)
    db.session.commit()
    for index, contract_id in enumerate(contract_ids, 1):
        result = bill_contract(contract_id, run_period, issue=issue, by=by)
        add_result(summary, result)
        if progress is not None:
            progress(index, len(contract_ids), result)
    return summary


def run_outcomes(run_period: str, contract_ids: Iterable[int], since: datetime) -> RunSummary:
    """What a run that started at ``since`` left for these contracts, read back from the invoices
    (so a run done in several goes — a consumer restarted part-way — still adds up once): each
    contract's live invoice of the period it bills is counted as created (after ``since``),
    unchanged (issued before ``since``) or refreshed, and as issued when issued after ``since``."""
    summary = RunSummary(run_period=run_period)
    ids = list(contract_ids)
    contracts = db.session.execute(
        sa.select(Contract.id, Contract.billing_cycle, Contract.billing_timing).where(Contract.id.in_(ids))
    ).all()
    wanted: dict[tuple[int, str], int] = {}
    for contract in contracts:
        summary.contracts += 1
        try:
            code = engine.invoice_period_for_run(run_period, contract.billing_cycle, contract.billing_timing)
        except (engine.BillingError, ValueError, KeyError, TypeError):
            code = None
        if code is None:
            summary.not_due += 1
        else:
            wanted[(contract.id, code)] = contract.id
    if not wanted:
        return summary
    invoices = db.session.scalars(
        sa.select(Invoice)
        .where(
            Invoice.contract_id.in_({contract_id for contract_id, _ in wanted}),
            Invoice.period.in_({code for _, code in wanted}),
            Invoice.status != "void",
        )
        .order_by(Invoice.id)
    )
    found = set()
    for invoice in invoices:
        key = (invoice.contract_id, invoice.period)
        if key not in wanted or key in found:
            continue
        found.add(key)
        summary.invoice_ids.append(invoice.id)
        summary.total_fen += invoice.total_fen
        issued_at = invoice.issued_at.replace(tzinfo=None) if invoice.issued_at else None
        created_at = invoice.created_at.replace(tzinfo=None)
        start = since.replace(tzinfo=None)
        if issued_at is not None and issued_at < start:
            summary.unchanged += 1
        elif created_at >= start:
            summary.created += 1
        else:
            summary.refreshed += 1
        if issued_at is not None and issued_at >= start:
            summary.issued += 1
    summary.not_due += len(wanted) - len(found)  # nothing billed (no service in the period)
    return summary
