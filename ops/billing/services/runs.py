"""Billing runs: every billable contract's draft for a period, each committed on its own."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from ops.billing import engine
from ops.billing.services.base import BILLABLE_STATES, BillingServiceError
from ops.billing.services.drafts import refresh_locked
from ops.billing.services.issuing import issue_invoice
from ops.contracts.models import Contract, ContractKpi
from ops.extensions import db
from ops.transactions import is_retryable, retrying


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


def run_billing(
    run_period: str,
    *,
    client_id: int | None = None,
    issue: bool = False,
    by=None,
    progress: Callable[[int, int, Contract], None] | None = None,
) -> RunSummary:
    """Bill every contract for the period that has just ended (``2026-10`` or ``2026-Q3``).

    Commits after each contract. Running again refreshes drafts and never touches issued invoices.
    """
    engine.parse_period(run_period)  # refuse a bad period before doing anything
    summary = RunSummary(run_period=run_period)
    # Ids, not the loaded contracts: every commit expires what the session holds, so a thousand
    # contracts kept for the whole run made each commit (three a contract) cost more as the run went on.
    contract_ids = [contract.id for contract in billable_contracts(client_id)]
    db.session.commit()
    for index, contract_id in enumerate(contract_ids, 1):
        contract = db.session.scalar(
            sa.select(Contract)
            .options(selectinload(Contract.kpis).selectinload(ContractKpi.bands))
            .where(Contract.id == contract_id)
        )
        summary.contracts += 1
        number = contract.number or f"#{contract.id}"
        try:
            period_code = engine.invoice_period_for_run(
                run_period, contract.billing_cycle, contract.billing_timing
            )
            if period_code is None:
                summary.not_due += 1
            else:
                # Two runs at once (the schedule and the runs page) take each contract in turn: the
                # second waits for the lock, then finds the first one's invoice instead of adding one.
                # A deadlock or serialization failure rolls back this contract's step and retries it.
                invoice, outcome = retrying(partial(refresh_locked, contract_id, period_code, by))
                if outcome == "not_due":
                    summary.not_due += 1
                else:
                    setattr(summary, outcome, getattr(summary, outcome) + 1)
                    summary.invoice_ids.append(invoice.id)
                    summary.total_fen += invoice.total_fen  # issuing never changes it
                    if issue and invoice.status == "draft":
                        retrying(partial(issue_invoice, invoice.id, by=by))
                        summary.issued += 1
        except (engine.BillingError, BillingServiceError, ValueError, KeyError, TypeError) as exc:
            # One contract's bad terms must not stop the run: it is listed and the others go on.
            db.session.rollback()
            summary.errors.append((number, str(exc)))
        except sa.exc.DBAPIError as exc:
            if not is_retryable(exc):
                raise
            # Still losing the lock race after the retries: listed, and the next run picks it up.
            db.session.rollback()
            summary.errors.append((number, "与其他出账任务冲突，请稍后重新出账。"))
        if progress is not None:
            progress(index, len(contract_ids), contract)
    return summary
