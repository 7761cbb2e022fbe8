"""/jobs/: the jobs a user may see, one job's progress page, its JSON, cancel, retry, download."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, jsonify, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import joinedload

from ops.auth.permissions import require_roles_for_blueprint
from ops.auth.roles import STAFF_ROLES
from ops.extensions import db
from ops.forms import ConfirmForm
from ops.tasks import jobs as services
from ops.tasks.models import JOB_STATUS_BADGES, JOB_STATUSES, Job, JobItem
from ops.tasks.queue import backend_name
from ops.web import label, no_store, paginate, perform, send_document

bp = Blueprint("jobs", __name__, url_prefix="/jobs")
require_roles_for_blueprint(bp, *STAFF_ROLES)


def _load(job_id: int) -> Job:
    job = db.session.get(Job, job_id)
    if job is None or not services.may_see(current_user, job):
        abort(404)
    return job


def _detail_url(job: Job) -> str:
    return url_for("jobs.detail", job_id=job.id)


def job_json(job: Job) -> dict:
    result = job.result or {}
    result_url = result.get("url")
    if services.result_file(job) is not None:
        result_url = url_for("jobs.download", job_id=job.id)
    return {
        "id": job.id,
        "kind": job.kind,
        "status": job.status,
        "done": job.done,
        "total": job.total,
        "message": job.message,
        "result_url": result_url,
    }


@bp.route("/")
def index():
    status = request.args.get("status", "")
    kind = request.args.get("kind", "")
    mine = request.args.get("mine") == "1"
    kinds = services.visible_kinds(current_user)
    stmt = (
        sa.select(Job).options(joinedload(Job.created_by)).where(Job.kind.in_(kinds)).order_by(Job.id.desc())
    )
    if status in JOB_STATUSES:
        stmt = stmt.where(Job.status == status)
    if kind in kinds:
        stmt = stmt.where(Job.kind == kind)
    if mine:
        stmt = stmt.where(Job.created_by_id == current_user.id)
    return render_template(
        "jobs/index.html",
        page=paginate(stmt),
        status=status,
        kind=kind,
        mine=mine,
        kinds=kinds,
        statuses=JOB_STATUSES,
        badges=JOB_STATUS_BADGES,
        kind_label=services.kind_label,
        backend=backend_name(),
    )


@bp.route("/<int:job_id>")
def detail(job_id: int):
    job = _load(job_id)
    items = db.session.scalars(
        sa.select(JobItem)
        .where(JobItem.job_id == job.id, JobItem.status.in_(("failed", "cancelled")))
        .order_by(JobItem.seq)
        .limit(500)
    ).all()
    return render_template(
        "jobs/detail.html",
        job=job,
        items=items,
        info=job_json(job),
        form=ConfirmForm(),
        badges=JOB_STATUS_BADGES,
        status_labels_json={code: label("job_status", code) for code in JOB_STATUSES},
        kind_label=services.kind_label,
        has_file=services.result_file(job) is not None,
    )


@bp.route("/<int:job_id>.json")
def detail_json(job_id: int):
    job = _load(job_id)
    return no_store(jsonify(job_json(job)))


@bp.route("/<int:job_id>/cancel", methods=["POST"])
def cancel(job_id: int):
    job = _load(job_id)
    return perform(
        lambda: services.cancel_job(job, by=current_user),
        form=ConfirmForm(),
        success=_("已请求取消任务。"),
        back=_detail_url(job),
    )


@bp.route("/<int:job_id>/retry", methods=["POST"])
def retry(job_id: int):
    job = _load(job_id)
    response = perform(
        lambda: services.retry_failed(job, by=current_user),
        form=ConfirmForm(),
        success=_("已重新排队失败的条目。"),
        back=_detail_url(job),
    )
    if job.status == "queued":  # committed by perform: hand it to the queue now
        services.enqueue(job.id)
    return response


@bp.route("/<int:job_id>/download")
def download(job_id: int):
    job = _load(job_id)
    path = services.result_file(job)
    if path is None:
        abort(404)
    result = job.result or {}
    return send_document(
        path,
        result.get("filename") or path.name,
        result.get("mimetype"),
        ascii_name=result.get("ascii_name"),
    )
