"""The pure rules: the Standard Webhooks signature (checked with the spec's reference library), the
secrets, the retry schedule."""

import base64
import time
from datetime import UTC, datetime, timedelta

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from ops.webhooks import rules


def test_a_signed_message_verifies_with_the_reference_library():
    secret = rules.new_secret()
    body = '{"data":{"invoice":{"number":"INV-2026-00001","total_fen":1060000}},"type":"invoice.paid"}'
    headers = rules.signed_headers(secret, "msg_abc", int(time.time()), body.encode())

    assert Webhook(secret).verify(body, headers)["data"]["invoice"]["total_fen"] == 1060000
    assert headers["webhook-id"] == "msg_abc" and headers["webhook-signature"].startswith("v1,")


def test_another_secret_a_changed_body_or_an_old_timestamp_fail_verification():
    secret = rules.new_secret()
    body = b'{"type":"invoice.paid"}'
    headers = rules.signed_headers(secret, "msg_abc", int(time.time()), body)
    with pytest.raises(WebhookVerificationError):
        Webhook(rules.new_secret()).verify(body, headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(b'{"type":"invoice.voided"}', headers)
    old = rules.signed_headers(secret, "msg_abc", int(time.time()) - 600, body)
    with pytest.raises(WebhookVerificationError, match="too old"):
        Webhook(secret).verify(body, old)


def test_the_signature_is_hmac_sha256_of_id_timestamp_body_with_the_decoded_secret():
    # The spec's example secret and message: the expected value is the one its documentation prints.
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    body = b'{"test": 2432232314}'
    expected = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    assert rules.signature(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body) == expected


def test_a_new_secret_is_whsec_and_24_random_bytes():
    secret = rules.new_secret()
    assert secret.startswith("whsec_") and len(base64.b64decode(secret[6:])) == 24
    assert rules.new_secret() != secret
    assert rules.secret_hint(secret) == secret[:10] + "…"


def test_retry_delays_grow_then_stay_at_ten_hours():
    minutes = [rules.retry_delay(n) / timedelta(minutes=1) for n in range(1, 10)]
    #            1 min, 5 min, 30 min, 2 h, 5 h,  10 h, then every 10 h
    assert minutes == [1, 5, 30, 120, 300, 600, 600, 600, 600]
    now = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
    assert rules.next_attempt_at(2, now) == datetime(2026, 11, 30, 12, 5, tzinfo=UTC)


@pytest.mark.parametrize(
    ("status", "ok"),
    [
        (200, True),
        (204, True),
        (299, True),
        (301, False),
        (302, False),
        (404, False),
        (500, False),
        (None, False),
    ],
)
def test_only_2xx_is_a_delivery(status, ok):
    assert rules.is_success(status) is ok


def test_after_a_rotation_both_signatures_are_sent_and_either_secret_verifies():
    old, new = rules.new_secret(), rules.new_secret()
    body = b'{"type":"invoice.paid"}'
    headers = rules.signed_headers(new, "msg_abc", int(time.time()), body, previous=old)
    assert len(headers["webhook-signature"].split(" ")) == 2
    Webhook(new).verify(body, headers)
    Webhook(old).verify(body, headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(rules.new_secret()).verify(body, headers)
