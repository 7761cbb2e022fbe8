"""Queue tasks of the webhooks package: one attempt of a delivery; the minutely retry scan."""

from __future__ import annotations

from datetime import datetime

from huey import crontab

from ops.extensions import db
from ops.tasks.runtime import periodic, task


@task()
def send_webhook_task(delivery_id: int, now: datetime | None = None) -> str:
    """One attempt (enqueued after the row is committed: a dispatch, a resend, a test event)."""
    from ops.webhooks.delivery import send_delivery

    return send_delivery(delivery_id, now)


@periodic(crontab(minute="*"))
def retry_webhooks() -> dict[str, int]:
    """Every minute: disable subscriptions failing for days, then enqueue what is due (retries)."""
    from ops.webhooks.delivery import disable_failing, send_due

    disabled = disable_failing()
    db.session.commit()
    return {"disabled": disabled, "due": send_due()}
