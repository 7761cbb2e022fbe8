"""Every document download says ``Cache-Control: no-store, private``: no browser or proxy keeps a copy.

The URL map is walked: every GET route is requested, with objects of the demo world, by each role
the security matrix lets through; whatever comes back as a file (a Content-Disposition, or a
type that is not a page) must forbid storing it. The known download routes must all be among the
files found, so the walk cannot pass by finding none.
"""

from flask import url_for

from ops.web import content_disposition
from tests.conftest import login
from tests.security.test_matrix import MATRIX, OK, routes, url_values
from tests.security.world import ROLES

PAGE_TYPES = {"text/html", "text/plain", "application/json", "application/problem+json"}
KNOWN_DOWNLOADS = {
    "billing.credit_note_pdf",
    "billing.export",
    "billing.invoice_pdf",
    "contracts.download_signed",
    "contracts.pdf",
    "portal.contract_pdf",
    "portal.contract_signed",
    "portal.credit_note_pdf",
    "portal.invoice_pdf",
    "portal.material_download",
    "portal.quote_pdf",
    "quotes.pdf",
    "training.material_download",
    "usage.template",
}


def test_every_download_route_forbids_storing_the_file(app, client, world):
    downloads, failures = set(), []
    for role in ROLES[1:]:
        client.get("/logout")  # GET is refused (405) but harmless; log in afresh below
        client.post("/logout")
        assert login(client, world.usernames[role]).status_code == 302
        for endpoint, rule in sorted(routes(app).items()):
            if "GET" not in rule.methods or MATRIX[endpoint][ROLES.index(role)] != OK:
                continue
            with app.test_request_context():
                url = url_for(endpoint, **url_values(world, rule, role))
            response = client.get(url)
            response.close()
            if response.status_code != 200:
                continue
            if "Content-Disposition" not in response.headers and response.mimetype in PAGE_TYPES:
                continue
            downloads.add(endpoint)
            if response.headers.get("Cache-Control") != "no-store, private":
                failures.append((role, endpoint, response.headers.get("Cache-Control")))
    missing = KNOWN_DOWNLOADS - downloads
    assert missing == set(), f"download routes not reached: {sorted(missing)}"
    assert failures == [], failures


def test_chinese_file_names_get_an_ascii_fallback_and_the_utf8_name():
    assert content_disposition("账单_2026-10.csv", ascii_name="invoices.csv") == (
        "attachment; filename=\"invoices.csv\"; filename*=UTF-8''%E8%B4%A6%E5%8D%95_2026-10.csv"
    )
    assert content_disposition("BJ-2026-0001-v1.pdf") == 'attachment; filename="BJ-2026-0001-v1.pdf"'
    # Quotes and backslashes never reach the plain name (no header injection through a file name).
    assert content_disposition('合同"\\.pdf', as_attachment=False) == (
        "inline; filename=\".pdf\"; filename*=UTF-8''%E5%90%88%E5%90%8C%22%5C.pdf"
    )
