"""The public verification page the QR code opens: /verify/<number>?c=<HMAC code>, no login."""

import hashlib
import hmac
from datetime import date

from ops.billing import services
from tests.billing.helpers import issued_for, make_contract


def _issued(db):
    return issued_for(db, make_contract(db), "2026-09", issued_on=date(2026, 10, 2))  # ¥10,000.00


def test_the_code_is_an_hmac_of_number_and_total_with_the_secret_key(app, db):
    with app.test_request_context():
        code = services.verification_code("INV-2026-00001", 1_000_000)
        # Worked out independently: HMAC-SHA256(key, "INV-2026-00001|1000000"), first 16 hex digits.
        expected = hmac.new(b"test-secret-key", b"INV-2026-00001|1000000", hashlib.sha256).hexdigest()[:16]
        assert code == expected and len(code) == 16
        assert code != hashlib.sha256(b"INV-2026-00001|1000000").hexdigest()[:16]  # keyed, not guessable
        assert services.verification_code("INV-2026-00001", 1_000_001) != code  # the total is bound


def test_the_pdf_qr_points_at_the_page(app, db):
    invoice = _issued(db)
    code = services.verification_code(invoice.number, invoice.total_fen)
    # Issued outside a request: the default base URL.
    data = services.invoice_pdf_data(invoice)
    assert data.verify_url == f"http://127.0.0.1:5000/verify/{invoice.number}?c={code}"
    app.config["PUBLIC_URL"] = "https://billing.example.cn/"
    try:
        data = services.invoice_pdf_data(invoice)
    finally:
        app.config["PUBLIC_URL"] = None
    assert data.verify_url == f"https://billing.example.cn/verify/{invoice.number}?c={code}"
    assert services.invoice_pdf_data(invoice, kind="draft").verify_url == ""  # a preview is not verifiable


def test_valid_invoice_shows_only_number_date_total_and_state(client, db):
    invoice = _issued(db)
    code = services.verification_code(invoice.number, invoice.total_fen)
    response = client.get(f"/verify/{invoice.number}?c={code}")  # no login
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert invoice.number in html and "2026-10-02" in html and "¥10,000.00" in html and "有效" in html
    assert "北京晨光" not in html and "无法验证" not in html


def test_wrong_missing_or_unknown_get_the_same_answer(client, db):
    invoice = _issued(db)
    code = services.verification_code(invoice.number, invoice.total_fen)
    bodies = set()
    for url in (
        f"/verify/{invoice.number}?c={code[:-1]}0"
        if code[-1] != "0"
        else f"/verify/{invoice.number}?c={code[:-1]}1",
        f"/verify/{invoice.number}",
        f"/verify/{invoice.number}?c=",
        f"/verify/{invoice.number}?c=中文",
        f"/verify/INV-2099-99999?c={code}",
    ):
        response = client.get(url)
        html = response.get_data(as_text=True)
        assert response.status_code == 404, url
        assert "无法验证" in html and "¥10,000.00" not in html, url
        card = html.split('<div class="card-body p-4">')[1].split("</div>\n</div>")[0]
        bodies.add(card)  # the page says nothing else, whatever was wrong
    assert len(bodies) == 1


def test_void_credited_and_credit_notes(client, db):
    voided = _issued(db)
    services.void_invoice(voided, "客户合同主体变更，重新开具")
    code = services.verification_code(voided.number, voided.total_fen)
    assert "已作废" in client.get(f"/verify/{voided.number}?c={code}").get_data(as_text=True)

    invoice = issued_for(db, make_contract(db, voided.client), "2026-09", issued_on=date(2026, 10, 2))
    note = services.create_credit_note(invoice, 106_000, "9 月有 2 天系统故障停服，协商减免")
    code = services.verification_code(invoice.number, invoice.total_fen)
    assert "已开具红字冲销单" in client.get(f"/verify/{invoice.number}?c={code}").get_data(as_text=True)
    note_code = services.verification_code(note.number, 106_000)
    html = client.get(f"/verify/{note.number}?c={note_code}").get_data(as_text=True)
    assert note.number in html and "¥1,060.00" in html and "有效" in html


def test_the_qr_code_encodes_the_verify_url(db, monkeypatch):
    from ops.billing import pdf

    seen = []
    real = pdf.qr_flowable
    monkeypatch.setattr(pdf, "qr_flowable", lambda text, size: seen.append(text) or real(text, size))
    invoice = _issued(db)
    code = services.verification_code(invoice.number, invoice.total_fen)
    assert seen[-1] == f"http://127.0.0.1:5000/verify/{invoice.number}?c={code}"


def test_the_printed_qr_code_scans_to_the_verify_url(db, tmp_path):
    """The stored PDF, rasterised as a phone camera would see it, decodes (zxing-cpp) to the page."""
    import subprocess

    import zxingcpp
    from PIL import Image

    invoice = _issued(db)
    code = services.verification_code(invoice.number, invoice.total_fen)
    (tmp_path / "invoice.pdf").write_bytes(invoice.pdf)
    subprocess.run(
        ["pdftoppm", "-r", "150", "-f", "1", "-l", "1", "-png", "invoice.pdf", "page"],
        cwd=tmp_path,
        check=True,
    )
    [page] = tmp_path.glob("page*.png")
    found = zxingcpp.read_barcodes(Image.open(page))
    assert [(b.format, b.text) for b in found] == [
        (zxingcpp.BarcodeFormat.QRCode, f"http://127.0.0.1:5000/verify/{invoice.number}?c={code}")
    ]
