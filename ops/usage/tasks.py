"""Usage's job: a large CSV upload (over ``USAGE_IMPORT_JOB_ROWS`` rows) imported by the queue.

The upload is saved in the job's folder; the job has one item, ``import_usage_file`` on that file,
which keeps the import's rule: a bad row anywhere imports nothing. Refused, the item fails with the
first problems and the finish offers every problem as a CSV to download. Done again (a consumer
killed after the commit), the import finds its rows stored and counts them unchanged.
"""

from __future__ import annotations

import csv
import io
import os
import secrets
import shutil
from pathlib import Path
from typing import IO

import sqlalchemy as sa
from flask import current_app, has_request_context, url_for

from ops.auth.roles import ADMIN, FINANCE, MANAGER
from ops.extensions import db
from ops.i18n import _l
from ops.tasks.jobs import JobItemError, job_dir, register_kind, start_job
from ops.tasks.models import Job, JobItem
from ops.usage.services import UsageImportError, import_usage_file

UPLOAD_NAME = "upload.csv"
ERRORS_NAME = "errors.csv"
ERRORS_SHOWN = 5  # problems named in the item's message; all of them are in errors.csv


def count_rows(stream: IO[bytes]) -> int:
    """Data rows of a CSV upload, roughly (lines after the header; quoted line breaks count extra):
    enough to tell a small file from a large one without parsing it. Leaves the stream at 0."""
    stream.seek(0)
    lines = 0
    last = b""
    while chunk := stream.read(1 << 20):
        lines += chunk.count(b"\n")
        last = chunk
    if last and not last.endswith(b"\n"):
        lines += 1
    stream.seek(0)
    return max(0, lines - 1)


def _incoming() -> Path:
    path = Path(current_app.config["JOB_DIR"]) / "incoming"
    path.mkdir(parents=True, exist_ok=True)
    return path


def start_usage_import(stream: IO[bytes], filename: str, *, by) -> Job:
    """Save the upload (streamed, never read whole) where every consumer can read it, then start the
    import job; its first step moves the file into the job's own folder."""
    staged = f"{secrets.token_hex(16)}.csv"
    stream.seek(0)
    with open(_incoming() / staged, "wb") as out:
        shutil.copyfileobj(stream, out, 1 << 20)
    return start_job("usage.import", {"filename": filename, "upload": staged}, by=by)


def _upload(job: Job) -> Path:
    """The job's copy of the upload (moved from the staging folder the first time)."""
    path = job_dir(job) / UPLOAD_NAME
    staged = _incoming() / Path(job.params.get("upload") or "missing").name
    if staged.is_file():  # the first run (a redo finds it moved already)
        os.replace(staged, path)
    return path


def _items(job: Job) -> list[tuple[str, str]]:
    return [("import", job.params.get("filename") or UPLOAD_NAME)]


def _errors_csv(exc: UsageImportError) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(("行", "列", "问题"))
    for error in exc.errors:
        writer.writerow((error.row, error.column, error.message))
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _run_item(job: Job, key: str) -> str | None:
    path = _upload(job)
    if not path.is_file():
        raise JobItemError(str(_l("上传的文件已不在服务器上，请重新上传。")))
    try:
        result = import_usage_file(path, job.params.get("filename") or "", "csv", by=job.created_by)
    except UsageImportError as exc:
        db.session.rollback()
        (job_dir(job) / ERRORS_NAME).write_bytes(_errors_csv(exc))
        shown = "；".join(f"第 {e.row} 行 {e.column}：{e.message}" for e in exc.errors[:ERRORS_SHOWN])
        raise JobItemError(
            str(_l("文件中有 %(n)s 处错误，未导入任何数据。", n=exc.total)) + (" " + shown if shown else "")
        ) from None
    db.session.commit()
    message = str(
        _l(
            "导入完成：新增 %(i)s 行，更新 %(u)s 行，未变 %(c)s 行。",
            i=result.inserted,
            u=result.updated,
            c=result.unchanged,
        )
    )
    if result.dated_entries:
        message += str(_l("按日附加费登记 %(n)s 条。", n=result.dated_entries))
    return message


def _finish(job: Job, progress) -> dict:
    folder = job_dir(job)
    if (folder / ERRORS_NAME).is_file():
        return {
            "file": ERRORS_NAME,
            "filename": "用量导入错误.csv",
            "ascii_name": "usage-import-errors.csv",
            "mimetype": "text/csv; charset=utf-8",
            "summary": str(_l("校验未通过，未导入任何数据：错误清单可下载。")),
        }
    return {"summary": job_message(job), "url": _path("usage.index")}


def _path(endpoint: str) -> str:
    """A site path, in a request (immediate mode) or in a consumer (no request: a made-up one)."""
    if has_request_context():
        return url_for(endpoint)
    with current_app.test_request_context("/"):
        return url_for(endpoint)


def job_message(job: Job) -> str:
    """The import's own message (its counts), as the job's summary."""
    return db.session.scalar(sa.select(JobItem.message).where(JobItem.job_id == job.id)) or ""


register_kind(
    "usage.import",
    label=_l("用量导入"),
    roles=(ADMIN, MANAGER, FINANCE),
    items=_items,
    run_item=_run_item,
    finish=_finish,
)
