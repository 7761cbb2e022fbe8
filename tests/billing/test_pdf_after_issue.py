"""Issued PDFs rendered by the queue after the issue commits: stored once with a matching SHA-256, not
downloadable until stored (staff, portal, verification page, period ZIP), the sweep fills any gap, and
two renders of the same invoice store it once."""

import hashlib
import json
from datetime import date

import pytest
import sqlalchemy as sa
from flask import current_app

from ops.audit.models import AuditEntry
from ops.billing import services
from ops.billing.models import CreditNote, Invoice
from ops.billing.pdf import pdf_data_from_json, pdf_data_to_json, render_invoice_pdf
from ops.billing.services import issuing, payments, pdfs
from ops.billing.services.verification import verification_code
from tests.billing.helpers import draft_for, issued_for, make_billing_client, make_contract
from tests.factories import TAX_IDS


@pytest.fixture
def queue_down(monkeypatch):
    """Issue without rendering: as if the consumer had not yet taken (or had died on) the render."""
    enqueued: list[tuple[str, int]] = []
    monkeypatch.setattr(issuing, "enqueue_invoice_pdf", lambda i: enqueued.append(("invoice", i)))
    monkeypatch.setattr(payments, "enqueue_credit_note_pdf", lambda n: enqueued.append(("note", n)))
    return enqueued


def _audits(db, action: str, object_id: int) -> list[AuditEntry]:
    return list(
        db.session.scalars(
            sa.select(AuditEntry).where(AuditEntry.action == action, AuditEntry.object_id == object_id)
        )
    )


def test_issue_enqueues_the_render_and_the_stored_pdf_matches_its_hash(db):
    invoice = issued_for(db, make_contract(db), issued_on=date(2026, 10, 2))
    db.session.expire_all()
    stored = db.session.get(Invoice, invoice.id)
    assert stored.pdf.startswith(b"%PDF") and services.pdf_ready(stored)
    assert stored.pdf_sha256 == hashlib.sha256(stored.pdf).hexdigest()
    # The issue's entry has the number; the hash is audited once, when the PDF is stored.
    assert "pdf_sha256" not in _audits(db, "invoice.issued", invoice.id)[0].after
    [entry] = _audits(db, "invoice.pdf_stored", invoice.id)
    assert entry.after["pdf_sha256"] == stored.pdf_sha256
    # Rendered from the data frozen at issue: another render gives the same bytes.
    again = render_invoice_pdf(pdf_data_from_json(stored.pdf_data), ttf_path=current_app.config["PDF_FONT"])
    assert hashlib.sha256(again).hexdigest() == stored.pdf_sha256


def test_the_frozen_data_round_trip_to_what_issuing_saw(db):
    invoice = issued_for(
        db, make_contract(db, deposit_fen=300_000, deposit_usage="first_invoice", deposit_status="received")
    )
    data = pdf_data_from_json(invoice.pdf_data)
    assert json.loads(json.dumps(pdf_data_to_json(data))) == invoice.pdf_data
    assert (data.number, data.issued_on, data.total_fen, data.deposit_offset_fen) == (
        invoice.number,
        invoice.issued_on,
        700_000,
        -300_000,
    )


def test_an_invoice_voided_before_its_render_still_gets_the_pdf_it_was_issued_with(db, queue_down):
    invoice = issued_for(db, make_contract(db))
    assert not services.pdf_ready(invoice)
    services.void_invoice(invoice, "开错客户")
    db.session.commit()
    assert services.store_invoice_pdf(invoice.id) is True
    stored = db.session.get(Invoice, invoice.id)
    expected = render_invoice_pdf(
        pdf_data_from_json(stored.pdf_data), ttf_path=current_app.config["PDF_FONT"]
    )
    assert stored.pdf == expected and stored.status == "void"


def test_without_its_pdf_the_staff_pages_say_pdf_pending_and_the_route_refuses(
    client, login_as, db, queue_down
):
    invoice = issued_for(db, make_contract(db), issued_on=date(2026, 10, 2))
    assert queue_down == [("invoice", invoice.id)] and invoice.pdf_sha256 is None
    login_as("finance")
    detail = client.get(f"/billing/invoices/{invoice.id}").get_data(as_text=True)
    assert "PDF 生成中" in detail and "下载 PDF" not in detail
    assert "PDF 生成中" in client.get("/billing/invoices").get_data(as_text=True)
    response = client.get(f"/billing/invoices/{invoice.id}/pdf")
    assert response.status_code == 302 and response.location.endswith(f"/billing/invoices/{invoice.id}")
    assert "PDF 生成中…请稍后再下载。" in client.get(response.location).get_data(as_text=True)
    # The period ZIP refuses rather than leave the invoice out.
    response = client.post("/billing/zip", data={"period": "2026-09"})
    assert response.status_code == 302 and "/jobs/" not in response.location
    assert "有 1 份账单的 PDF 仍在生成中" in client.get(response.location).get_data(as_text=True)
    with pytest.raises(services.BillingServiceError, match="1 份账单的 PDF 仍在生成中"):
        services.period_pdfs("2026-09")
    # Once stored, the same pages link the download.
    assert services.render_missing_pdfs() == 1
    detail = client.get(f"/billing/invoices/{invoice.id}").get_data(as_text=True)
    assert "PDF 生成中" not in detail and "下载 PDF" in detail
    response = client.get(f"/billing/invoices/{invoice.id}/pdf")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    response = client.post("/billing/zip", data={"period": "2026-09"})
    assert "/jobs/" in response.location  # the ZIP job (immediate in tests) has made the file
    download = client.get(response.location.rstrip("/") + "/download")
    assert download.mimetype == "application/zip"
    download.close()


def test_without_its_pdf_the_portal_and_the_verification_page_say_pdf_pending(
    client, login_as, db, queue_down
):
    invoice = issued_for(db, make_contract(db), issued_on=date(2026, 10, 2))
    login_as("client", client_id=invoice.client_id)
    for url in ("/portal/invoices", f"/portal/invoices/{invoice.id}"):
        html = client.get(url).get_data(as_text=True)
        assert "PDF 生成中" in html and f"/portal/invoices/{invoice.id}/pdf" not in html, url
    response = client.get(f"/portal/invoices/{invoice.id}/pdf")
    assert response.status_code == 302 and response.location.endswith(f"/portal/invoices/{invoice.id}")
    assert "PDF 生成中…请稍后再下载。" in client.get(response.location).get_data(as_text=True)
    code = verification_code(invoice.number, invoice.total_fen)
    assert "PDF 生成中" in client.get(f"/verify/{invoice.number}?c={code}").get_data(as_text=True)
    pdfs.store_invoice_pdf(invoice.id)
    response = client.get(f"/portal/invoices/{invoice.id}/pdf")
    assert response.status_code == 200
    assert hashlib.sha256(response.data).hexdigest() == db.session.get(Invoice, invoice.id).pdf_sha256
    assert "PDF 生成中" not in client.get(f"/verify/{invoice.number}?c={code}").get_data(as_text=True)


def test_a_credit_note_without_its_pdf_is_not_downloadable_until_the_sweep(client, login_as, db, queue_down):
    invoice = issued_for(db, make_contract(db))
    pdfs.store_invoice_pdf(invoice.id)
    note = services.create_credit_note(invoice, 106_000, "停服 2 天减免")
    assert queue_down[-1] == ("note", note.id) and not services.pdf_ready(note)
    login_as("client", client_id=invoice.client_id)
    assert "PDF 生成中" in client.get(f"/portal/invoices/{invoice.id}").get_data(as_text=True)
    response = client.get(f"/portal/credit-notes/{note.id}/pdf")
    assert response.status_code == 302 and response.location.endswith(f"/portal/invoices/{invoice.id}")
    assert services.missing_credit_note_pdfs() == [note.id]
    assert services.render_missing_pdfs() == 1  # immediate mode: rendered and stored here
    stored = db.session.get(CreditNote, note.id)
    assert stored.pdf_sha256 == hashlib.sha256(stored.pdf).hexdigest()
    response = client.get(f"/portal/credit-notes/{note.id}/pdf")
    assert response.status_code == 200 and hashlib.sha256(response.data).hexdigest() == stored.pdf_sha256
    assert len(_audits(db, "credit_note.pdf_stored", invoice.id)) == 1


def test_staff_credit_note_pdf_waits_for_its_render(client, login_as, db, queue_down):
    invoice = issued_for(db, make_contract(db))
    pdfs.store_invoice_pdf(invoice.id)
    note = services.create_credit_note(invoice, 106_000, "停服 2 天减免")
    login_as("finance")
    assert "PDF 生成中" in client.get(f"/billing/invoices/{invoice.id}").get_data(as_text=True)
    response = client.get(f"/billing/credit-notes/{note.id}/pdf")
    assert response.status_code == 302 and response.location.endswith(f"/billing/invoices/{invoice.id}")
    pdfs.store_credit_note_pdf(note.id)
    response = client.get(f"/billing/credit-notes/{note.id}/pdf")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")


def test_render_missing_pdfs_fills_every_gap_and_then_has_nothing_to_do(db, queue_down):
    invoices = [
        issued_for(db, make_contract(db, make_billing_client(db, f"客户{i}", f"客户{i}有限公司", TAX_IDS[i])))
        for i in range(3)
    ]
    assert services.missing_invoice_pdfs() == [i.id for i in invoices]
    assert services.pending_pdf_count("2026-09") == 3
    assert services.render_missing_pdfs() == 3
    assert services.missing_invoice_pdfs() == [] and services.pending_pdf_count() == 0
    assert services.render_missing_pdfs() == 0
    for invoice in invoices:
        assert len(_audits(db, "invoice.pdf_stored", invoice.id)) == 1


def test_two_renders_of_the_same_invoice_store_it_once(db, queue_down, monkeypatch):
    """The second render finishes while the first is still drawing: the first finds it stored (checked
    under the row lock) and leaves it alone."""
    invoice = issued_for(db, make_contract(db))
    real_render = pdfs._render
    results: list[bool] = []
    calls: list[int] = []

    def render_while_another_stores(data):
        calls.append(1)
        if len(calls) == 1:
            results.append(pdfs.store_invoice_pdf(invoice.id))  # the other consumer, start to finish
        return real_render(data)

    monkeypatch.setattr(pdfs, "_render", render_while_another_stores)
    assert pdfs.store_invoice_pdf(invoice.id) is False
    assert results == [True]
    assert len(_audits(db, "invoice.pdf_stored", invoice.id)) == 1
    stored = db.session.get(Invoice, invoice.id)
    assert stored.pdf_sha256 == hashlib.sha256(stored.pdf).hexdigest()
    assert pdfs.store_invoice_pdf(invoice.id) is False  # a retried task later: nothing to do


def test_finish_pdfs_renders_what_no_consumer_takes(db, queue_down):
    invoice = issued_for(db, make_contract(db))
    waited: list[float] = []
    assert services.finish_pdfs(idle_seconds=1.0, poll_seconds=0.5, sleep=waited.append) == 1
    assert sum(waited) >= 1.0 and services.pdf_ready(db.session.get(Invoice, invoice.id))
    assert services.finish_pdfs(sleep=waited.append) == 0


def test_cli_render_pdfs(runner, db, queue_down):
    invoice = issued_for(db, make_contract(db))
    result = runner.invoke(args=["billing", "render-pdfs"])
    assert result.exit_code == 0 and "缺少 PDF 的单据：1 份" in result.output
    assert services.pdf_ready(db.session.get(Invoice, invoice.id))


def test_pdf_pending_in_english(client, login_as, db, queue_down):
    invoice = issued_for(db, make_contract(db))
    login_as("finance")
    assert client.post("/language", data={"lang": "en", "next": "/"}).status_code == 302
    html = client.get(f"/billing/invoices/{invoice.id}").get_data(as_text=True)
    assert "PDF being generated…" in html and "PDF 生成中" not in html
    response = client.get(f"/billing/invoices/{invoice.id}/pdf", follow_redirects=True)
    assert "The PDF is being generated… please download it in a moment." in response.get_data(as_text=True)


def test_an_invoice_voided_as_a_draft_has_no_pdf_to_wait_for(client, login_as, db):
    draft = draft_for(db, make_contract(db))
    services.void_invoice(draft, "重复草稿")
    db.session.commit()
    login_as("finance")
    assert client.get(f"/billing/invoices/{draft.id}/pdf").status_code == 404
    assert "PDF 生成中" not in client.get(f"/billing/invoices/{draft.id}").get_data(as_text=True)


def test_the_periodic_sweep_renders_only_what_was_issued_minutes_ago(db, queue_down, monkeypatch):
    """A PDF a killed consumer never stored is picked up by the five-minute sweep; one just issued is
    left to the render already in the queue."""
    from datetime import timedelta

    from ops.billing import tasks
    from ops.timeutil import utcnow

    old, new = (
        issued_for(db, make_contract(db, make_billing_client(db, f"客户{i}", f"客户{i}有限公司", TAX_IDS[i])))
        for i in range(2)
    )
    old.issued_at = utcnow() - timedelta(minutes=10)
    db.session.commit()
    enqueued: list[int] = []
    monkeypatch.setattr(pdfs, "enqueue_invoice_pdf", enqueued.append)
    tasks.render_missing_pdfs_periodically()
    assert enqueued == [old.id]
