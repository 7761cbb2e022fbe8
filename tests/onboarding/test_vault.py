"""The credential vault: encrypted at rest, revealed only to the right roles, audited, never leaked."""

import json

import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet

from ops.audit.models import AuditEntry
from ops.onboarding import services, vault
from ops.onboarding.vault import VaultError
from tests.onboarding.helpers import make_assignment

PASSWORD = "Tm@ll-子账号-2026!"


def _with_credential(db, make_user):
    trainer = make_user("trainer")
    assignment = make_assignment(db, by=trainer)
    services.set_credential(assignment, "tmall", "晨光家居:客服01", PASSWORD, by=trainer)
    db.session.commit()
    return assignment, trainer


def _audit_text(db) -> str:
    rows = db.session.execute(
        sa.select(AuditEntry.summary, AuditEntry.before, AuditEntry.after, AuditEntry.action)
    ).all()
    return json.dumps([list(r) for r in rows], ensure_ascii=False, default=str)


def test_the_stored_column_never_holds_the_password(db, make_user):
    assignment, _trainer = _with_credential(db, make_user)
    raw = db.session.execute(sa.text("SELECT password_ciphertext, account_name FROM credentials")).one()
    assert PASSWORD not in raw[0] and raw[1] == "晨光家居:客服01"
    assert vault.decrypt(raw[0]) == PASSWORD
    assert PASSWORD not in _audit_text(db)


def test_a_wrong_key_raises_vault_error(app, db):
    token = vault.encrypt("secret-1")
    with pytest.raises(VaultError, match="凭据无法解密：加密密钥与加密时不一致"):
        vault.decrypt(token, key=Fernet.generate_key())
    original = app.config["VAULT_KEY"]
    app.config["VAULT_KEY"] = Fernet.generate_key().decode()
    try:
        with pytest.raises(VaultError):
            vault.decrypt(token)
    finally:
        app.config["VAULT_KEY"] = original
    assert vault.decrypt(token) == "secret-1"


def test_reveal_shows_once_with_no_store_and_is_audited(client, login_as, make_user, db):
    assignment, _trainer = _with_credential(db, make_user)
    manager = login_as("manager")
    page = client.get(f"/onboarding/assignments/{assignment.id}")
    assert PASSWORD not in page.get_data(as_text=True)
    response = client.post(f"/onboarding/assignments/{assignment.id}/credential/reveal")
    assert response.status_code == 200
    assert PASSWORD in response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "credential.revealed"))
    assert entry.actor == manager.username and entry.object_id == assignment.id
    assert PASSWORD not in _audit_text(db)
    # Shown once: the next page view and the session hold no trace of it.
    again = client.get(f"/onboarding/assignments/{assignment.id}").get_data(as_text=True)
    assert PASSWORD not in again
    with client.session_transaction() as session:
        assert PASSWORD not in json.dumps(dict(session), ensure_ascii=False, default=str)
    assert PASSWORD not in client.get("/onboarding/assignments").get_data(as_text=True)


@pytest.mark.parametrize("role", ["sales", "finance", "client"])
def test_reveal_refused_to_other_roles(client, login_as, make_user, db, role):
    assignment, _trainer = _with_credential(db, make_user)
    fields = {"client_id": assignment.client_id} if role == "client" else {}
    login_as(role, **fields)
    response = client.post(f"/onboarding/assignments/{assignment.id}/credential/reveal")
    assert response.status_code in (403, 404)
    assert PASSWORD not in response.get_data(as_text=True)
    assert not db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "credential.revealed"))
    with pytest.raises(services.NotAllowed):
        services.reveal_password(assignment, by=make_user(role, **fields))


def test_setting_a_new_password_keeps_it_encrypted_and_blank_keeps_the_old(app, db, make_user):
    assignment, trainer = _with_credential(db, make_user)
    services.set_credential(assignment, "tmall", "晨光家居:客服02", "", by=trainer)
    db.session.commit()
    assert services.reveal_password(assignment, by=trainer) == PASSWORD
    services.set_credential(assignment, "tmall", "晨光家居:客服02", "New-pass-9", by=trainer)
    db.session.commit()
    assert services.reveal_password(assignment, by=trainer) == "New-pass-9"
    raw = db.session.execute(sa.text("SELECT password_ciphertext FROM credentials")).scalar_one()
    assert "New-pass-9" not in raw and "New-pass-9" not in _audit_text(db)


def test_credential_form_through_the_page(client, login_as, db):
    trainer = login_as("trainer")
    assignment = make_assignment(db, by=trainer)
    response = client.post(
        f"/onboarding/assignments/{assignment.id}/credential",
        data={"platform": "pdd", "account_name": "优品:小美", "password": "Pdd#pass1"},
    )
    assert response.status_code == 302
    html = client.get(f"/onboarding/assignments/{assignment.id}").get_data(as_text=True)
    assert "优品:小美" in html and "Pdd#pass1" not in html
    raw = db.session.execute(sa.text("SELECT password_ciphertext FROM credentials")).scalar_one()
    assert "Pdd#pass1" not in raw
