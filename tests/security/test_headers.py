"""Security headers on every kind of response: pages of each role, redirects, error pages (400 CSRF,
403, 404, 405, 413), file downloads and the API's problem+json."""

import io
import re

import pytest

from tests.conftest import login
from tests.security.world import ROLES

# role -> a sample of what that role requests: pages it may see, pages it may not, downloads.
SAMPLES = {
    "anonymous": ["/login", "/", "/portal/", "/no-such-page", "/static/css/app.css", "/healthz"],
    "admin": [
        "/",
        "/admin/users/",
        "/quotes/{a.quote_id}/pdf",
        "/billing/invoices/{a.invoice_id}/pdf",
        "/contracts/{a.contract_id}/signed",
        "/portal/",
        "/no-such-page",
        "/clients/999999",
    ],
    "manager": ["/", "/onboarding/", "/admin/users/", "/billing/credit-notes/{a.credit_note_id}/pdf"],
    "sales": ["/", "/clients/{a.client_id}", "/contracts/{a.contract_id}/pdf", "/billing/invoices"],
    "trainer": ["/training/", "/training/materials/{a.material_id}/v1/download", "/quotes/"],
    "finance": [
        "/billing/invoices/{a.invoice_id}",
        "/billing/export.csv",
        "/usage/template.csv",
        "/training/",
    ],
    "client": [
        "/portal/",
        "/portal/invoices/{a.invoice_id}/pdf",
        "/portal/contracts/{a.contract_id}/signed",
        "/portal/materials/{a.material_id}/v1/download",
        "/portal/quotes/{b.quote_id}",
        "/clients/",
        "/",
    ],
}


def assert_security_headers(response, what: str) -> None:
    headers = response.headers
    assert headers.get("X-Content-Type-Options") == "nosniff", what
    assert headers.get("X-Frame-Options") == "DENY", what
    assert headers.get("Referrer-Policy") == "same-origin", what
    csp = headers.get("Content-Security-Policy", "")
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp, what
    assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp, what
    assert not re.search(r"https?:", csp) and "*" not in csp, f"{what}: CSP allows another origin: {csp}"


def test_the_samples_cover_every_role():
    assert set(SAMPLES) == set(ROLES)


@pytest.mark.parametrize("role", ROLES)
def test_every_sampled_response_carries_the_headers(app, client, world, role):
    if role != "anonymous":
        login(client, world.usernames[role])
    statuses = set()
    for template in SAMPLES[role]:
        url = template.format(a=world.a, b=world.b)
        response = client.get(url)
        response.close()
        statuses.add(response.status_code)
        assert_security_headers(response, f"{role} {url} {response.status_code}")
    assert statuses & {200}, statuses


def test_downloads_and_error_pages_carry_them_too(app, client, world, monkeypatch):
    login(client, world.usernames["admin"])
    pdf = client.get(f"/billing/invoices/{world.a.invoice_id}/pdf")
    assert pdf.mimetype == "application/pdf"
    assert_security_headers(pdf, "invoice PDF")
    assert "attachment" in pdf.headers["Content-Disposition"]

    assert_security_headers(client.get("/logout"), "405")
    assert client.get("/logout").status_code == 405
    forbidden = client.get("/portal/")
    assert forbidden.status_code == 403
    assert_security_headers(forbidden, "403")

    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    expired = client.post("/clients/new", data={})
    assert expired.status_code == 400
    assert_security_headers(expired, "CSRF 400")
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)

    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 1024)
    too_big = client.post("/usage/import", data={"file": (io.BytesIO(b"x" * 4096), "u.csv")})
    assert too_big.status_code == 413
    assert_security_headers(too_big, "413")

    api = client.post("/api/v1/usage", json={"rows": []})
    assert api.status_code == 401
    assert_security_headers(api, "API 401")
