"""The secret at rest (encrypted with the vault key, re-encrypted by rotate-vault-key) and the sender
(connects to the checked address, sends the URL's host name, never follows a redirect)."""

import pytest

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
