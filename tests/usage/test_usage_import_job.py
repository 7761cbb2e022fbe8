"""A large usage CSV is imported by a job (the threshold is USAGE_IMPORT_JOB_ROWS); the rule stays:
a bad row anywhere imports nothing."""

import csv
import io

import pytest
import sqlalchemy as sa

from ops.tasks.models import Job, JobItem
from ops.usage.models import UsageImport
from tests.factories import make_client
from tests.usage.usage_helpers import upload, usage_count, zh_csv

ROWS = [
    ("2026/10/01", "天猫", 1280, 1150, '"12,345.67"', "100", "12.5", "92.5%"),
    ("2026/10/01", "京东", 300, 280, "2000", "", "20", "95"),
    ("2026/10/02", "天猫", 1100, 1000, "9800.5", "0", "15", "90%"),
]


@pytest.fixture
def small_threshold(app):
    before = app.config["USAGE_IMPORT_JOB_ROWS"]
    app.config["USAGE_IMPORT_JOB_ROWS"] = 2  # three rows are "large"
    yield
    app.config["USAGE_IMPORT_JOB_ROWS"] = before


def _job(db, response) -> Job:
    assert response.status_code == 302 and "/jobs/" in response.headers["Location"], response.headers
    return db.session.get(Job, int(response.headers["Location"].rsplit("/", 1)[1]))


def test_a_file_over_the_threshold_is_imported_by_a_job(client, login_as, db, small_threshold):
    login_as("finance")
    make_client(db, name="北京晨光家居旗舰店")
    job = _job(db, upload(client, zh_csv("北京晨光家居旗舰店", ROWS).encode("gb18030"), "十月用量.csv"))
    assert (job.kind, job.status, job.done, job.total) == ("usage.import", "done", 1, 1)
    assert usage_count(db) == 3
    record = db.session.scalar(sa.select(UsageImport))
    assert (record.filename, record.inserted, record.updated, record.unchanged) == ("十月用量.csv", 3, 0, 0)
    assert job.message == "导入完成：新增 3 行，更新 0 行，未变 0 行。" and job.result["url"] == "/usage/"
    # The upload was moved into the job's folder; nothing is left in the staging folder.
    from pathlib import Path

    from flask import current_app

    assert (Path(current_app.config["JOB_DIR"]) / str(job.id) / "upload.csv").is_file()
    assert list((Path(current_app.config["JOB_DIR"]) / "incoming").iterdir()) == []


def test_a_bad_row_anywhere_in_a_large_file_imports_nothing(client, login_as, db, small_threshold):
    login_as("finance")
    make_client(db, name="北京晨光家居旗舰店")
    rows = [*ROWS, ("2026/10/03", "天猫", 100, 200, "0", "0", "10", "90%")]  # valid > consults
    job = _job(db, upload(client, zh_csv("北京晨光家居旗舰店", rows).encode("utf-8"), "bad.csv"))
    assert (
        usage_count(db) == 0 and db.session.scalar(sa.select(sa.func.count()).select_from(UsageImport)) == 0
    )
    item = db.session.scalar(sa.select(JobItem).where(JobItem.job_id == job.id))
    assert (
        item.status == "failed" and "1 处错误，未导入任何数据" in item.message and "第 5 行" in item.message
    )
    # Every problem can be downloaded as a CSV from the job page.
    response = client.get(f"/jobs/{job.id}/download")
    assert response.status_code == 200
    text = response.data.decode("utf-8-sig")
    response.close()
    table = list(csv.reader(io.StringIO(text)))
    assert table[0] == ["行", "列", "问题"] and table[1][0] == "5"


def test_a_small_file_stays_inline(client, login_as, db, small_threshold):
    login_as("finance")
    shop = make_client(db, name="北京晨光家居旗舰店")
    response = upload(client, zh_csv("北京晨光家居旗舰店", ROWS[:2]).encode("utf-8"))
    assert response.status_code == 302 and f"/usage/client/{shop.id}" in response.headers["Location"]
    assert usage_count(db) == 2 and db.session.scalar(sa.select(sa.func.count()).select_from(Job)) == 0
