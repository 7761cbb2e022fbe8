"""The demo contracts cover every state and pricing model."""

import sqlalchemy as sa

from ops.auth import services as auth_services
from ops.contracts.models import Contract
from ops.demo.contracts import load_contracts_demo
from tests.factories import make_client


def test_demo_contracts_cover_every_state_model_cycle_and_timing(db):
    make_client(db)
    users = {
        name: auth_services.create_user(
            username=name, display_name=name, role=role, password="demo-pass-1", must_change_password=False
        )
        for name, role in (("sales", "sales"), ("manager", "manager"), ("finance", "finance"))
    }
    made = load_contracts_demo([], users)
    db.session.commit()
    contracts = db.session.scalars(sa.select(Contract)).all()
    assert len(made) == len(contracts) == 6
    assert {c.status for c in contracts} == {"draft", "pending_signature", "active", "expired", "terminated"}
    assert {c.model for c in contracts} == {"fixed_seat", "base_commission", "per_consult"}
    assert {c.billing_cycle for c in contracts} == {"monthly", "quarterly"}
    assert {c.billing_timing for c in contracts} == {"in_advance", "in_arrears"}
    active = [c for c in contracts if c.status == "active"]
    assert len(active) == 2 and all(c.signed_file and c.deposit_status == "received" for c in active)
    assert all(c.kpis and c.clauses for c in contracts)
    assert load_contracts_demo([], users) is not None  # a second call makes more, never fails
