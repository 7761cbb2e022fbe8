"""Queue tasks of the events package: delivering events (notifications, e-mail)."""

from huey import crontab

from ops.tasks.runtime import periodic, task


@task()
def dispatch_events_task() -> dict:
    """Enqueued after a commit that wrote events, unless one is already waiting (ops/notify/dispatching.py)."""
    from ops.notify.dispatching import clear_pending
    from ops.notify.services import dispatch_events

    clear_pending()  # before reading the events: a commit from now on enqueues another dispatch
    return dispatch_events()


@periodic(crontab(minute="*"))
def dispatch_events_periodically() -> dict:
    """The safety net: events whose enqueue was lost, deliveries waiting for a PDF, every minute."""
    from ops.notify.dispatching import clear_pending
    from ops.notify.services import dispatch_events

    clear_pending()  # a flag an interrupted enqueue or a killed consumer left behind
    return dispatch_events()
