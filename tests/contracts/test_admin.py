"""Admin pages: the breach-clause library and the vendor profile (admins only, audited)."""

import pytest
import sqlalchemy as sa

from ops.audit.models import AuditEntry
from ops.contracts.models import ClauseTemplate, VendorProfile


@pytest.mark.parametrize("role", ["manager", "sales", "trainer", "finance"])
def test_only_admins(client, login_as, role):
    login_as(role)
    for url in ("/admin/clauses", "/admin/clauses/new", "/admin/vendor"):
        assert client.get(url).status_code == 403, url
    assert client.post("/admin/vendor", data={"name": "x"}).status_code == 403


def test_empty_library_is_seeded_then_edited_and_deactivated(client, login_as, db):
    login_as("admin")
    html = client.get("/admin/clauses").get_data(as_text=True)
    assert "信息安全与保密" in html and "定金条款" in html
    count = db.session.scalar(sa.select(sa.func.count()).select_from(ClauseTemplate))
    client.get("/admin/clauses")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ClauseTemplate)) == count

    response = client.post("/admin/clauses/new", data={"title": "", "body": "", "position": "9"})
    assert response.status_code == 200 and "请填写条款标题" in response.get_data(as_text=True)
    response = client.post(
        "/admin/clauses/new",
        data={"title": "人员稳定", "body": "乙方客服月流失率不超过 20%。", "position": "9"},
    )
    assert response.status_code == 302
    template = db.session.scalar(sa.select(ClauseTemplate).where(ClauseTemplate.title == "人员稳定"))
    response = client.post(
        f"/admin/clauses/{template.id}/edit",
        data={"title": "人员稳定性", "body": "月流失率不超过 15%。", "position": "1"},
    )
    assert response.status_code == 302
    client.post(f"/admin/clauses/{template.id}/deactivate")
    db.session.expire_all()
    template = db.session.get(ClauseTemplate, template.id)
    assert (template.title, template.position, template.is_active) == ("人员稳定性", 1, False)
    actions = set(
        db.session.scalars(sa.select(AuditEntry.action).where(AuditEntry.object_type == "clause_templates"))
    )
    assert {"clause_template.created", "clause_template.updated", "clause_template.deactivated"} <= actions


def test_vendor_profile_checks_the_credit_code(client, login_as, db):
    login_as("admin")
    assert client.get("/admin/vendor").status_code == 200
    data = {
        "name": "杭州云帆客服外包有限公司",
        "tax_id": "91330106MA2B2QXY3N",
        "address": "杭州市西湖区",
        "phone": "0571-8888 6666",
        "bank_name": "招商银行",
        "bank_account": "5719 0000 1111",
    }
    response = client.post("/admin/vendor", data=data)
    assert response.status_code == 200 and "校验位不正确" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(VendorProfile.tax_id)) in (None, "")
    response = client.post("/admin/vendor", data=data | {"tax_id": "91330106ma2b2qxy3m"})
    assert response.status_code == 302
    profile = db.session.scalar(sa.select(VendorProfile))
    assert (profile.tax_id, profile.bank_name) == ("91330106MA2B2QXY3M", "招商银行")
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "vendor_profile.updated"))
    assert entry.after["tax_id"] == "91330106MA2B2QXY3M"


def test_new_contracts_copy_the_vendor_profile(client, login_as, db):
    from tests.contracts.helpers import make_contract

    login_as("admin")
    client.post(
        "/admin/vendor",
        data={
            "name": "杭州云帆客服外包有限公司",
            "tax_id": "91330106MA2B2QXY3M",
            "address": "杭州市西湖区文三路 398 号",
            "phone": "",
            "bank_name": "",
            "bank_account": "",
        },
    )
    contract = make_contract(db)
    assert (contract.vendor_tax_id, contract.vendor_address) == (
        "91330106MA2B2QXY3M",
        "杭州市西湖区文三路 398 号",
    )


def test_the_page_footer_names_the_vendor_from_its_profile(client, login_as, db):
    # One place for the vendor's identity: the /admin/vendor profile (OPS_VENDOR_NAME only before one).
    from ops.contracts.models import VendorProfile

    login_as("admin")
    assert "杭州云帆客服外包有限公司" in client.get("/").get_data(as_text=True)  # the configured default
    db.session.add(VendorProfile(name="宁波海曙云客服有限公司"))
    db.session.commit()
    page = client.get("/").get_data(as_text=True)
    assert "宁波海曙云客服有限公司" in page and "杭州云帆客服外包有限公司" not in page
