"""Contract services: frozen terms, every transition, deposits, numbering, expiry."""

import copy
import threading
from datetime import date

import pytest
import sqlalchemy as sa

from ops.audit.models import AuditEntry
from ops.contracts import services
from ops.contracts.models import Contract
from ops.contracts.services import ContractError
from ops.contracts.states import TransitionError
from ops.quotes.models import RateCard
from ops.transactions import write_transaction
from tests.contracts.helpers import make_accepted_quote, make_contract, sign_and_pay

# From the helper's needs: 4 seats × ¥5,000.00 × 1.05 (complexity 3) = 4 × ¥5,250.00; total ¥21,000.00.
FROZEN_SEATS = [{"scope": "presales", "shift": "day", "seats": 4, "monthly_rate_fen": 525_000}]


def test_contract_copies_the_terms_and_later_changes_upstream_do_not_touch_it(db):
    quote = make_accepted_quote(db)
    contract = make_contract(db, quote)
    assert contract.status == "draft" and contract.number is None
    assert contract.terms["seats"] == FROZEN_SEATS
    assert contract.deposit_fen == 2_100_000 and contract.deposit_status == "due"
    assert contract.client_legal_name == "北京晨光家居用品有限公司"
    frozen = copy.deepcopy(contract.terms)

    card = db.session.get(RateCard, quote.rate_card_id)
    data = copy.deepcopy(card.data)
    data["seat_rates_fen"]["presales"]["day"] = 900_000
    data["multipliers"]["complexity"]["3"] = 20_000
    card.data = data
    terms = copy.deepcopy(quote.terms)
    terms["seats"][0]["seats"] = 40
    terms["seats"][0]["monthly_rate_fen"] = 1
    quote.terms = terms
    db.session.commit()
    db.session.expire_all()

    contract = db.session.get(Contract, contract.id)
    assert contract.terms == frozen
    assert contract.terms["seats"] == FROZEN_SEATS


def test_only_an_accepted_quote_without_a_contract_becomes_one(db):
    quote = make_accepted_quote(db)
    make_contract(db, quote)
    with pytest.raises(ContractError, match="已生成合同"):
        services.create_from_quote(quote, None)
    quote.status = "sent"
    with pytest.raises(ContractError, match="已接受"):
        services.create_from_quote(quote, None)


def test_submit_takes_the_number_and_return_keeps_it(db):
    contract = make_contract(db)
    services.submit_for_signature(contract)
    db.session.commit()
    assert (contract.status, contract.number) == ("pending_signature", "HT-2026-0001")
    with pytest.raises(ContractError, match="原因"):
        services.return_to_draft(contract, "  ")
    services.return_to_draft(contract, "客户要求修改付款日")
    db.session.commit()
    assert contract.status == "draft"
    services.submit_for_signature(contract)
    db.session.commit()
    assert contract.number == "HT-2026-0001"
    other = make_contract(db, make_accepted_quote(db, client=contract.client, number="BJ-2026-0002"))
    services.submit_for_signature(other)
    db.session.commit()
    assert other.number == "HT-2026-0002"


@pytest.mark.parametrize("action", ["activate", "terminate", "return", "expire_field"])
def test_illegal_moves_from_draft(db, action):
    contract = make_contract(db)
    with pytest.raises(TransitionError):
        if action == "activate":
            services.activate(contract)
        elif action == "terminate":
            services.terminate(contract, "x", date(2026, 12, 5))
        elif action == "return":
            services.return_to_draft(contract, "x")
        else:
            services.check_contract_transition(contract.status, "expired")


def test_activation_needs_the_deposit_then_the_signed_copy(db, app):
    contract = make_contract(db)
    services.submit_for_signature(contract)
    with pytest.raises(ContractError, match="定金尚未到账"):
        services.activate(contract)
    services.receive_deposit(contract, 2_100_000, date(2026, 11, 20), "BANK-1")
    with pytest.raises(ContractError, match="签署件|扫描件"):
        services.activate(contract)
    sign_and_pay(db, contract)
    services.activate(contract, signed_on=date(2026, 11, 25))
    db.session.commit()
    assert contract.status == "active" and contract.signed_on == date(2026, 11, 25)
    assert contract.client.stage == "contracted"


def test_activation_without_a_deposit_needs_only_the_signed_copy(db):
    contract = make_contract(db)
    services.update_contract(contract, {"deposit_fen": 0})
    assert contract.deposit_status == "none"
    sign_and_pay(db, contract)
    services.activate(contract)
    db.session.commit()
    assert contract.status == "active"


def test_active_contract_terminates_with_reason_and_date_and_then_is_final(db):
    contract = make_contract(db)
    sign_and_pay(db, contract)
    services.activate(contract)
    with pytest.raises(ContractError, match="原因"):
        services.terminate(contract, "", date(2026, 12, 31))
    with pytest.raises(ContractError, match="生效日期"):
        services.terminate(contract, "客户违约", None)
    with pytest.raises(ContractError, match="早于"):
        services.terminate(contract, "客户违约", date(2026, 1, 1))
    services.terminate(contract, "客户店铺停业", date(2026, 12, 31))
    db.session.commit()
    assert (contract.status, contract.terminated_on) == ("terminated", date(2026, 12, 31))
    for attempt in (
        lambda: services.activate(contract),
        lambda: services.submit_for_signature(contract),
        lambda: services.terminate(contract, "x", date(2026, 12, 31)),
    ):
        with pytest.raises(TransitionError):
            attempt()
    assert services.expire_contracts(date(2030, 1, 1)) == []


def test_pending_contract_cannot_be_terminated_or_expired(db):
    contract = make_contract(db)
    services.submit_for_signature(contract)
    with pytest.raises(TransitionError):
        services.terminate(contract, "x", date(2026, 12, 5))
    assert services.expire_contracts(date(2030, 1, 1)) == []


def test_terms_are_frozen_outside_draft_and_bad_edits_change_nothing(db):
    contract = make_contract(db)
    with pytest.raises(ContractError, match="结束日期必须晚于开始日期"):
        services.update_contract(contract, {"end_on": date(2026, 1, 1), "tax_rate_bp": 300})
    assert contract.end_on == date(2027, 11, 30) and contract.tax_rate_bp == 600
    services.submit_for_signature(contract)
    for change in (
        lambda: services.update_contract(contract, {"tax_rate_bp": 300}),
        lambda: services.set_kpis(contract, []),
        lambda: services.set_clauses(contract, []),
    ):
        with pytest.raises(ContractError, match="草稿"):
            change()


def test_deposit_receipt_and_settlement(db):
    contract = make_contract(db)
    # Less than the deposit is a partial receipt (tests/contracts/test_partial_deposits.py); more is refused.
    with pytest.raises(ContractError, match="¥21,000.00"):
        services.receive_deposit(contract, 2_100_001, date(2026, 11, 20), "x")
    with pytest.raises(ContractError, match="晚于今天"):
        services.receive_deposit(contract, 2_100_000, date(2099, 1, 1), "x")
    with pytest.raises(TransitionError):
        services.settle_deposit(contract, "refunded", date(2026, 11, 21), "x")
    services.receive_deposit(contract, 2_100_000, date(2026, 11, 20), "BANK-1")
    with pytest.raises(TransitionError):
        services.receive_deposit(contract, 2_100_000, date(2026, 11, 20), "BANK-1")
    with pytest.raises(ContractError, match="原因"):
        services.settle_deposit(contract, "forfeited", date(2026, 11, 21), " ")
    with pytest.raises(ContractError, match="早于"):
        services.settle_deposit(contract, "applied", date(2026, 11, 1), "INV-1")
    services.settle_deposit(contract, "applied", date(2026, 11, 21), "抵扣首期账单")
    db.session.commit()
    assert contract.deposit_status == "applied"
    for outcome in ("refunded", "forfeited", "applied"):
        with pytest.raises(TransitionError):
            services.settle_deposit(contract, outcome, date(2026, 11, 22), "again")
    actions = set(db.session.scalars(sa.select(AuditEntry.action).where(AuditEntry.object_id == contract.id)))
    assert {"contract.deposit_received", "contract.deposit_applied"} <= actions


@pytest.mark.parametrize("outcome", ["applied", "refunded", "forfeited"])
def test_every_settlement_outcome(db, outcome):
    contract = make_contract(db)
    services.receive_deposit(contract, 2_100_000, date(2026, 11, 20), "BANK-1")
    services.settle_deposit(
        contract, outcome, date(2026, 11, 25), "客户违约" if outcome == "forfeited" else ""
    )
    assert contract.deposit_status == outcome


def test_no_deposit_cannot_be_received(db):
    contract = make_contract(db)
    services.update_contract(contract, {"deposit_fen": 0})
    with pytest.raises(TransitionError):
        services.receive_deposit(contract, 0, date(2026, 11, 20), "x")


def test_two_contracts_submitted_at_once_get_consecutive_numbers(app, db):
    first = make_contract(db)
    second = make_contract(db, make_accepted_quote(db, client=first.client, number="BJ-2026-0002"))
    ids = [first.id, second.id]
    barrier = threading.Barrier(2)
    failures: list[BaseException] = []

    def submit(contract_id):
        # What the submit view does, each thread with its own application context and session.
        try:
            with app.app_context():
                db.session.get(Contract, contract_id)
                barrier.wait(timeout=10)
                with write_transaction():
                    services.submit_for_signature(services.lock_contract(contract_id))
        except BaseException as exc:  # reported below
            failures.append(exc)

    threads = [threading.Thread(target=submit, args=(i,)) for i in ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not failures, failures
    db.session.rollback()  # end this session's snapshot: read what the others committed
    numbers = sorted(db.session.scalars(sa.select(Contract.number).where(Contract.id.in_(ids))))
    assert numbers == ["HT-2026-0001", "HT-2026-0002"]


def test_one_contract_submitted_twice_at_once_takes_one_number(app, db):
    contract_id = make_contract(db).id
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def submit():
        with app.app_context():
            barrier.wait(timeout=10)
            try:
                with write_transaction():
                    services.submit_for_signature(services.lock_contract(contract_id))
            except TransitionError:
                outcomes.append("refused")
            else:
                outcomes.append("submitted")

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(outcomes) == ["refused", "submitted"]
    db.session.rollback()  # end this session's snapshot: read what the others committed
    assert db.session.get(Contract, contract_id).number == "HT-2026-0001"
    assert db.session.scalar(sa.text("SELECT last_value FROM number_sequences WHERE kind = 'HT'")) == 1


def _active_contract(db, start_on, months, number):
    contract = make_contract(
        db,
        make_accepted_quote(db, number=number)
        if number == "BJ-2026-0001"
        else make_accepted_quote(
            db, client=db.session.scalars(sa.select(Contract)).first().client, number=number
        ),
        start_on=start_on,
        months=months,
    )
    sign_and_pay(db, contract, received_on=date(2025, 1, 1))
    services.activate(contract)
    db.session.commit()
    return contract


def test_flask_contracts_expire_is_idempotent(db, runner):
    ended = _active_contract(db, date(2025, 1, 1), 12, "BJ-2026-0001")  # ended 2025-12-31
    running = _active_contract(db, date(2026, 6, 1), 12, "BJ-2026-0002")
    result = runner.invoke(args=["contracts", "expire"])
    assert result.exit_code == 0, result.output
    assert "已到期合同：1 份" in result.output and ended.number in result.output
    result = runner.invoke(args=["contracts", "expire"])
    assert result.exit_code == 0 and "已到期合同：0 份" in result.output
    db.session.rollback()  # end this session's snapshot: read what the others committed
    assert db.session.get(Contract, ended.id).status == "expired"
    assert db.session.get(Contract, running.id).status == "active"
    expired_entries = db.session.scalar(
        sa.select(sa.func.count()).select_from(AuditEntry).where(AuditEntry.action == "contract.expired")
    )
    assert expired_entries == 1


def test_contracts_ending_within_30_days(db):
    soon = _active_contract(db, date(2025, 12, 6), 12, "BJ-2026-0001")  # ends 2026-12-05
    _active_contract(db, date(2026, 1, 5), 12, "BJ-2026-0002")  # ends 2027-01-04
    found = db.session.scalars(services.contracts_ending_within(30, on=date(2026, 11, 26))).all()
    assert [c.id for c in found] == [soon.id]
