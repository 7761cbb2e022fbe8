"""A deposit received in several amounts: partial, then received; a manager may waive the rest."""

from datetime import date

import sqlalchemy as sa

from ops.audit.models import AuditEntry
from ops.billing.services.drafts import contract_input
from ops.contracts import services
from ops.contracts.models import Contract
from tests.contracts.helpers import minimal_pdf


def _pending(db, contract):
    import io

    from werkzeug.datastructures import FileStorage

    services.submit_for_signature(contract)
    services.upload_signed_copy(contract, FileStorage(io.BytesIO(minimal_pdf()), filename="signed.pdf"))
    db.session.commit()
    return contract


def _receive(client, contract, amount: str, reference: str = "BANK-1", on: str = "2026-11-20"):
    return client.post(
        f"/contracts/{contract.id}/deposit/receive",
        data={"amount": amount, "received_on": on, "reference": reference},
        follow_redirects=True,
    )


def _reload(db, contract) -> Contract:
    db.session.expire_all()
    return db.session.get(Contract, contract.id)


def test_two_receipts_make_the_deposit_whole(client, login_as, db, contract):
    # The fixture's deposit is ¥21,000.00: ¥8,000.00 now, ¥13,000.00 later.
    _pending(db, contract)
    login_as("finance")
    page = _receive(client, contract, "8000", "BANK-1").get_data(as_text=True)
    c = _reload(db, contract)
    assert (c.deposit_status, c.deposit_received_fen) == ("partial", 800_000)
    assert "尚欠 ¥13,000.00" in page

    # Not active while partial: the activation refuses and says what to do.
    client.post("/logout")
    login_as("manager")
    refused = client.post(
        f"/contracts/{contract.id}/activate", data={"signed_on": "2026-11-21"}, follow_redirects=True
    )
    assert "定金尚未全额到账" in refused.get_data(as_text=True)
    assert _reload(db, contract).status == "pending_signature"

    client.post("/logout")
    login_as("finance")
    _receive(client, contract, "13000", "BANK-2", on="2026-11-25")
    c = _reload(db, contract)
    assert (c.deposit_status, c.deposit_received_fen) == ("received", 2_100_000)
    assert c.deposit_received_on == date(2026, 11, 25) and c.deposit_reference == "BANK-1；BANK-2"
    amounts = [
        e.after["amount_fen"]
        for e in db.session.scalars(
            sa.select(AuditEntry)
            .where(AuditEntry.action == "contract.deposit_received")
            .order_by(AuditEntry.id)
        )
    ]
    assert amounts == [800_000, 1_300_000]


def test_more_than_the_rest_is_refused_and_changes_nothing(client, login_as, db, contract):
    _pending(db, contract)
    login_as("finance")
    _receive(client, contract, "20000")
    page = _receive(client, contract, "1000.01", "BANK-2").get_data(as_text=True)
    # ¥21,000.00 agreed − ¥20,000.00 received = ¥1,000.00 still owed.
    assert "到账金额超过尚未收取的定金" in page and "尚欠 ¥1,000.00" in page
    c = _reload(db, contract)
    assert (c.deposit_status, c.deposit_received_fen) == ("partial", 2_000_000)


def test_a_manager_waives_the_rest_with_a_reason_and_the_received_sum_is_the_deposit(
    client, login_as, db, contract
):
    _pending(db, contract)
    login_as("finance")
    _receive(client, contract, "20000")
    # Finance and sales may not waive; the route is for managers and admins.
    assert client.post(f"/contracts/{contract.id}/deposit/waive", data={"reason": "x"}).status_code == 403
    client.post("/logout")
    login_as("manager")
    page = client.post(f"/contracts/{contract.id}/deposit/waive", data={"reason": " "}, follow_redirects=True)
    assert _reload(db, contract).deposit_status == "partial"
    assert "请填写" in page.get_data(as_text=True)
    client.post(f"/contracts/{contract.id}/deposit/waive", data={"reason": "老客户，余款免收"})
    c = _reload(db, contract)
    assert (c.deposit_status, c.deposit_received_fen, c.deposit_waived_fen) == (
        "received",
        2_000_000,
        100_000,
    )
    entry = db.session.scalar(
        sa.select(AuditEntry).where(AuditEntry.action == "contract.deposit_rest_waived")
    )
    assert entry.summary == "老客户，余款免收" and entry.after["waived_fen"] == 100_000
    # Billing offsets what was received, not what was agreed.
    assert contract_input(c).deposit_fen == 2_000_000
    client.post(f"/contracts/{contract.id}/activate", data={"signed_on": "2026-11-21"})
    assert _reload(db, contract).status == "active"


def test_other_roles_cannot_record_a_receipt(client, login_as, db, contract):
    _pending(db, contract)
    for role in ("sales", "trainer"):
        client.post("/logout")
        login_as(role)
        assert _receive(client, contract, "1000").status_code == 403
    assert _reload(db, contract).deposit_status == "due"
