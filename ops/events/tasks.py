"""Queue tasks of the events package: delivering events (notifications, e-mail)."""

from huey import crontab

from ops.tasks.runtime import periodic, task


@task()
def dispatch_events_task() -> dict:
    """Enqueued after every commit that wrote events (ops/notify/dispatching.py)."""
    from ops.notify.services import dispatch_events

    return dispatch_events()


@periodic(crontab(minute="*"))
def dispatch_events_periodically() -> dict:
    """The safety net: events whose enqueue was lost, deliveries waiting for a PDF, every minute."""
    from ops.notify.services import dispatch_events

    return dispatch_events()
