"""The client portal: own contracts only, never drafts; PDF and signed copy as attachments."""

import pytest

from ops.contracts import services
from tests.contracts.helpers import make_accepted_quote, make_contract, sign_and_pay
from tests.factories import TAX_IDS, make_client


@pytest.fixture
def two_clients(db):
    mine = make_contract(db)  # 北京晨光家居用品有限公司
    sign_and_pay(db, mine)
    services.activate(mine)
    db.session.commit()
    other_client = make_client(
        db, name="上海优品美妆旗舰店", legal_name="上海优品美妆有限公司", tax_id=TAX_IDS[1]
    )
    theirs = make_contract(db, make_accepted_quote(db, client=other_client, number="BJ-2026-0002"))
    sign_and_pay(db, theirs)
    draft = make_contract(db, make_accepted_quote(db, client=mine.client, number="BJ-2026-0003"))
    return mine, theirs, draft


def test_client_sees_own_contracts_only(client, login_as, two_clients):
    mine, theirs, draft = two_clients
    login_as("client", client_id=mine.client_id)
    html = client.get("/portal/contracts").get_data(as_text=True)
    assert mine.number in html and theirs.number not in html
    assert f"/portal/contracts/{draft.id}" not in html
    html = client.get(f"/portal/contracts/{mine.id}").get_data(as_text=True)
    for text in ("¥5,250.00", "¥21,000.00", "次月 5 日前", "首次响应时间不高于 30 秒", "生效中"):
        assert text in html, text
    assert "内部备注" not in html
    pdf = client.get(f"/portal/contracts/{mine.id}/pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF-")
    assert pdf.headers["Content-Disposition"].startswith("attachment")
    signed = client.get(f"/portal/contracts/{mine.id}/signed")
    assert signed.status_code == 200 and signed.headers["Content-Disposition"].startswith("attachment")
    assert signed.data.startswith(b"%PDF-")
    signed.close()
    assert "合同" in client.get("/portal/").get_data(as_text=True)


def test_other_clients_contracts_and_own_drafts_are_404(client, login_as, two_clients):
    mine, theirs, draft = two_clients
    login_as("client", client_id=mine.client_id)
    for contract in (theirs, draft):
        for suffix in ("", "/pdf", "/signed"):
            assert client.get(f"/portal/contracts/{contract.id}{suffix}").status_code == 404, (
                contract.id,
                suffix,
            )
    assert client.get("/portal/contracts/999999").status_code == 404


def test_staff_cannot_use_the_portal(client, login_as, two_clients):
    login_as("manager")
    assert client.get("/portal/contracts").status_code == 403
