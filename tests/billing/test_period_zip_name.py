"""The period ZIP's file name (issue 14: it was reported downloading as ``_2026-12.zip``)."""

from urllib.parse import quote

from tests.billing.helpers import issued_for, make_contract


def test_the_period_zip_is_named_after_its_period(client, login_as, db):
    issued_for(db, make_contract(db))
    login_as("finance")
    started = client.post("/billing/zip", data={"period": "2026-09"})  # a job writes the ZIP
    response = client.get(started.headers["Location"] + "/download")
    assert response.status_code == 200
    response.close()
    disposition = response.headers["Content-Disposition"]
    # Old clients read filename=, browsers the RFC 5987 filename*= (Chromium saves 账单_2026-09.zip).
    assert 'filename="invoices_2026-09.zip"' in disposition
    assert f"filename*=UTF-8''{quote('账单_2026-09.zip')}" in disposition
