"""The signed copy: the scanned PDF both parties stamped."""

from __future__ import annotations

from ops.audit.services import record
from ops.contracts.models import Contract
from ops.contracts.services.common import ContractError
from ops.timeutil import utcnow
from ops.uploads import remove_after_commit, store_upload


def upload_signed_copy(contract: Contract, file_storage, by=None) -> None:
    """Store the signed PDF (checked by content, size-limited, random name). Refused uploads store nothing."""
    if contract.status not in ("pending_signature", "active"):
        raise ContractError("只有待签署或生效中的合同可以上传签署件。")
    try:
        stored = store_upload(file_storage, {"pdf"})
    except ValueError as exc:
        raise ContractError(str(exc)) from exc
    previous = contract.signed_file
    contract.signed_file = stored.stored_name
    contract.signed_original_name = stored.original_name
    contract.signed_size = stored.size
    contract.signed_sha256 = stored.sha256
    contract.signed_uploaded_at = utcnow()
    contract.signed_uploaded_by_id = getattr(by, "id", None)
    record(
        "contract.signed_copy_uploaded",
        contract,
        summary=stored.original_name,
        before={"sha256": None} if previous is None else {"replaced": True},
        after={"size": stored.size, "sha256": stored.sha256},
    )
    if previous:
        remove_after_commit(previous)


def signed_download_name(contract: Contract) -> str:
    """The signed copy's download name, on the staff pages and in the portal."""
    return f"{contract.number or 'contract'}-签署件.pdf"
