"""Billing runs, the period ZIP and statements for many clients as jobs (immediate mode: the job runs
inline when the page starts it, so the redirect lands on a finished job)."""

import hashlib
import io
import zipfile
from datetime import date
from urllib.parse import quote

import sqlalchemy as sa

from ops.billing.models import Invoice
from ops.tasks.models import Job, JobItem
from ops.timeutil import today
from tests.billing.helpers import issued_for, make_billing_client, make_contract
from tests.factories import TAX_IDS

YEAR = today().year


def _job_id(response) -> int:
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    location = response.headers["Location"]
    assert "/jobs/" in location, location
    return int(location.rstrip("/").rsplit("/", 1)[1])


def _status(client, job_id: int) -> dict:
    response = client.get(f"/jobs/{job_id}.json")
    assert response.status_code == 200
    return response.get_json()


def _zip(client, url: str) -> zipfile.ZipFile:
    response = client.get(url)
    assert response.status_code == 200 and response.mimetype == "application/zip"
    data = response.data
    response.close()  # a file streamed from disk
    return zipfile.ZipFile(io.BytesIO(data))


def _second_client(db):
    return make_billing_client(db, "上海优品数码", "上海优品科技有限公司", TAX_IDS[2])


def _run(client, period="2026-09", issue=True, client_id=0):
    data = {"period": period, "client_id": str(client_id)}
    if issue:
        data["issue"] = "y"
    return client.post("/billing/runs", data=data)


def test_a_run_started_from_the_page_is_a_job_with_a_summary_and_a_link_to_the_invoices(client, login_as, db):
    make_contract(db)  # 2 seats × ¥5,000.00 for all of September: ¥10,000.00
    make_contract(db, _second_client(db), seats=1, rate_fen=620_000)  # 1 × ¥6,200.00
    login_as("finance")
    job_id = _job_id(_run(client))
    state = _status(client, job_id)
    assert (state["kind"], state["status"], state["done"], state["total"]) == ("billing.run", "done", 2, 2)
    assert state["result_url"] == "/billing/invoices?period=2026-09"
    numbers = db.session.scalars(sa.select(Invoice.number).order_by(Invoice.number)).all()
    assert numbers == [f"INV-{YEAR}-00001", f"INV-{YEAR}-00002"]
    job = db.session.get(Job, job_id)
    counts = job.result["counts"]
    assert (counts["created"], counts["issued"], counts["failed"], counts["total_fen"]) == (
        2,
        2,
        0,
        1_620_000,
    )
    page = client.get(f"/jobs/{job_id}").get_data(as_text=True)
    assert "新建 2" in page and "开具 2" in page and "¥16,200.00" in page

    # Again: the issued invoices are left as they are; nothing new, no number taken.
    again = db.session.get(Job, _job_id(_run(client)))
    assert again.status == "done" and again.result["counts"]["unchanged"] == 2
    assert again.result["counts"]["created"] == again.result["counts"]["issued"] == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Invoice)) == 2


def test_a_contract_that_cannot_be_billed_is_a_failed_item_and_retry_bills_it(client, login_as, db):
    make_contract(db)
    broken = make_contract(db, _second_client(db))
    broken.terms = {"model": "fixed_seat", "seats": [], "extras": []}  # no price for its agents' seats
    db.session.commit()
    login_as("finance")
    job_id = _job_id(_run(client))
    job = db.session.get(Job, job_id)
    assert job.status == "done" and job.result["counts"]["failed"] == 1
    failed = db.session.scalars(
        sa.select(JobItem).where(JobItem.job_id == job_id, JobItem.status == "failed")
    ).all()
    assert [item.key for item in failed] == [str(broken.id)]
    assert broken.number in failed[0].message and "没有对应的席位价格" in failed[0].message
    assert "没有对应的席位价格" in client.get(f"/jobs/{job_id}").get_data(as_text=True)
    assert db.session.scalars(sa.select(Invoice.number)).all() == [f"INV-{YEAR}-00001"]

    broken.terms = {
        "model": "fixed_seat",
        "seats": [{"scope": "presales", "shift": "day", "seats": 2, "monthly_rate_fen": 500_000}],
        "extras": [],
    }
    db.session.commit()
    assert client.post(f"/jobs/{job_id}/retry").status_code == 302
    db.session.expire_all()
    job = db.session.get(Job, job_id)
    assert job.status == "done" and job.result["counts"]["failed"] == 0
    # Both contracts were billed by this job: 2 × ¥10,000.00, numbers without a gap.
    assert (job.result["counts"]["issued"], job.result["counts"]["total_fen"]) == (2, 2_000_000)
    numbers = db.session.scalars(sa.select(Invoice.number).order_by(Invoice.number)).all()
    assert numbers == [f"INV-{YEAR}-00001", f"INV-{YEAR}-00002"]


def test_a_bad_period_starts_no_job(client, login_as, db):
    login_as("finance")
    response = _run(client, period="2026/9")
    assert response.status_code == 200 and "账期格式应为" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Job)) == 0


def test_the_run_page_is_for_finance_roles_only(client, login_as, db):
    login_as("sales")
    assert _run(client).status_code == 403
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Job)) == 0


# --- the period ZIP ---------------------------------------------------------------------------------


def test_the_period_zip_is_written_by_a_job_and_downloaded_from_disk(client, login_as, db, app):
    first = issued_for(db, make_contract(db))
    second = issued_for(db, make_contract(db, _second_client(db)))
    login_as("finance")
    job_id = _job_id(client.post("/billing/zip", data={"period": "2026-09"}))
    state = _status(client, job_id)
    assert (state["status"], state["done"], state["total"]) == ("done", 2, 2)
    assert state["result_url"] == f"/jobs/{job_id}/download"
    response = client.get(state["result_url"])
    assert response.status_code == 200 and response.mimetype == "application/zip"
    disposition = response.headers["Content-Disposition"]
    assert 'filename="invoices_2026-09.zip"' in disposition
    assert f"filename*=UTF-8''{quote('账单_2026-09.zip')}" in disposition
    assert response.headers["Cache-Control"] == "no-store, private"
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    assert sorted(archive.namelist()) == [
        f"{first.number}_北京晨光家居旗舰店.pdf",
        f"{second.number}_上海优品数码.pdf",
    ]
    for invoice, name in ((first, "北京晨光家居旗舰店"), (second, "上海优品数码")):
        assert hashlib.sha256(archive.read(f"{invoice.number}_{name}.pdf")).hexdigest() == invoice.pdf_sha256
    response.close()
    # The parts are gone: only the ZIP stays in the job's folder.
    from pathlib import Path

    folder = Path(app.config["JOB_DIR"]) / str(job_id)
    assert (folder / "invoices_2026-09.zip").is_file() and not (folder / "parts").exists()


def test_a_stored_pdf_that_does_not_match_its_hash_is_left_out_and_named(client, login_as, db):
    good = issued_for(db, make_contract(db))
    bad = issued_for(db, make_contract(db, _second_client(db)))
    db.session.execute(sa.update(Invoice).where(Invoice.id == bad.id).values(pdf=b"%PDF-1.4 tampered"))
    db.session.commit()
    login_as("finance")
    job_id = _job_id(client.post("/billing/zip", data={"period": "2026-09"}))
    failed = db.session.scalars(
        sa.select(JobItem).where(JobItem.job_id == job_id, JobItem.status == "failed")
    ).all()
    assert [item.key for item in failed] == [str(bad.id)] and bad.number in failed[0].message
    archive = _zip(client, f"/jobs/{job_id}/download")
    assert archive.namelist() == [f"{good.number}_北京晨光家居旗舰店.pdf"]


def test_a_period_without_issued_invoices_starts_no_zip_job(client, login_as, db):
    login_as("finance")
    response = client.post("/billing/zip", data={"period": "2026-09"}, follow_redirects=True)
    assert "2026-09 没有已开具的账单。" in response.get_data(as_text=True)
    response = client.post("/billing/zip", data={"period": "九月"}, follow_redirects=True)
    assert "账期格式应为" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Job)) == 0
    # An old GET link leads to the period's invoices, where the button is; it starts nothing.
    response = client.get("/billing/zip?period=2026-09")
    assert response.status_code == 302 and response.headers["Location"].endswith(
        "/billing/invoices?period=2026-09"
    )
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Job)) == 0


# --- statements for many clients ---------------------------------------------------------------------


def test_statements_of_every_client_with_activity_in_a_zip(client, login_as, db):
    issued_for(db, make_contract(db), issued_on=date(2026, 10, 2))
    make_contract(db, _second_client(db))  # billed nothing: no activity
    login_as("finance")
    html = client.get("/billing/statements").get_data(as_text=True)
    assert "期间内有往来的全部客户" in html and "上海优品数码" in html
    data = {"start": "2026-10-01", "end": "2026-10-31", "scope": "active"}
    job_id = _job_id(client.post("/billing/statements", data=data))
    state = _status(client, job_id)
    assert (state["kind"], state["status"], state["total"]) == ("billing.statements", "done", 1)
    archive = _zip(client, state["result_url"])
    assert archive.namelist() == ["对账单_北京晨光家居旗舰店_2026-10-01_2026-10-31.pdf"]
    assert archive.read(archive.namelist()[0]).startswith(b"%PDF")


def test_statements_of_chosen_clients_and_the_form_refuses_bad_input(client, login_as, db):
    first = make_billing_client(db)
    second = _second_client(db)
    login_as("finance")
    bad = client.post(
        "/billing/statements", data={"start": "2026-10-31", "end": "2026-10-01", "scope": "chosen"}
    ).get_data(as_text=True)
    assert "结束日期不能早于开始日期" in bad and "请至少选择一个客户" in bad
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Job)) == 0
    data = {
        "start": "2026-01-01",
        "end": "2026-10-31",
        "scope": "chosen",
        "client_ids": [str(first.id), str(second.id)],
    }
    job_id = _job_id(client.post("/billing/statements", data=data))
    archive = _zip(client, f"/jobs/{job_id}/download")
    assert sorted(archive.namelist()) == [
        "对账单_上海优品数码_2026-01-01_2026-10-31.pdf",
        "对账单_北京晨光家居旗舰店_2026-01-01_2026-10-31.pdf",
    ]
