"""Archiving a client: hidden from the list and from new quotes, every record kept, reversible."""

import sqlalchemy as sa

from ops.audit.models import AuditEntry
from ops.clients.models import Client
from ops.contracts.models import Contract
from tests.contracts.helpers import make_contract
from tests.factories import make_client


def _names(response) -> str:
    return response.get_data(as_text=True)


def test_manager_archives_a_client_it_leaves_the_list_and_comes_back(client, login_as, db):
    kept = make_client(db, name="留在列表的客户")
    gone = make_client(db, name="要归档的客户", tax_id="91330106MA2B2QXY3M")
    login_as("manager")

    response = client.post(f"/clients/{gone.id}/archive", data={"reason": "合作结束，不再续约"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Client, gone.id).archived_at is not None
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "client.archived"))
    assert entry.object_id == gone.id and entry.summary == "合作结束，不再续约"

    listed = _names(client.get("/clients/"))
    assert "留在列表的客户" in listed and "要归档的客户" not in listed
    archived = _names(client.get("/clients/?archived=1"))
    assert "要归档的客户" in archived and "留在列表的客户" not in archived
    # The client's own page still opens, with everything on it.
    assert "已归档" in _names(client.get(f"/clients/{gone.id}"))

    assert client.post(f"/clients/{gone.id}/restore", data={}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Client, gone.id).archived_at is None
    assert "要归档的客户" in _names(client.get("/clients/"))
    assert kept.archived_at is None


def test_archive_needs_a_reason_and_changes_nothing_without_one(client, login_as, db):
    target = make_client(db)
    login_as("admin")
    response = client.post(f"/clients/{target.id}/archive", data={"reason": "  "}, follow_redirects=True)
    assert response.status_code == 200
    assert "请填写原因" in _names(response)
    db.session.expire_all()
    assert db.session.get(Client, target.id).archived_at is None


def test_a_client_with_a_contract_not_over_cannot_be_archived(client, login_as, db):
    contract = make_contract(db)  # a draft contract
    login_as("manager")
    response = client.post(
        f"/clients/{contract.client_id}/archive", data={"reason": "误建"}, follow_redirects=True
    )
    assert "未结束的合同" in _names(response)
    db.session.expire_all()
    assert db.session.get(Client, contract.client_id).archived_at is None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Contract)) == 1


def test_only_managers_and_admins_archive(client, login_as, db):
    target = make_client(db)
    for role in ("sales", "trainer", "finance"):
        client.post("/logout")
        login_as(role)
        assert client.post(f"/clients/{target.id}/archive", data={"reason": "x"}).status_code == 403
        assert client.post(f"/clients/{target.id}/restore", data={}).status_code == 403
    db.session.expire_all()
    assert db.session.get(Client, target.id).archived_at is None


def test_an_archived_client_is_not_offered_for_a_new_quote(client, login_as, db):
    from tests.factories import make_needs

    open_one = make_client(db, name="可报价客户")
    make_needs(db, open_one)
    archived = make_client(db, name="已归档客户", tax_id="91330106MA2B2QXY3M")
    make_needs(db, archived)
    login_as("manager")
    client.post(f"/clients/{archived.id}/archive", data={"reason": "停止合作"})
    page = _names(client.get("/quotes/new"))
    assert "可报价客户" in page and "已归档客户" not in page
