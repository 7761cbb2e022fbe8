"""Task decorators that run the function inside the app, and the consumer's start-up.

``@task()`` / ``@periodic(crontab(...))`` wrap ``huey.task`` / ``huey.periodic_task``: in a consumer
the function runs in an app context of the consumer's app (its own database session, removed after
the task); in immediate mode (tests) it runs in the caller's app context. Enqueue a task only after
the transaction that wrote what it reads has committed.
"""

from __future__ import annotations

import functools
import importlib
import logging
import os
import socket
from collections.abc import Callable
from typing import Any

from flask import Flask, has_app_context

from ops.extensions import db
from ops.tasks.queue import backend_name, huey

log = logging.getLogger("ops.tasks")

# Every module that defines tasks: imported by create_app and by the consumer, so that each task is
# registered with Huey under the same name in the web process and in every consumer.
TASK_MODULES: tuple[str, ...] = (
    "ops.tasks.jobs",
    "ops.tasks.heartbeat",
    "ops.events.tasks",
    "ops.tasks.schedule",
    "ops.billing.tasks",
    "ops.usage.tasks",
    "ops.webhooks.tasks",
)

_app: Flask | None = None
# Run by every consumer when it starts, after the sweep of stale jobs: work a killed consumer may have
# taken out of the queue and lost (e.g. PDFs never stored). Registered by the task modules.
STARTUP_SWEEPS: list[Callable[[], Any]] = []


def at_consumer_start(fn: Callable[[], Any]) -> Callable[[], Any]:
    """Register ``fn`` to run (in the app, committed) when a consumer starts."""
    STARTUP_SWEEPS.append(fn)
    return fn


def set_app(app: Flask) -> None:
    global _app
    _app = app


def import_task_modules() -> None:
    for name in TASK_MODULES:
        importlib.import_module(name)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _in_app(fn: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if has_app_context():
            return fn(*args, **kwargs)
        app = _app
        if app is None:
            # A consumer started without ``flask ops worker`` (e.g. huey_consumer): build the app here.
            app = importlib.import_module("ops").create_app()
            set_app(app)
        with app.app_context():
            try:
                return fn(*args, **kwargs)
            finally:
                db.session.remove()

    return wrapper


def task(**kwargs: Any):
    """``huey.task(**kwargs)`` running in the app (see the module's note)."""

    def decorate(fn: Callable[..., Any]):
        return huey.task(name=fn.__name__, **kwargs)(_in_app(fn))

    return decorate


def periodic(validate_datetime: Callable[..., bool], **kwargs: Any):
    """``huey.periodic_task(crontab(...))`` running in the app."""

    def decorate(fn: Callable[..., Any]):
        return huey.periodic_task(validate_datetime, name=fn.__name__, **kwargs)(_in_app(fn))

    return decorate


def run_consumer(
    app: Flask, *, workers: int = 2, worker_type: str = "thread", periodic_tasks: bool = True
) -> None:
    """Run a consumer in this process until SIGINT/SIGTERM (``flask ops worker``)."""
    if huey.immediate:
        raise RuntimeError("the queue is in immediate mode: there is nothing for a consumer to take")
    set_app(app)
    import_task_modules()
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    for name in ("huey", "ops"):
        logger = logging.getLogger(name)
        if not logger.handlers:
            logger.addHandler(handler)
            logger.setLevel(logging.INFO)
            logger.propagate = False

    @huey.on_startup()
    def _fresh_connections() -> None:
        # A forked worker process must not share the parent's database connections.
        with app.app_context():
            db.engine.dispose(close=False)

    with app.app_context():
        from ops.tasks.jobs import sweep_jobs

        sweep_jobs()  # jobs a killed consumer left running are taken up again once their lease ends
        for sweep in STARTUP_SWEEPS:
            sweep()
            db.session.commit()
        db.session.remove()
    # An idle consumer polls the SQLite queue at most a second apart (Huey backs off to 10 s by default:
    # a job started after a quiet spell would wait that long). Redis blocks on the queue instead.
    consumer = huey.create_consumer(
        workers=workers, worker_type=worker_type, periodic=periodic_tasks, max_delay=1.0
    )
    log.info("consumer %s: %s workers (%s), queue %s", worker_name(), workers, worker_type, backend_name())
    consumer.run()
