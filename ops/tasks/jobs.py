"""Jobs: long work run by the queue, shown to users with progress (docs/queue.md).

A kind of job is registered once with ``register_kind``: how to list its items, how to do one item,
and what to make at the end. ``start_job`` writes the job row, commits and enqueues; a consumer runs
it: it claims the job (a lease it renews as it goes), lists the items once, does every pending item
(each committed on its own and marked done after), then finishes. A consumer killed mid-job leaves
the job "running" with a lease that runs out; ``sweep_jobs`` (at every consumer start and every
minute) hands it to the queue again and the next consumer goes on from the first item not marked
done — so an item function must be idempotent (redoing the item it was on changes nothing).
Cancel stops a running job after its current item; Retry runs the failed items again.
"""

from __future__ import annotations

import logging
import shutil
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import current_app
from huey import crontab

from ops.audit.services import record
from ops.errors import Conflict, NotAllowed, ServiceError
from ops.extensions import db
from ops.i18n import N_, LazyText, _l
from ops.tasks.models import Job, JobItem
from ops.tasks.runtime import periodic, task, worker_name
from ops.timeutil import utcnow
from ops.transactions import lock_row, write_transaction

log = logging.getLogger("ops.tasks.jobs")

ItemSpec = str | tuple[str, str]  # a key, or (key, label shown on the job page)
Progress = Callable[[int, int, str], None]


class JobItemError(ServiceError):
    """One item of a job could not be done: the message is shown beside it on the job page."""


@dataclass(frozen=True)
class JobKind:
    name: str
    label: str | LazyText
    roles: tuple[str, ...]
    items: Callable[[Job], Sequence[ItemSpec]]
    run_item: Callable[[Job, str], str | None]
    finish: Callable[[Job, Progress], dict | None] | None = None


KINDS: dict[str, JobKind] = {}


def register_kind(
    name: str,
    *,
    label: str | LazyText,
    roles: Sequence[str],
    items: Callable[[Job], Sequence[ItemSpec]],
    run_item: Callable[[Job, str], str | None],
    finish: Callable[[Job, Progress], dict | None] | None = None,
) -> JobKind:
    kind = JobKind(name, label, tuple(roles), items, run_item, finish)
    KINDS[name] = kind
    return kind


def kind_label(name: str) -> str:
    kind = KINDS.get(name)
    return str(kind.label) if kind else name


def lease_seconds() -> int:
    return int(current_app.config.get("JOB_LEASE_SECONDS", 60))


def job_dir(job: Job) -> Path:
    """The job's own folder for the files it writes (under JOB_DIR; shared storage on many hosts)."""
    path = Path(current_app.config["JOB_DIR"]) / str(job.id)
    path.mkdir(parents=True, exist_ok=True)
    return path


def result_file(job: Job) -> Path | None:
    """The finished job's file, when it has one and it is still on disk."""
    name = (job.result or {}).get("file")
    if job.status != "done" or not name:
        return None
    path = Path(current_app.config["JOB_DIR"]) / str(job.id) / Path(name).name
    return path if path.is_file() else None


# --- starting, cancelling, retrying (the views' services) ----------------------------------------


def may_see(user, job: Job) -> bool:
    kind = KINDS.get(job.kind)
    return kind is not None and getattr(user, "role", None) in kind.roles


def visible_kinds(user) -> list[str]:
    return [name for name, kind in KINDS.items() if getattr(user, "role", None) in kind.roles]


def start_job(kind: str, params: dict[str, Any] | None = None, *, by=None, total: int = 0) -> Job:
    """Write the job (queued), commit, and hand it to the queue. Returns the job."""
    spec = KINDS.get(kind)
    if spec is None:
        raise ServiceError(_l("未知的任务类型：%(kind)s。", kind=kind))
    if by is not None and getattr(by, "role", None) not in spec.roles:
        raise NotAllowed(_l("您无权启动这项任务。"))
    job = Job(
        kind=kind,
        params=params or {},
        status="queued",
        total=total,
        created_by_id=getattr(by, "id", None),
        enqueued_at=utcnow(),
        message="",
    )
    db.session.add(job)
    db.session.flush()
    record("job.started", job, summary=kind, after={"params": job.params}, actor=by)
    db.session.commit()
    enqueue(job.id)
    return job


def cancel_job(job: Job, *, by=None) -> Job:
    """Cancel a job: at once when it has not started, after its current item when it is running."""
    job = lock_row(Job, job.id)
    if job.finished:
        raise Conflict(_l("任务已结束，不能取消。"))
    if job.status == "queued":
        _mark_cancelled(job)
    else:
        job.cancel_requested = True
        job.message = str(_l("正在取消……"))
    record("job.cancelled", job, actor=by)
    return job


def retry_failed(job: Job, *, by=None) -> Job:
    """Run the failed items of a finished job again (or a job that failed as a whole)."""
    job = lock_row(Job, job.id)
    if not job.finished:
        raise Conflict(_l("任务仍在进行，不能重试。"))
    failed = db.session.scalars(
        sa.select(JobItem).where(JobItem.job_id == job.id, JobItem.status.in_(("failed", "cancelled")))
    ).all()
    if not failed and job.status != "failed":
        raise Conflict(_l("没有失败的条目需要重试。"))
    for item in failed:
        item.status = "pending"
        item.message = ""
        item.finished_at = None
    job.done = (
        db.session.scalar(
            sa.select(sa.func.count()).where(JobItem.job_id == job.id, JobItem.status.in_(("done", "failed")))
        )
        or 0
    )
    job.status = "queued"
    job.cancel_requested = False
    job.finished_at = None
    job.worker = None
    job.lease_until = None
    job.enqueued_at = utcnow()
    job.message = str(_l("等待重试……"))
    record("job.retried", job, after={"items": len(failed)}, actor=by)
    return job


def enqueue(job_id: int) -> None:
    run_job_task(job_id)


@task()
def run_job_task(job_id: int) -> None:
    run_job(job_id)


# --- running ------------------------------------------------------------------------------------


def _mark_cancelled(job: Job) -> None:
    db.session.execute(
        sa.update(JobItem)
        .where(JobItem.job_id == job.id, JobItem.status == "pending")
        .values(status="cancelled")
    )
    job.status = "cancelled"
    job.finished_at = utcnow()
    job.lease_until = None
    job.worker = None
    job.message = str(_l("已取消"))


def _claim(job_id: int, me: str) -> Job | None:
    """Take the job for this consumer, or None (finished, or another consumer's lease holds)."""
    with write_transaction():
        job = lock_row(Job, job_id)
        if job is None or job.finished:
            return None
        now = utcnow()
        if (
            job.status == "running"
            and job.lease_until is not None
            and job.lease_until > now
            and job.worker != me
        ):
            return None
        if job.cancel_requested:
            _mark_cancelled(job)
            return None
        job.status = "running"
        job.worker = me
        job.attempts += 1
        job.lease_until = now + timedelta(seconds=lease_seconds())
        job.started_at = job.started_at or now
    return job


def _still_mine(job_id: int, me: str, message: str | None = None) -> bool:
    """Renew the lease; False when cancelled (then marked so) or taken over by another consumer."""
    with write_transaction():
        job = lock_row(Job, job_id)
        if job is None or job.worker != me or job.status != "running":
            return False
        if job.cancel_requested:
            _mark_cancelled(job)
            return False
        job.lease_until = utcnow() + timedelta(seconds=lease_seconds())
        if message is not None:
            job.message = message[:300]
    return True


def _list_items(job: Job) -> None:
    specs = KINDS[job.kind].items(job)
    db.session.rollback()  # the listing may have read with the session; write in a fresh transaction
    with write_transaction():
        job = lock_row(Job, job.id)
        if job.items_listed:
            return
        seen: set[str] = set()
        for seq, spec in enumerate(specs):
            key, label = (spec, "") if isinstance(spec, str) else spec
            if key in seen:
                continue
            seen.add(key)
            db.session.add(JobItem(job_id=job.id, seq=seq, key=key[:100], label=str(label)[:200]))
        job.total = len(seen)
        job.items_listed = True


def runner_id() -> str:
    """This consumer thread: host, process and thread (a consumer runs several threads)."""
    return f"{worker_name()}:{threading.get_ident()}"[:100]


def run_job(job_id: int) -> Job | None:
    """Run (or go on with) the job. Safe to call twice at once: only one runner holds the lease."""
    me = runner_id()
    job = _claim(job_id, me)
    if job is None:
        return None
    kind = KINDS.get(job.kind)
    if kind is None:
        _fail(job_id, me, N_("未知的任务类型。"))
        return None
    try:
        if not job.items_listed:
            _list_items(job)
        while True:
            item = db.session.scalar(
                sa.select(JobItem)
                .where(JobItem.job_id == job_id, JobItem.status == "pending")
                .order_by(JobItem.seq)
                .limit(1)
            )
            if item is None:
                break
            item_id, key, label = item.id, item.key, item.label
            if not _still_mine(job_id, me, label or None):
                return None
            job = db.session.get(Job, job_id)
            status, message = "done", ""
            try:
                message = kind.run_item(job, key) or ""
            except ServiceError as exc:
                db.session.rollback()
                status, message = "failed", str(exc)
            except Exception as exc:  # one item's unexpected error must not stop the others
                db.session.rollback()
                log.exception("job %s item %s", job_id, key)
                status, message = "failed", str(_l("内部错误：%(error)s", error=type(exc).__name__))
            _item_finished(job_id, item_id, status, message)
        if not _still_mine(job_id, me):
            return None
        job = db.session.get(Job, job_id)
        result = kind.finish(job, _progress_writer(job_id, me)) if kind.finish else None
        db.session.rollback()
        with write_transaction():
            job = lock_row(Job, job_id)
            if job.worker != me or job.status != "running":
                return None
            failed = db.session.scalar(
                sa.select(sa.func.count()).where(JobItem.job_id == job_id, JobItem.status == "failed")
            )
            job.status = "done"
            job.result = result or {}
            job.finished_at = utcnow()
            job.lease_until = None
            summary = (result or {}).get("summary")
            if summary:
                job.message = str(summary)[:300]
            elif failed:
                job.message = str(_l("完成，%(n)s 项失败", n=failed))
            else:
                job.message = str(_l("完成"))
        return job
    except Exception as exc:
        db.session.rollback()
        log.exception("job %s failed", job_id)
        _fail(job_id, me, str(exc) or type(exc).__name__)
        return None


def _item_finished(job_id: int, item_id: int, status: str, message: str) -> None:
    with write_transaction():
        item = lock_row(JobItem, item_id)
        if item is None or item.status != "pending":
            return
        item.status = status
        item.message = message[:500]
        item.finished_at = utcnow()
        job = lock_row(Job, job_id)
        job.done += 1


def _progress_writer(job_id: int, me: str) -> Progress:
    last = [0.0]

    def progress(done: int, total: int, message: str = "") -> None:
        now = time.monotonic()
        if now - last[0] < 0.5 and done < total:
            return
        last[0] = now
        with write_transaction():
            job = lock_row(Job, job_id)
            if job.worker != me:
                return
            job.done, job.total = done, total
            if message:
                job.message = message[:300]
            job.lease_until = utcnow() + timedelta(seconds=lease_seconds())

    return progress


def _fail(job_id: int, me: str, message: str) -> None:
    with write_transaction():
        job = lock_row(Job, job_id)
        if job is None or job.worker != me:
            return
        job.status = "failed"
        job.message = message[:300]
        job.finished_at = utcnow()
        job.lease_until = None


# --- the sweeper ----------------------------------------------------------------------------------


def sweep_jobs() -> list[int]:
    """Give the queue again every job whose consumer died (lease over) or whose task was lost."""
    now = utcnow()
    stale_queued = now - timedelta(seconds=2 * lease_seconds())
    ids = db.session.scalars(
        sa.select(Job.id).where(
            sa.or_(
                sa.and_(Job.status == "running", Job.lease_until < now),
                sa.and_(Job.status == "queued", Job.enqueued_at < stale_queued),
            )
        )
    ).all()
    for job_id in ids:
        with write_transaction():
            job = lock_row(Job, job_id)
            if job.status == "running" and job.lease_until is not None and job.lease_until < utcnow():
                job.status = "queued"
                job.worker = None
            elif job.status != "queued":
                continue
            job.enqueued_at = utcnow()
        enqueue(job_id)
    return list(ids)


@periodic(crontab(minute="*"))
def sweep() -> None:
    sweep_jobs()


@periodic(crontab(minute="17", hour="3"))
def purge_old_job_files() -> None:
    purge_job_files(int(current_app.config.get("JOB_FILE_DAYS", 7)))


def purge_job_files(older_than_days: int) -> int:
    """Delete the files of jobs finished more than N days ago (the rows stay, without their file)."""
    cutoff = utcnow() - timedelta(days=older_than_days)
    jobs = db.session.scalars(sa.select(Job).where(Job.finished_at < cutoff, Job.result.is_not(None))).all()
    removed = 0
    for job in jobs:
        folder = Path(current_app.config["JOB_DIR"]) / str(job.id)
        if folder.exists():
            shutil.rmtree(folder, ignore_errors=True)
            removed += 1
    return removed
