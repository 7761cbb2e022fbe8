"""The deposit (定金): received, then applied, refunded or forfeited — each under the contract's lock."""

from __future__ import annotations

from datetime import date

from ops.audit.services import record
from ops.contracts.models import Contract
from ops.contracts.services.common import ContractError, lock_contract
from ops.contracts.states import check_deposit_transition
from ops.idempotency import claim
from ops.money import format_fen
from ops.timeutil import today


def receive_deposit(
    contract: Contract,
    amount_fen: int,
    received_on: date,
    reference: str,
    by=None,
    *,
    idempotency_key: str | None = None,
) -> None:
    """due -> received, checked under the contract's lock (a second receipt at once is refused)."""
    contract = lock_contract(contract.id)
    claim(idempotency_key, "contract.deposit_received", object_id=contract.id, by=by)
    check_deposit_transition(contract.deposit_status, "received")
    if amount_fen != contract.deposit_fen:
        raise ContractError(f"到账金额与合同约定的定金不一致（约定 {format_fen(contract.deposit_fen)}）。")
    if received_on > today():
        raise ContractError("到账日期不能晚于今天。")
    contract.deposit_status = "received"
    contract.deposit_received_fen = amount_fen
    contract.deposit_received_on = received_on
    contract.deposit_reference = reference.strip()
    record(
        "contract.deposit_received",
        contract,
        summary=reference.strip()[:300],
        before={"deposit_status": "due"},
        after={"deposit_status": "received", "amount_fen": amount_fen, "received_on": received_on},
    )


def settle_deposit(
    contract: Contract,
    outcome: str,
    settled_on: date,
    reference: str,
    by=None,
    *,
    idempotency_key: str | None = None,
) -> None:
    """received -> applied | refunded | forfeited, with the date and a reference or reason."""
    contract = lock_contract(contract.id)
    claim(idempotency_key, "contract.deposit_settled", object_id=contract.id, by=by)
    check_deposit_transition(contract.deposit_status, outcome)
    if contract.deposit_received_on and settled_on < contract.deposit_received_on:
        raise ContractError("结清日期不能早于定金到账日期。")
    if outcome == "forfeited" and not reference.strip():
        raise ContractError("没收定金需要写明原因（如客户违约）。")
    before = contract.deposit_status
    contract.deposit_status = outcome
    contract.deposit_settled_on = settled_on
    contract.deposit_settled_reference = reference.strip()
    record(
        f"contract.deposit_{outcome}",
        contract,
        summary=reference.strip()[:300],
        before={"deposit_status": before},
        after={"deposit_status": outcome, "settled_on": settled_on},
    )


# --- signed copy ----------------------------------------------------------------------------
