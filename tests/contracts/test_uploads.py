"""The signed copy: a real PDF is kept; anything else is refused, writes nothing and says why."""

import hashlib
import io
import os

import pytest
import sqlalchemy as sa

from ops.audit.models import AuditEntry
from ops.contracts import services
from ops.contracts.models import Contract
from tests.contracts.helpers import minimal_pdf


@pytest.fixture
def pending(db, contract):
    services.submit_for_signature(contract)
    db.session.commit()
    return contract


def upload(client, contract, data: bytes, filename: str):
    return client.post(
        f"/contracts/{contract.id}/signed",
        data={"file": (io.BytesIO(data), filename)},
        content_type="multipart/form-data",
        follow_redirects=True,
    )


def listing(app) -> set[str]:
    return set(os.listdir(app.config["UPLOAD_DIR"]))


def test_a_real_pdf_is_stored_and_downloads_as_an_attachment(app, client, login_as, db, pending):
    login_as("sales")
    pdf = minimal_pdf("盖章合同")
    before = listing(app)
    response = upload(client, pending, pdf, "合同<签署>.pdf")
    assert "签署件已上传" in response.get_data(as_text=True)
    db.session.expire_all()
    contract = db.session.get(Contract, pending.id)
    assert contract.signed_size == len(pdf) and contract.signed_sha256 == hashlib.sha256(pdf).hexdigest()
    assert contract.signed_original_name == "合同<签署>.pdf"
    assert listing(app) - before == {contract.signed_file}
    html = client.get(f"/contracts/{contract.id}").get_data(as_text=True)
    assert "合同&lt;签署&gt;.pdf" in html and "合同<签署>" not in html  # escaped
    assert contract.signed_sha256[:12] in html
    download = client.get(f"/contracts/{contract.id}/signed")
    assert download.status_code == 200 and download.data == pdf
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert download.mimetype == "application/pdf"
    download.close()


def test_replacing_the_copy_removes_the_old_file(app, client, login_as, db, pending):
    login_as("sales")
    upload(client, pending, minimal_pdf("v1"), "v1.pdf")
    db.session.expire_all()
    first = db.session.get(Contract, pending.id).signed_file
    upload(client, pending, minimal_pdf("v2"), "v2.pdf")
    db.session.expire_all()
    second = db.session.get(Contract, pending.id).signed_file
    assert second != first and second in listing(app) and first not in listing(app)


@pytest.mark.parametrize(
    "data,filename,message",
    [
        (b"just some text, not a PDF\n" * 10, "合同.pdf", "文件内容与扩展名"),
        (minimal_pdf(), "../../etc/evil.pdf", "文件名不能包含路径"),
        (minimal_pdf(), "scan.exe", "不支持的文件类型"),
    ],
    ids=["renamed-text", "dotdot-slash", "wrong-type"],
)
def test_refused_uploads_write_nothing(app, client, login_as, db, pending, data, filename, message):
    login_as("manager")
    before = listing(app)
    response = upload(client, pending, data, filename)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert listing(app) == before
    db.session.expire_all()
    contract = db.session.get(Contract, pending.id)
    assert (contract.signed_file, contract.signed_sha256, contract.signed_size) == (None, None, None)
    assert not db.session.scalar(
        sa.select(AuditEntry).where(AuditEntry.action == "contract.signed_copy_uploaded")
    )


def test_the_signed_copy_follows_the_one_configured_upload_limit(app, db, pending, monkeypatch):
    # Over HTTP a body beyond the limit is the 413 page (tests/security); the service checks the
    # file itself against the same setting, and the form states it.
    from werkzeug.datastructures import FileStorage

    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 4096)
    big = FileStorage(io.BytesIO(minimal_pdf() + b"%" * 8192), "big.pdf", content_type="application/pdf")
    with pytest.raises(services.ContractError, match="文件太大"):
        services.upload_signed_copy(pending, big)
    db.session.rollback()
    assert db.session.get(Contract, pending.id).signed_file is None


def test_the_upload_forms_state_the_configured_limit(app, client, login_as, pending, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 15 * 1024 * 1024)
    login_as("manager")
    assert "文件不超过 15 MB。" in client.get(f"/contracts/{pending.id}").get_data(as_text=True)
    assert "文件不超过 15 MB。" in client.get("/usage/import").get_data(as_text=True)
    assert "文件不超过 15 MB。" in client.get("/training/materials/new").get_data(as_text=True)


def test_a_draft_takes_no_signed_copy(app, client, login_as, db, contract):
    login_as("sales")
    before = listing(app)
    response = upload(client, contract, minimal_pdf(), "signed.pdf")
    assert "只有待签署或生效中的合同可以上传签署件" in response.get_data(as_text=True)
    assert listing(app) == before


def test_missing_copy_is_404(client, login_as, pending):
    login_as("sales")
    assert client.get(f"/contracts/{pending.id}/signed").status_code == 404


@pytest.mark.parametrize("filename", ["..\\evil.pdf", "C:\\scans\\合同.pdf", "a/b.pdf", "x\x00.pdf"])
def test_names_with_a_path_are_refused(db, filename):
    # (the test client cannot send a backslash in a file name, so the check is called directly)
    from ops.uploads import UploadError, check_upload

    with pytest.raises(UploadError, match="文件名不能包含路径"):
        check_upload(filename, minimal_pdf(), {"pdf"}, 1024 * 1024)
