"""Rotating the vault key (MultiFernet) and the secret key (SECRET_KEY_FALLBACKS)."""

import json
import signal
import subprocess
import sys
import textwrap

import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet

from ops.audit.models import AuditEntry
from ops.config import TestConfig
from ops.onboarding import services, vault
from ops.onboarding.models import Credential
from tests.backup.conftest import app_on, dispose
from tests.conftest import ROOT
from tests.onboarding.helpers import make_agent, make_assignment, make_contract

OLD = TestConfig.VAULT_KEY
NEW = "Yx8f3mQ0pV5s1nKc7dR2tW9hL4gB6jZ0aE3uN8yC1qI="
PASSWORDS = ["Tm@ll-子账号-01", "JD#pass-02", "Pdd!pass-03", "Dy$pass-04", "Ks%pass-05"]


@pytest.fixture
def vault_key(app):
    """Set app.config["VAULT_KEY"] for a test; the original comes back afterwards."""
    original = app.config["VAULT_KEY"]

    def use(value: str):
        app.config["VAULT_KEY"] = value

    yield use
    app.config["VAULT_KEY"] = original


@pytest.fixture
def credentials(db, make_user):
    """Five assignments with a credential each, encrypted under the OLD key; returns (ids, trainer)."""
    trainer = make_user("trainer", username="trainer1")
    contract = make_contract(db)
    ids = []
    for n, password in enumerate(PASSWORDS):
        assignment = make_assignment(db, contract, make_agent(db, name=f"客服{n}"), by=trainer)
        services.set_credential(assignment, "tmall", f"店铺:客服{n:02d}", password, by=trainer)
        ids.append(assignment.id)
    db.session.commit()
    return ids, trainer.id


def reveal_all(db, ids, trainer_id) -> list[str]:
    from ops.auth.models import User
    from ops.onboarding.models import Assignment

    db.session.remove()
    trainer = db.session.get(User, trainer_id)
    plain = [services.reveal_password(db.session.get(Assignment, i), by=trainer) for i in ids]
    db.session.commit()
    return plain


def ciphertexts(db) -> list[str]:
    db.session.remove()
    return db.session.scalars(sa.select(Credential.password_ciphertext).order_by(Credential.id)).all()


def test_after_rotation_the_new_key_alone_reads_every_credential(runner, db, credentials, vault_key):
    ids, trainer = credentials
    vault_key(f"{NEW},{OLD}")
    result = runner.invoke(args=["ops", "rotate-vault-key"])
    assert result.exit_code == 0, result.output
    assert "重新加密 5 个凭据" in result.output
    vault_key(NEW)  # the old key is gone
    assert reveal_all(db, ids, trainer) == PASSWORDS
    for token in ciphertexts(db):
        with pytest.raises(vault.VaultError):
            vault.decrypt(token, key=OLD)
    rotated = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "vault.key_rotated")).all()
    assert len(rotated) == 1 and rotated[0].after == {"credentials": 5, "keys_configured": 2}
    assert all(p not in json.dumps(rotated[0].after, ensure_ascii=False) for p in PASSWORDS)
    # Reveal is still audited, once per reveal.
    revealed = db.session.scalar(
        sa.select(sa.func.count()).select_from(AuditEntry).where(AuditEntry.action == "credential.revealed")
    )
    assert revealed == len(PASSWORDS)


def test_one_unreadable_credential_changes_nothing(runner, db, credentials, vault_key):
    db.session.execute(
        sa.update(Credential)
        .where(Credential.id == db.session.scalar(sa.select(sa.func.max(Credential.id))))
        .values(password_ciphertext=Fernet(Fernet.generate_key()).encrypt(b"x").decode())
    )
    db.session.commit()
    before = ciphertexts(db)
    vault_key(f"{NEW},{OLD}")
    result = runner.invoke(args=["ops", "rotate-vault-key"])
    assert (
        result.exit_code != 0
        and "1 个凭据无法用当前密钥解密" in result.output
        and "未做任何改动" in result.output
    )
    assert ciphertexts(db) == before
    assert not db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "vault.key_rotated"))


KILLED_ROTATION = textwrap.dedent("""
    import os, signal, sys
    sys.path.insert(0, {root!r})
    from ops import create_app
    from ops.config import TestConfig
    from ops.onboarding import services, vault

    config = {{k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()}}
    config.update(SQLALCHEMY_DATABASE_URI={url!r}, UPLOAD_DIR={uploads!r}, VAULT_KEY={keys!r})
    app = create_app(config)
    real_rotate, calls = vault.rotate, []

    def rotate_then_die(token, **kw):
        calls.append(1)
        if len(calls) == 3:  # two credentials rewritten (flushed) in the open transaction
            os.kill(os.getpid(), signal.SIGKILL)
        return real_rotate(token, **kw)

    vault.rotate = rotate_then_die
    with app.app_context():
        services.rotate_vault_key()
""")


@pytest.mark.slow
def test_a_rotation_killed_half_way_leaves_every_credential_readable(app, runner, db, credentials, vault_key):
    ids, trainer = credentials
    before = ciphertexts(db)
    db.session.remove()
    script = KILLED_ROTATION.format(
        root=str(ROOT),
        url=app.config["SQLALCHEMY_DATABASE_URI"],
        uploads=app.config["UPLOAD_DIR"],
        keys=f"{NEW},{OLD}",
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == -signal.SIGKILL, done.stderr[-2000:]
    # Killed inside the one transaction: nothing was committed, every credential reads with the list.
    assert ciphertexts(db) == before
    vault_key(f"{NEW},{OLD}")
    assert reveal_all(db, ids, trainer) == PASSWORDS
    # Run again, it completes; then the new key alone reads them, and reveals are audited.
    assert runner.invoke(args=["ops", "rotate-vault-key"]).exit_code == 0
    vault_key(NEW)
    assert reveal_all(db, ids, trainer) == PASSWORDS
    assert db.session.scalar(
        sa.select(sa.func.count()).select_from(AuditEntry).where(AuditEntry.action == "credential.revealed")
    ) == 2 * len(PASSWORDS)


def test_new_key_in_development_is_prepended_to_the_instance_file(
    app, runner, db, credentials, vault_key, tmp_path, monkeypatch
):
    ids, trainer = credentials
    monkeypatch.delenv("OPS_VAULT_KEY", raising=False)
    key_file = tmp_path / "vault_key"
    key_file.write_text(OLD)
    monkeypatch.setitem(app.config, "VAULT_KEY_FILE", str(key_file))
    result = runner.invoke(args=["ops", "rotate-vault-key", "--new-key"])
    assert result.exit_code == 0, result.output
    keys = key_file.read_text().split(",")
    assert len(keys) == 2 and keys[1] == OLD and keys[0] != OLD
    assert key_file.stat().st_mode & 0o777 == 0o600
    vault_key(keys[0])  # the new key alone
    assert reveal_all(db, ids, trainer) == PASSWORDS


def test_new_key_in_production_only_prints_the_steps(app, runner, db, credentials, monkeypatch):
    before = ciphertexts(db)
    monkeypatch.setitem(app.config, "ENV_NAME", "production")
    result = runner.invoke(args=["ops", "rotate-vault-key", "--new-key"])
    assert result.exit_code == 0 and "新密钥：" in result.output and "OPS_VAULT_KEY" in result.output
    Fernet(result.output.split("新密钥：")[1].split()[0].encode())  # a usable key
    assert ciphertexts(db) == before


def test_the_vault_reads_every_key_of_the_list_and_writes_with_the_first(db, vault_key):
    token_old = vault.encrypt("secret-1", key=OLD)
    vault_key(f"{NEW}, {OLD}")  # spaces around the comma are fine
    assert vault.decrypt(token_old) == "secret-1"
    fresh = vault.encrypt("secret-2")
    assert vault.decrypt(fresh, key=NEW) == "secret-2"
    with pytest.raises(vault.VaultError):
        vault.decrypt(fresh, key=OLD)


# --- the secret key -----------------------------------------------------------------------------

OLD_SECRET = "old-secret-key-0123456789-abcdefghijklmnop"
NEW_SECRET = "new-secret-key-9876543210-qrstuvwxyzabcdef"


def test_a_session_signed_with_the_old_secret_key_survives_in_the_fallbacks(app, db, make_user, tmp_path):
    make_user("admin", username="boss")
    uri, uploads = app.config["SQLALCHEMY_DATABASE_URI"], tmp_path / "up"
    apps = {
        "old": app_on(uri, uploads, SECRET_KEY=OLD_SECRET),
        "rotated": app_on(uri, uploads, SECRET_KEY=NEW_SECRET, SECRET_KEY_FALLBACKS=[OLD_SECRET]),
        "without": app_on(uri, uploads, SECRET_KEY=NEW_SECRET, SECRET_KEY_FALLBACKS=[]),
    }
    try:
        browser = apps["old"].test_client()
        assert (
            browser.post("/login", data={"username": "boss", "password": "correct-horse-1"}).status_code
            == 302
        )
        cookie = browser.get_cookie("session").value
        assert browser.get("/").status_code == 200

        rotated = apps["rotated"].test_client()
        rotated.set_cookie("session", cookie)
        assert rotated.get("/").status_code == 200  # still logged in

        without = apps["without"].test_client()
        without.set_cookie("session", cookie)
        answer = without.get("/")
        assert answer.status_code == 302 and "/login" in answer.headers["Location"]
    finally:
        for other in apps.values():
            dispose(other)
