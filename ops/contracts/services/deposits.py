"""The deposit (定金): received, then applied, refunded or forfeited — each under the contract's lock."""

from __future__ import annotations

from datetime import date

from ops import i18n
from ops.audit.services import record
from ops.contracts.models import Contract
from ops.contracts.services.common import ContractError, lock_contract
from ops.contracts.states import check_deposit_transition
from ops.events.services import emit
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
    """A receipt of the deposit, whole or in part: due/partial -> partial (less than the agreed sum
    so far) or received (the sum reached). Refuses more than what is still owed. Checked under the
    contract's lock, so two receipts at once cannot over-collect."""
    contract = lock_contract(contract.id)
    claim(idempotency_key, "contract.deposit_received", object_id=contract.id, by=by)
    if contract.deposit_status not in ("due", "partial"):
        check_deposit_transition(contract.deposit_status, "received")  # says why not
    so_far = (contract.deposit_received_fen or 0) if contract.deposit_status == "partial" else 0
    owed = contract.deposit_fen - so_far
    if amount_fen <= 0:
        raise ContractError("到账金额必须大于 0。", "amount")
    if amount_fen > owed:
        raise ContractError(
            f"到账金额超过尚未收取的定金（约定 {format_fen(contract.deposit_fen)}，"
            f"已收 {format_fen(so_far)}，尚欠 {format_fen(owed)}）。",
            "amount",
        )
    if received_on > today():
        raise ContractError("到账日期不能晚于今天。", "received_on")
    if not reference.strip():
        raise ContractError("请填写流水号或凭证号。", "reference")
    before = {"deposit_status": contract.deposit_status, "received_fen": so_far}
    total = so_far + amount_fen
    state = "received" if total == contract.deposit_fen else "partial"
    check_deposit_transition(contract.deposit_status, state)
    contract.deposit_status = state
    contract.deposit_received_fen = total
    contract.deposit_received_on = received_on  # the latest receipt (agents go live days after it)
    references = [r for r in (contract.deposit_reference, reference.strip()) if r]
    contract.deposit_reference = "；".join(references)[:100]
    record(
        "contract.deposit_received",
        contract,
        summary=reference.strip()[:300],
        before=before,
        after={
            "deposit_status": state,
            "amount_fen": amount_fen,
            "received_fen": total,
            "received_on": received_on,
        },
        actor=by,
    )
    emit(
        "deposit.received",
        contract,
        client_id=contract.client_id,
        contract_id=contract.id,
        amount_fen=amount_fen,
    )


def waive_deposit_rest(contract: Contract, reason: str, by=None) -> None:
    """A manager accepts a partly paid deposit as complete (partial -> received), with a reason.

    The waived rest is kept (``deposit_waived_fen``); what was received is what later offsets an
    invoice or is refunded."""
    contract = lock_contract(contract.id)
    if by is None or by.role not in ("manager", "admin"):
        raise ContractError("只有经理或管理员可以免收定金余额。")
    if contract.deposit_status != "partial":
        raise ContractError("只有部分到账的定金可以免收余额。")
    if not (reason or "").strip():
        raise ContractError("请填写免收原因。", "reason")
    check_deposit_transition("partial", "received")
    waived = contract.deposit_fen - (contract.deposit_received_fen or 0)
    contract.deposit_status = "received"
    contract.deposit_waived_fen = waived
    record(
        "contract.deposit_rest_waived",
        contract,
        summary=reason.strip()[:300],
        before={"deposit_status": "partial"},
        after={
            "deposit_status": "received",
            "waived_fen": waived,
            "received_fen": contract.deposit_received_fen,
        },
        actor=by,
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
    """received -> applied | refunded | forfeited, with the date and a reference or reason.

    A deposit partly applied to an invoice can only have its remainder refunded (-> refunded; the
    applied part stays in ``deposit_applied_fen``).
    """
    contract = lock_contract(contract.id)
    claim(idempotency_key, "contract.deposit_settled", object_id=contract.id, by=by)
    check_deposit_transition(contract.deposit_status, outcome)
    if contract.deposit_received_on and settled_on < contract.deposit_received_on:
        raise ContractError("结清日期不能早于定金到账日期。")
    if outcome == "forfeited" and not reference.strip():
        raise ContractError("没收定金需要写明原因（如客户违约）。")
    before = contract.deposit_status
    after: dict = {"deposit_status": outcome, "settled_on": settled_on}
    if before == "partly_applied":
        after["refunded_fen"] = deposit_remainder_fen(contract)
        reference = f"退还定金余额 {format_fen(deposit_remainder_fen(contract))}：{reference.strip()}"
    contract.deposit_status = outcome
    contract.deposit_settled_on = settled_on
    contract.deposit_settled_reference = reference.strip()[:200]
    record(
        f"contract.deposit_{outcome}",
        contract,
        summary=reference.strip()[:300],
        before={"deposit_status": before},
        after=after,
        actor=by,
    )


def deposit_remainder_fen(contract: Contract) -> int:
    """What is left of a received deposit once its offsets on invoices are taken off."""
    received = contract.deposit_received_fen or contract.deposit_fen
    return max(0, received - contract.deposit_applied_fen)


def apply_deposit_offset(contract: Contract, amount_fen: int, invoice_number: str, on: date, by=None) -> None:
    """received -> applied (the whole deposit offset) or partly_applied (a remainder is owed back).

    Called by ``issue_invoice`` under the contract's lock, with the invoice's offset (positive).
    """
    if contract.deposit_status != "received" or amount_fen <= 0:
        return
    contract.deposit_applied_fen = amount_fen
    outcome = "applied" if deposit_remainder_fen(contract) == 0 else "partly_applied"
    check_deposit_transition("received", outcome)
    contract.deposit_status = outcome
    contract.deposit_settled_on = on
    contract.deposit_settled_reference = f"抵扣账单 {invoice_number}"
    record(
        "contract.deposit_applied",
        contract,
        summary=invoice_number,
        before={"deposit_status": "received"},
        after={
            "deposit_status": outcome,
            "applied_fen": amount_fen,
            "remainder_fen": deposit_remainder_fen(contract),
        },
        actor=by,
    )


def release_deposit_offset(contract: Contract, amount_fen: int, invoice_number: str, by=None) -> None:
    """The invoice that offset the deposit is voided: the deposit is received again, whole.

    Called by ``void_invoice`` under the contract's lock; a deposit already refunded or forfeited
    since is left alone.
    """
    if contract.deposit_status not in ("applied", "partly_applied") or amount_fen <= 0:
        return
    before = contract.deposit_status
    contract.deposit_applied_fen = max(0, contract.deposit_applied_fen - amount_fen)
    contract.deposit_status = "received"
    contract.deposit_settled_on = None
    contract.deposit_settled_reference = ""
    record(
        "contract.deposit_released",
        contract,
        summary=i18n._l("作废账单 %(number)s", number=invoice_number),
        before={"deposit_status": before},
        after={"deposit_status": "received", "released_fen": amount_fen},
        actor=by,
    )


# --- signed copy ----------------------------------------------------------------------------
