"""The secret at rest (encrypted with the vault key, re-encrypted by rotate-vault-key) and the sender
(connects to the checked address, sends the URL's host name, never follows a redirect)."""

import ssl
from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from ops.config import TestConfig
from ops.onboarding import vault
from ops.webhooks import sender, services
from ops.webhooks.ssrf import Target
from tests.webhooks.helpers import reload, subscribe
from tests.webhooks.receiver import Receiver

OLD = TestConfig.VAULT_KEY
NEW = "Yx8f3mQ0pV5s1nKc7dR2tW9hL4gB6jZ0aE3uN8yC1qI="


@pytest.fixture
def vault_key(app):
    original = app.config["VAULT_KEY"]

    def use(value: str):
        app.config["VAULT_KEY"] = value

    yield use
    app.config["VAULT_KEY"] = original


def test_rotate_vault_key_re_encrypts_the_webhook_secrets(runner, db, make_user, vault_key):
    subscription, secret = subscribe(make_user("admin"), "http://127.0.0.1:9/x", ["invoice.paid"])
    vault_key(f"{NEW},{OLD}")
    result = runner.invoke(args=["ops", "rotate-vault-key"])
    assert result.exit_code == 0 and "重新加密 1 个凭据（含 Webhook 签名密钥）" in result.output
    vault_key(NEW)  # the old key is gone
    subscription = reload(subscription)
    assert services.secret_of(subscription) == secret
    with pytest.raises(vault.VaultError):
        vault.decrypt(subscription.secret_ciphertext, key=OLD)


def test_the_sender_connects_to_the_checked_address_with_the_urls_host_name():
    with Receiver(200) as receiver:
        # The name would resolve elsewhere (or nowhere): the socket goes to the address checked.
        target = Target("http", "hooks.example.test", receiver.port, "/in?x=1", "127.0.0.1")
        outcome = sender.post(target, {"content-type": "application/json"}, b"{}", timeout=5)
    assert outcome == sender.Outcome(200, "")
    [got] = receiver.received
    assert got.path == "/in?x=1" and got.headers["host"] == f"hooks.example.test:{receiver.port}"
    assert got.body == b"{}"


def _certificate(tmp_path, name: str):
    """A self-signed certificate for ``name`` and its key, as PEM files."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = tmp_path / f"{name}.pem", tmp_path / f"{name}.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_file, key_file


@pytest.mark.parametrize(("served_name", "ok"), [("hooks.example.test", True), ("other.example.test", False)])
def test_https_to_the_checked_address_sends_the_name_as_sni_and_checks_the_certificate(
    tmp_path, monkeypatch, served_name, ok
):
    cert_file, key_file = _certificate(tmp_path, served_name)
    seen_sni = []
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(cert_file, key_file)
    server_context.sni_callback = lambda sock, name, ctx: seen_sni.append(name)
    trusted = ssl.create_default_context(cafile=str(cert_file))  # the test's CA instead of the system's
    monkeypatch.setattr(sender.ssl, "create_default_context", lambda: trusted)

    with Receiver(200) as receiver:
        receiver.server.socket = server_context.wrap_socket(receiver.server.socket, server_side=True)
        target = Target("https", "hooks.example.test", receiver.port, "/in", "127.0.0.1")
        outcome = sender.post(target, {}, b"{}", timeout=5)

    assert seen_sni == ["hooks.example.test"]  # SNI is the URL's name, not the address connected to
    if ok:
        assert outcome == sender.Outcome(200, "") and receiver.received[0].headers["host"].startswith(
            "hooks.example.test"
        )
    else:
        assert outcome.status is None and "certificate" in outcome.error.lower()
        assert receiver.received == []
