"""What every contract service shares: the error they raise, the row lock, the draft check."""

from __future__ import annotations

from ops.contracts.models import Contract
from ops.errors import ServiceError
from ops.transactions import lock_row


class ContractError(ServiceError):
    """A refused contract action; the message (or messages) are for the user."""

    def __init__(self, message: str | list[str], field: str | None = None):
        self.messages = [message] if isinstance(message, str) else list(message)
        super().__init__("；".join(self.messages), field=field)


def lock_contract(contract_id: int, *options) -> Contract:
    """The contract, re-read and locked for the rest of the transaction (SELECT … FOR UPDATE on
    PostgreSQL; on SQLite the write lock, BEGIN IMMEDIATE). The session's copy is refreshed.
    ``options``: loader options for what the caller reads next (e.g. its KPIs)."""
    contract = lock_row(Contract, contract_id, *options)
    if contract is None:
        raise ContractError("合同不存在。")
    return contract


def require_draft(contract: Contract) -> None:
    if contract.status != "draft":
        raise ContractError("只有草稿状态的合同可以修改；已提交签署或生效的合同条款已冻结。")
