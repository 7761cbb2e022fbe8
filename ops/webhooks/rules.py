"""Webhook rules without Flask or a database: the event types, the Standard Webhooks signature, the
retry schedule and the secrets. Pure: the standard library only.

The signature follows the Standard Webhooks specification (www.standardwebhooks.com): the signed
content is ``"{msg_id}.{timestamp}.{body}"``, the key is the base64-decoded part of the secret after
``whsec_``, and ``webhook-signature`` is ``v1,<base64 HMAC-SHA256>``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from ops.i18n import N_

# The event types a subscription may choose, with their labels (msgids).
EVENT_TYPES: dict[str, str] = {
    "quote.sent": N_("报价单已发送"),
    "quote.accepted": N_("报价单已接受"),
    "contract.activated": N_("合同已生效"),
    "assignment.live": N_("坐席已上线"),
    "invoice.issued": N_("账单已开具"),
    "invoice.paid": N_("账单已结清"),
    "invoice.voided": N_("账单已作废"),
    "credit_note.issued": N_("红字冲销单已开具"),
}
PING = "webhook.test"  # the "send a test event" button; never emitted as an event
PING_LABEL = N_("测试事件")

# Delivery states: pending (not tried yet, or put back by a resend) -> sending (claimed, committed
# before the request) -> succeeded (2xx) / failed (anything else; retried at next_attempt_at).
DELIVERY_STATES = ("pending", "sending", "succeeded", "failed")
DELIVERY_STATE_LABELS = {
    "pending": N_("待发送"),
    "sending": N_("发送中"),
    "succeeded": N_("成功"),
    "failed": N_("失败，等待重试"),
}

# After the n-th failed attempt the next one waits RETRY_DELAYS[n-1]; past the list, the last delay.
RETRY_DELAYS = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=10),
)
ROTATION_OVERLAP = timedelta(hours=24)  # the old secret keeps signing this long after a rotation
SECRET_PREFIX = "whsec_"
SECRET_BYTES = 24


def retry_delay(attempts: int) -> timedelta:
    """How long to wait after ``attempts`` failed attempts (1 → 1 min, 2 → 5 min, … 6+ → 10 h)."""
    if attempts < 1:
        return timedelta(0)
    return RETRY_DELAYS[min(attempts, len(RETRY_DELAYS)) - 1]


def next_attempt_at(attempts: int, now: datetime) -> datetime:
    """When the delivery that has failed ``attempts`` times is tried again."""
    return now + retry_delay(attempts)


def new_secret() -> str:
    """A fresh signing secret in the Standard Webhooks form ``whsec_<base64 of 24 random bytes>``."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii")


def secret_key(secret: str) -> bytes:
    """The HMAC key of a ``whsec_…`` secret: its base64 part decoded."""
    return base64.b64decode(secret.removeprefix(SECRET_PREFIX))


def secret_hint(secret: str) -> str:
    """What a page may show of a secret: its first characters (to tell two apart), never the rest."""
    return secret[: len(SECRET_PREFIX) + 4] + "…"


def new_message_id() -> str:
    """A delivery's ``webhook-id``: unique, the same for every attempt of the delivery."""
    return "msg_" + secrets.token_hex(12)


def signature(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` header: ``v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">``."""
    content = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret_key(secret), content, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


def signed_headers(
    secret: str, msg_id: str, timestamp: int, body: bytes, *, previous: str | None = None
) -> dict[str, str]:
    """The headers of one attempt (``timestamp`` in unix seconds, the time of the attempt). With
    ``previous`` (a secret rotated out less than ROTATION_OVERLAP ago) the header carries both
    signatures, space-separated, as the spec allows: a receiver holding either one verifies."""
    signatures = [signature(secret, msg_id, timestamp, body)]
    if previous:
        signatures.append(signature(previous, msg_id, timestamp, body))
    return {
        "content-type": "application/json",
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": " ".join(signatures),
    }


def is_success(status: int | None) -> bool:
    """Only a 2xx answer is a delivery; a redirect is not followed and counts as a failure."""
    return status is not None and 200 <= status < 300
