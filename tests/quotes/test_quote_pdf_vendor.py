"""The quote PDF names the vendor from the /admin/vendor profile (address and phone included)."""

import io

from pypdf import PdfReader

from ops.contracts import services as contract_services
from tests.quotes.quote_factories import make_quote, send


def _pdf_text(response) -> str:
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages)


def test_quote_pdf_shows_the_vendor_profile(client, login_as, db, app):
    quote = send(db, make_quote(db))
    contract_services.update_vendor_profile(
        {"name": "杭州星河客服外包有限公司", "address": "杭州市西湖区文三路 90 号", "phone": "0571-88886666"}
    )
    db.session.commit()
    login_as("sales")
    text = _pdf_text(client.get(f"/quotes/{quote.id}/pdf"))
    assert (
        "杭州星河客服外包有限公司" in text and "杭州市西湖区文三路 90 号" in text and "0571-88886666" in text
    )
    assert app.config["VENDOR_NAME"] not in text  # the configured name is only the first default

    client.post("/logout")
    login_as("client", client_id=quote.client_id)
    text = _pdf_text(client.get(f"/portal/quotes/{quote.id}/pdf"))
    assert "杭州市西湖区文三路 90 号" in text and "0571-88886666" in text


def test_before_any_profile_the_configured_name_is_used(client, login_as, db, app):
    quote = make_quote(db)
    login_as("sales")
    assert app.config["VENDOR_NAME"] in _pdf_text(client.get(f"/quotes/{quote.id}/pdf"))
