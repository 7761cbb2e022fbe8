"""The job machinery in immediate mode: lifecycle, failed items and retry, cancel, resume after a
dead consumer, the pages and their JSON, who may see a job."""

from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from ops.errors import Conflict, NotAllowed
from ops.tasks import jobs
from ops.tasks.models import Job, JobItem
from ops.timeutil import utcnow

DONE: list[str] = []
FAIL: set[str] = set()
HOOKS: dict = {}


def _items(job):
    return [(f"k{i}", f"第 {i} 项") for i in range(1, job.params["n"] + 1)]


def _run_item(job, key):
    if "before" in HOOKS:
        HOOKS["before"](job, key)
    if key in FAIL:
        raise jobs.JobItemError(f"{key} 不行")
    DONE.append(key)
    return None


def _finish(job, progress):
    progress(job.total, job.total, "写文件")
    path = jobs.job_dir(job) / "out.txt"
    path.write_text(",".join(DONE), encoding="utf-8")
    return {"file": path.name, "filename": "结果.txt", "summary": f"{len(DONE)} 项"}


@pytest.fixture(autouse=True)
def test_kind():
    DONE.clear()
    FAIL.clear()
    HOOKS.clear()
    jobs.register_kind(
        "test.kind",
        label="测试任务",
        roles=("admin", "finance"),
        items=_items,
        run_item=_run_item,
        finish=_finish,
    )
    yield
    jobs.KINDS.pop("test.kind", None)


def _job(db, job_id):
    db.session.expire_all()
    return db.session.get(Job, job_id)


def test_a_job_runs_every_item_once_and_keeps_its_file(db, make_user):
    user = make_user("finance")
    job = jobs.start_job("test.kind", {"n": 3}, by=user)
    job = _job(db, job.id)
    assert (job.status, job.done, job.total) == ("done", 3, 3)
    assert DONE == ["k1", "k2", "k3"]
    assert job.message == "3 项"
    path = jobs.result_file(job)
    assert path is not None and path.read_text(encoding="utf-8") == "k1,k2,k3"
    assert job.created_by_id == user.id and job.started_at and job.finished_at


def test_failed_items_are_listed_and_retry_runs_only_them(db, make_user):
    user = make_user("finance")
    FAIL.add("k2")
    job = jobs.start_job("test.kind", {"n": 3}, by=user)
    job = _job(db, job.id)
    assert job.status == "done" and job.done == 3
    failed = db.session.scalars(sa.select(JobItem).where(JobItem.status == "failed")).all()
    assert [(i.key, i.message) for i in failed] == [("k2", "k2 不行")]
    assert DONE == ["k1", "k3"]
    FAIL.clear()
    jobs.retry_failed(job, by=user)
    db.session.commit()
    jobs.enqueue(job.id)
    job = _job(db, job.id)
    assert job.status == "done" and job.done == 3
    assert DONE == ["k1", "k3", "k2"]  # k1 and k3 were not done twice
    with pytest.raises(Conflict):
        jobs.retry_failed(job, by=user)


def test_cancel_stops_a_running_job_after_its_current_item(db, make_user):
    user = make_user("finance")

    def cancel_at_k2(job, key):
        if key == "k2":
            job_row = db.session.get(Job, job.id)
            job_row.cancel_requested = True
            db.session.commit()

    HOOKS["before"] = cancel_at_k2
    job = jobs.start_job("test.kind", {"n": 4}, by=user)
    job = _job(db, job.id)
    assert job.status == "cancelled"
    assert DONE == ["k1", "k2"]
    statuses = dict(db.session.execute(sa.select(JobItem.key, JobItem.status)).all())
    assert statuses == {"k1": "done", "k2": "done", "k3": "cancelled", "k4": "cancelled"}
    with pytest.raises(Conflict):
        jobs.cancel_job(job, by=user)
    # the cancelled items can be run again
    jobs.retry_failed(job, by=user)
    db.session.commit()
    HOOKS.clear()
    jobs.enqueue(job.id)
    assert _job(db, job.id).status == "done"
    assert DONE == ["k1", "k2", "k3", "k4"]


def test_a_queued_job_is_cancelled_at_once(db, make_user, monkeypatch):
    user = make_user("finance")
    monkeypatch.setattr(jobs, "enqueue", lambda job_id: None)  # the consumer has not taken it yet
    job = jobs.start_job("test.kind", {"n": 2}, by=user)
    jobs.cancel_job(job, by=user)
    db.session.commit()
    job = _job(db, job.id)
    assert job.status == "cancelled" and DONE == []


def test_a_job_left_running_by_a_dead_consumer_is_resumed_from_where_it_stopped(db, make_user, monkeypatch):
    user = make_user("finance")
    monkeypatch.setattr(jobs, "enqueue", lambda job_id: None)
    job = jobs.start_job("test.kind", {"n": 3}, by=user)
    # A consumer took it, listed its items, did k1, then was killed: its lease is still running.
    jobs._claim(job.id, "dead-host:1")
    jobs._list_items(_job(db, job.id))
    k1 = db.session.scalar(sa.select(JobItem).where(JobItem.key == "k1"))
    DONE.append("k1")
    jobs._item_finished(job.id, k1.id, "done", "")
    assert jobs.sweep_jobs() == []  # the lease has not run out: nobody else takes it
    assert jobs.run_job(job.id) is None  # a second consumer handed the task refuses too
    row = _job(db, job.id)
    row.lease_until = utcnow() - timedelta(seconds=1)
    db.session.commit()
    monkeypatch.setattr(jobs, "enqueue", jobs.run_job)
    assert jobs.sweep_jobs() == [job.id]
    job = _job(db, job.id)
    assert job.status == "done" and job.attempts == 2
    assert DONE == ["k1", "k2", "k3"]


def test_only_the_roles_of_a_kind_may_start_or_see_it(db, make_user):
    with pytest.raises(NotAllowed):
        jobs.start_job("test.kind", {"n": 1}, by=make_user("sales"))
    job = jobs.start_job("test.kind", {"n": 1}, by=make_user("finance"))
    assert jobs.may_see(make_user("admin"), job)
    assert not jobs.may_see(make_user("trainer"), job)


def test_job_pages_json_and_download(client, db, login_as):
    user = login_as("finance")
    FAIL.add("k1")
    job = jobs.start_job("test.kind", {"n": 2}, by=user)
    data = client.get(f"/jobs/{job.id}.json").get_json()
    assert data == {
        "id": job.id,
        "kind": "test.kind",
        "status": "done",
        "done": 2,
        "total": 2,
        "message": "1 项",
        "result_url": f"/jobs/{job.id}/download",
    }
    page = client.get(f"/jobs/{job.id}").get_data(as_text=True)
    assert "测试任务" in page and "k1 不行" in page and "重试失败的条目" in page and "下载结果" in page
    listing = client.get("/jobs/").get_data(as_text=True)
    assert f'href="/jobs/{job.id}"' in listing and "已完成" in listing
    response = client.get(f"/jobs/{job.id}/download")
    assert response.status_code == 200 and response.data == b"k2"
    assert "no-store" in response.headers["Cache-Control"]
    response.close()
    FAIL.clear()
    response = client.post(f"/jobs/{job.id}/retry")
    assert response.status_code == 302
    assert client.get(f"/jobs/{job.id}.json").get_json()["status"] == "done"
    assert DONE == ["k2", "k1"]


def test_a_job_of_a_kind_the_user_may_not_see_is_not_found(client, db, make_user, login_as):
    job = jobs.start_job("test.kind", {"n": 1}, by=make_user("finance"))
    login_as("trainer")
    assert client.get(f"/jobs/{job.id}").status_code == 404
    assert client.get(f"/jobs/{job.id}.json").status_code == 404
    assert client.post(f"/jobs/{job.id}/cancel").status_code == 404
    assert f"/jobs/{job.id}" not in client.get("/jobs/").get_data(as_text=True)


def test_old_job_files_are_purged_and_the_download_goes_with_them(db, make_user):
    job = jobs.start_job("test.kind", {"n": 1}, by=make_user("finance"))
    job = _job(db, job.id)
    assert jobs.result_file(job) is not None
    assert jobs.purge_job_files(7) == 0  # finished just now: kept
    job.finished_at = utcnow() - timedelta(days=8)
    db.session.commit()
    assert jobs.purge_job_files(7) == 1
    assert jobs.result_file(job) is None
    assert not Path(jobs.job_dir(job) / "out.txt").exists()
