"""Void and re-issue (a new number, both invoices linked) and deposits partly applied or kept for forfeiture."""

import io
import re
from datetime import date

import pytest
import sqlalchemy as sa
from pypdf import PdfReader

from ops.audit.models import AuditEntry
from ops.billing import services
from ops.billing.models import Invoice
from ops.billing.services import BillingServiceError
from ops.contracts import services as contract_services
from ops.contracts.models import Contract
from ops.contracts.states import TransitionError
from ops.timeutil import today
from tests.billing.helpers import draft_for, invoice_count, issued_for, make_contract

YEAR = today().year


def _text(pdf: bytes) -> str:
    return "".join(re.sub(r"\s+", "", page.extract_text()) for page in PdfReader(io.BytesIO(pdf)).pages)


def _deposit_contract(db, **fields) -> Contract:
    """One seat at ¥6,000.00 a month (6 % VAT included), a ¥10,000.00 deposit received, offset on
    the last invoice; the contract ends on 30 September 2026, so 2026-09 is its last invoice."""
    values = dict(
        seats=1,
        rate_fen=600_000,
        end_on=date(2026, 9, 30),
        deposit_fen=1_000_000,
        deposit_usage="last_invoice",
        deposit_status="received",
        deposit_received_fen=1_000_000,
        deposit_received_on=date(2026, 8, 1),
    )
    values.update(fields)
    return make_contract(db, **values)


# --- deposits ----------------------------------------------------------------------------------


def test_deposit_larger_than_the_last_invoice_is_partly_applied_and_the_remainder_printed(db):
    contract = _deposit_contract(db)
    invoice = issued_for(db, contract, "2026-09", issued_on=date(2026, 10, 1))
    # Service: 1 seat × ¥6,000.00 (full month) = ¥6,000.00 incl. tax;
    # tax = 600,000 × 6 / 106 = 33,962.26 → ¥339.62; net ¥5,660.38.
    # Deposit offset = min(¥10,000.00, ¥6,000.00) = −¥6,000.00 → total ¥0.00; remainder ¥4,000.00.
    assert (invoice.subtotal_fen, invoice.tax_fen, invoice.net_fen) == (600_000, 33_962, 566_038)
    assert (invoice.deposit_offset_fen, invoice.total_fen) == (-600_000, 0)
    assert services.invoice_deposit_remainder_fen(invoice) == 400_000
    contract = db.session.get(Contract, contract.id)
    assert (contract.deposit_status, contract.deposit_applied_fen) == ("partly_applied", 600_000)
    assert contract_services.deposit_remainder_fen(contract) == 400_000
    assert services.invoice_pdf_data(invoice).deposit_remainder_fen == 400_000
    stored = db.session.scalar(sa.select(Invoice.pdf).where(Invoice.id == invoice.id))
    text = _text(stored)
    assert "本单抵扣定金¥6,000.00，定金余额¥4,000.00待退还。" in text

    # Finance refunds the remainder only: partly_applied → refunded; nothing else is allowed.
    with pytest.raises(TransitionError):
        contract_services.settle_deposit(contract, "forfeited", date(2026, 10, 8), "违约")
    db.session.rollback()
    contract_services.settle_deposit(contract, "refunded", date(2026, 10, 8), "退款流水 T-88")
    db.session.commit()
    contract = db.session.get(Contract, contract.id)
    assert contract.deposit_status == "refunded" and contract.deposit_applied_fen == 600_000
    assert contract.deposit_settled_reference == "退还定金余额 ¥4,000.00：退款流水 T-88"
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "contract.deposit_refunded"))
    assert entry is not None and entry.after["refunded_fen"] == 400_000


def test_deposit_covering_the_whole_invoice_exactly_is_applied_with_no_remainder(db):
    contract = _deposit_contract(db, deposit_fen=600_000, deposit_received_fen=600_000)
    invoice = issued_for(db, contract, "2026-09", issued_on=date(2026, 10, 1))
    # ¥6,000.00 service − ¥6,000.00 deposit = ¥0.00; nothing left over.
    assert (invoice.deposit_offset_fen, invoice.total_fen) == (-600_000, 0)
    assert services.invoice_deposit_remainder_fen(invoice) == 0
    contract = db.session.get(Contract, contract.id)
    assert (contract.deposit_status, contract.deposit_applied_fen) == ("applied", 600_000)
    assert "待退还" not in _text(db.session.scalar(sa.select(Invoice.pdf).where(Invoice.id == invoice.id)))


def test_a_contract_terminated_for_breach_keeps_its_deposit_for_forfeiture(db):
    contract = _deposit_contract(db, end_on=date(2026, 12, 31))
    contract_services.terminate(contract, "客户拖欠服务费，违约解约", date(2026, 10, 1), for_breach=True)
    db.session.commit()
    assert db.session.get(Contract, contract.id).terminated_for_breach is True
    invoice = draft_for(db, contract, "2026-09")  # service ends 30 September: the final invoice
    # 1 seat × ¥6,000.00 full month = ¥6,000.00 to pay; the ¥10,000.00 deposit is NOT offset.
    assert (invoice.deposit_offset_fen, invoice.total_fen) == (0, 600_000)
    assert [line.kind for line in invoice.lines if line.kind == "deposit"] == []
    services.issue_invoice(invoice.id, issued_on=date(2026, 10, 1))
    contract = db.session.get(Contract, contract.id)
    assert contract.deposit_status == "received" and contract.deposit_applied_fen == 0
    contract_services.settle_deposit(contract, "forfeited", date(2026, 10, 9), "客户违约，没收定金")
    db.session.commit()
    assert db.session.get(Contract, contract.id).deposit_status == "forfeited"


def test_the_same_termination_without_breach_offsets_the_deposit(db):
    contract = _deposit_contract(db, end_on=date(2026, 12, 31))
    contract_services.terminate(contract, "双方协商提前终止", date(2026, 10, 1))
    db.session.commit()
    invoice = draft_for(db, contract, "2026-09")
    # ¥6,000.00 − deposit ¥6,000.00 (of ¥10,000.00) = ¥0.00
    assert (invoice.deposit_offset_fen, invoice.total_fen) == (-600_000, 0)


# --- void and re-issue -------------------------------------------------------------------------


def test_void_then_reissue_gets_a_new_number_and_both_are_linked(db):
    contract = make_contract(db)
    first = issued_for(db, contract, "2026-09")
    assert first.number == f"INV-{YEAR}-00001"
    services.void_invoice(first, "客户名称写错，重新开具")
    db.session.commit()
    draft = services.reissue_invoice(first.id)
    assert draft.status == "draft" and draft.replaces_id == first.id and draft.period == "2026-09"
    # 2 seats × ¥5,000.00 = ¥10,000.00, as the voided one
    assert draft.total_fen == 1_000_000
    # A second re-issue (or the run) finds the draft: still one live invoice for the period.
    assert services.reissue_invoice(first.id).id == draft.id
    assert services.refresh_draft(contract, "2026-09")[0].id == draft.id
    db.session.commit()
    assert invoice_count(db) == 2
    second = services.issue_invoice(draft.id)
    assert second.number == f"INV-{YEAR}-00002"
    db.session.expire_all()
    first = db.session.get(Invoice, first.id)
    assert first.status == "void" and first.replaced_by.number == f"INV-{YEAR}-00002"
    assert services.invoice_pdf_data(second).replaces == f"INV-{YEAR}-00001"
    text = _text(db.session.scalar(sa.select(Invoice.pdf).where(Invoice.id == second.id)))
    assert f"替代INV-{YEAR}-00001（已作废）" in text


def test_the_run_makes_the_corrected_draft_of_a_voided_period(db):
    contract = make_contract(db)
    first = issued_for(db, contract, "2026-09")
    services.void_invoice(first, "金额有误")
    db.session.commit()
    draft, outcome = services.refresh_draft(contract, "2026-09")
    db.session.commit()
    assert outcome == "created" and draft.replaces_id == first.id


def test_only_a_voided_numbered_invoice_can_be_reissued(db):
    contract = make_contract(db)
    issued = issued_for(db, contract, "2026-09")
    with pytest.raises(BillingServiceError, match="作废"):
        services.reissue_invoice(issued.id)
    other = draft_for(db, make_contract(db, contract.client), "2026-09")
    services.void_invoice(other, "草稿不要了")
    db.session.commit()
    with pytest.raises(BillingServiceError, match="作废"):
        services.reissue_invoice(other.id)


def test_the_database_refuses_two_live_invoices_for_one_period(db):
    contract = make_contract(db)
    invoice = draft_for(db, contract, "2026-09")
    db.session.add(
        Invoice(
            contract_id=contract.id,
            client_id=contract.client_id,
            period="2026-09",
            period_start=invoice.period_start,
            period_end=invoice.period_end,
            status="draft",
        )
    )
    with pytest.raises(sa.exc.IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_voiding_the_invoice_that_offset_the_deposit_gives_it_back_for_the_reissue(db):
    contract = _deposit_contract(db)
    first = issued_for(db, contract, "2026-09", issued_on=date(2026, 10, 1))
    services.void_invoice(first, "账期写错")
    db.session.commit()
    contract = db.session.get(Contract, contract.id)
    assert (contract.deposit_status, contract.deposit_applied_fen) == ("received", 0)
    assert services.invoice_deposit_remainder_fen(first) == 0
    draft = services.reissue_invoice(first.id)
    # Offset again on the corrected invoice: ¥6,000.00 − ¥6,000.00 = ¥0.00, remainder ¥4,000.00
    assert (draft.deposit_offset_fen, draft.total_fen) == (-600_000, 0)
    services.issue_invoice(draft.id, issued_on=date(2026, 10, 2))
    contract = db.session.get(Contract, contract.id)
    assert (contract.deposit_status, contract.deposit_applied_fen) == ("partly_applied", 600_000)


# --- pages ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["finance", "manager", "admin"])
def test_finance_reissues_from_the_void_invoice_page_and_the_pages_link_both(client, login_as, db, role):
    first = issued_for(db, make_contract(db), "2026-09")
    services.void_invoice(first, "客户名称写错")
    db.session.commit()
    login_as(role)
    html = client.get(f"/billing/invoices/{first.id}").get_data(as_text=True)
    assert "重新出账" in html
    response = client.post(f"/billing/invoices/{first.id}/reissue")
    draft = db.session.scalar(sa.select(Invoice).where(Invoice.status == "draft"))
    assert response.status_code == 302 and response.headers["Location"].endswith(
        f"/billing/invoices/{draft.id}"
    )
    assert draft.replaces_id == first.id
    second = services.issue_invoice(draft.id)
    html = client.get(f"/billing/invoices/{first.id}").get_data(as_text=True)
    assert f'已被 <a href="/billing/invoices/{second.id}">{second.number}</a> 替代' in html
    assert "重新出账</button>" not in html
    html = client.get(f"/billing/invoices/{second.id}").get_data(as_text=True)
    assert f'替代 <a href="/billing/invoices/{first.id}">{first.number}</a>' in html
    listing = client.get("/billing/invoices").get_data(as_text=True)
    assert f'已被 <a href="/billing/invoices/{second.id}">' in listing


@pytest.mark.parametrize("role", ["sales", "trainer", "client"])
def test_other_roles_cannot_reissue(client, login_as, db, role):
    first = issued_for(db, make_contract(db), "2026-09")
    services.void_invoice(first, "写错了")
    db.session.commit()
    login_as(role)
    assert client.post(f"/billing/invoices/{first.id}/reissue").status_code == 403
    assert invoice_count(db) == 1


def test_portal_shows_the_links_and_the_deposit_remainder(client, login_as, db):
    contract = _deposit_contract(db)
    first = issued_for(db, contract, "2026-09", issued_on=date(2026, 10, 1))
    services.void_invoice(first, "账期写错")
    db.session.commit()
    draft = services.reissue_invoice(first.id)
    login_as("client", client_id=contract.client_id)
    html = client.get(f"/portal/invoices/{first.id}").get_data(as_text=True)
    assert "替代" not in html  # the corrected one is still a draft: not the client's to see
    second = services.issue_invoice(draft.id, issued_on=date(2026, 10, 2))
    html = client.get(f"/portal/invoices/{first.id}").get_data(as_text=True)
    assert f'已被 <a href="/portal/invoices/{second.id}">{second.number}</a> 替代' in html
    html = client.get(f"/portal/invoices/{second.id}").get_data(as_text=True)
    assert f'替代 <a href="/portal/invoices/{first.id}">{first.number}</a>' in html
    assert "定金余额 ¥4,000.00 待退还" in html
    listing = client.get("/portal/invoices").get_data(as_text=True)
    assert f'替代 <a href="/portal/invoices/{first.id}">' in listing


def test_finance_refunds_the_remainder_from_the_contract_page(client, login_as, db):
    contract = _deposit_contract(db)
    issued_for(db, contract, "2026-09", issued_on=date(2026, 10, 1))
    login_as("finance")
    html = client.get(f"/contracts/{contract.id}").get_data(as_text=True)
    assert "定金余额 ¥4,000.00 待退还" in html and "部分抵扣" in html
    response = client.post(
        f"/contracts/{contract.id}/deposit/settle",
        data={"outcome": "refunded", "settled_on": "2026-10-08", "reference": "退款流水 T-88"},
    )
    assert response.status_code == 302
    assert db.session.get(Contract, contract.id).deposit_status == "refunded"
