"""Contracts and deposits against gunicorn (several workers): one contract per quote, one deposit receipt."""

import sqlalchemy as sa

from ops.audit.models import AuditEntry
from ops.contracts.models import Contract
from ops.contracts.services import submit_for_signature
from ops.money import to_yuan
from tests.contracts.helpers import make_accepted_quote, make_contract
from tests.live import browsers, parallel


def _audits(db, action: str, object_id: int) -> int:
    return db.session.scalar(
        sa.select(sa.func.count())
        .select_from(AuditEntry)
        .where(AuditEntry.action == action, AuditEntry.object_id == object_id)
    )


def test_parallel_contract_from_quote_makes_exactly_one_contract(db, make_user, live_server):
    quote_id = make_accepted_quote(db).id
    clients, tokens = browsers(live_server, make_user, "manager", "mgr", 6, "/contracts/")

    def create(i):
        return clients[i].post_form(f"/contracts/from-quote/{quote_id}", {"csrf_token": tokens[i]}).status

    statuses = parallel(6, create)
    assert statuses == [302] * 6, statuses  # one made it; the others were told, not given a 500
    contracts = db.session.scalars(sa.select(Contract).where(Contract.quote_id == quote_id)).all()
    assert len(contracts) == 1
    assert _audits(db, "contract.created", contracts[0].id) == 1
    # Each refused request was answered with the usual message on the next page.
    pages = [c.get("/contracts/").text for c in clients]
    assert sum("该报价单已生成合同" in page for page in pages) == 5


def test_parallel_deposit_receipts_record_one(db, make_user, live_server):
    contract = make_contract(db)  # deposit ¥21,000.00 due (the quote's monthly total)
    submit_for_signature(contract)
    db.session.commit()
    contract_id, deposit = contract.id, contract.deposit_fen
    clients, tokens = browsers(live_server, make_user, "finance", "fin", 6, f"/contracts/{contract_id}")

    def receive(i):
        return (
            clients[i]
            .post_form(
                f"/contracts/{contract_id}/deposit/receive",
                {
                    "csrf_token": tokens[i],
                    "amount": str(to_yuan(deposit)),
                    "received_on": "2026-11-20",
                    "reference": f"DEP{i}",
                },
            )
            .status
        )

    assert parallel(6, receive) == [302] * 6
    contract = db.session.get(Contract, contract_id)
    assert contract.deposit_status == "received"
    assert contract.deposit_received_fen == 2_100_000  # ¥21,000.00
    assert _audits(db, "contract.deposit_received", contract_id) == 1
