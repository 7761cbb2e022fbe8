"""A backup taken while a real server takes uploads and usage, restored into a fresh database and
folder: every row and file of the backup is there, and every signed contract and material downloads
in an app started on the restored copy. Runs on SQLite and on PostgreSQL (OPS_TEST_DATABASE_URL)."""

import hashlib
import io
import json
import secrets
import tarfile
import threading
import time
from datetime import date, timedelta

import sqlalchemy as sa
from werkzeug.datastructures import FileStorage

from ops.auth.tokens import create_token
from ops.contracts.models import Contract
from ops.training import services as training
from ops.training.models import MaterialVersion
from tests.backup.conftest import app_on, dispose
from tests.contracts.helpers import minimal_pdf
from tests.live import parallel
from tests.onboarding.helpers import make_contract

UPLOADERS = 2  # threads replacing signed copies (one contract each)
VERSIONERS = 2  # threads adding material versions (one material each)
POSTERS = 2  # threads posting usage through the API


def multipart(fields: dict, filename: str, data: bytes, content_type: str) -> tuple[bytes, str]:
    boundary = "----ops" + secrets.token_hex(8)
    parts = []
    for name, value in fields.items():
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        )
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
        f"Content-Type: {content_type}\r\n\r\n".encode()
        + data
        + b"\r\n"
    )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def counts(db) -> dict[str, int]:
    with db.engine.connect() as conn:
        names = sa.inspect(conn).get_table_names()
        return {t: conn.execute(sa.text(f'SELECT COUNT(*) FROM "{t}"')).scalar_one() for t in names}


def test_backup_under_load_restores_every_row_and_file(
    app, db, make_user, live_server, runner, tmp_path, restore_target
):
    boss = make_user("admin", username="boss")
    contracts = [make_contract(db) for _ in range(UPLOADERS)]
    materials = [
        training.create_material(
            contracts[i].client_id,
            "faq",
            f"售后话术 {i}",
            "",
            FileStorage(io.BytesIO(f"第一版 {i}".encode()), filename=f"faq-{i}.txt"),
            boss,
        )
        for i in range(VERSIONERS)
    ]
    db.session.commit()
    _token, api_secret = create_token("备份压测", None)
    db.session.commit()
    contract_ids = [c.id for c in contracts]
    material_ids = [m.id for m in materials]
    client_id = contracts[0].client_id
    stop = threading.Event()

    def work(i: int) -> int:
        browser = live_server.client().login("boss")
        done = 0
        while done < 3 or (not stop.is_set() and done < 200):
            if i < UPLOADERS:
                page = f"/contracts/{contract_ids[i]}"
                body, ctype = multipart(
                    {"csrf_token": browser.csrf(page)},
                    "signed.pdf",
                    minimal_pdf(f"signed {i}-{done}"),
                    "application/pdf",
                )
                answer = browser.request("POST", f"{page}/signed", body, {"Content-Type": ctype})
                assert answer.status == 302, answer.text[:300]
            elif i < UPLOADERS + VERSIONERS:
                page = f"/training/materials/{material_ids[i - UPLOADERS]}"
                body, ctype = multipart(
                    {"csrf_token": browser.csrf(page), "note": f"v{done}"},
                    "faq.txt",
                    f"话术 {i} 第 {done} 版".encode(),
                    "text/plain",
                )
                answer = browser.request("POST", f"{page}/versions", body, {"Content-Type": ctype})
                assert answer.status == 302, answer.text[:300]
            else:
                day = date(2026, 1, 1) + timedelta(days=(i - UPLOADERS - VERSIONERS) * 200 + done)
                payload = {
                    "rows": [
                        {
                            "client_id": client_id,
                            "date": day.isoformat(),
                            "platform": "tmall",
                            "consults": 100 + done,
                            "valid_consults": 90,
                            "served_gmv_fen": 123_400,
                            "refunds_fen": 0,
                        }
                    ]
                }
                answer = browser.request(
                    "POST",
                    "/api/v1/usage",
                    json.dumps(payload).encode(),
                    {"Content-Type": "application/json", "Authorization": f"Bearer {api_secret}"},
                )
                assert answer.status in (200, 201), answer.text[:300]
            done += 1
        return done

    results: dict = {}
    load = threading.Thread(
        target=lambda: results.update(done=parallel(UPLOADERS + VERSIONERS + POSTERS, work))
    )
    before = counts(db)
    load.start()
    try:
        # Take the backup once the load is well under way.
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and (
            db.session.scalar(sa.select(sa.func.count()).select_from(MaterialVersion)) < VERSIONERS + 4
            or db.session.scalar(sa.select(sa.func.count(Contract.signed_file))) < UPLOADERS
        ):
            time.sleep(0.1)
            db.session.remove()
        archive = tmp_path / "backups" / "ops.tar.gz"
        made = runner.invoke(args=["ops", "backup", str(archive)])
    finally:
        stop.set()
        load.join(timeout=180)
    assert made.exit_code == 0, made.output
    assert all(isinstance(n, int) and n >= 3 for n in results["done"]), results
    db.session.remove()
    after = counts(db)

    with tarfile.open(archive) as tar:
        manifest = json.loads(tar.extractfile("manifest.json").read())
    assert manifest["database"]["dialect"] == db.engine.dialect.name
    assert manifest["missing_referenced_files"] == []
    # The backup was taken mid-load: its rows lie between those before and after.
    for table in ("usage_daily", "material_versions", "audit_entries"):
        assert before[table] < manifest["tables"][table] <= after[table], table
    assert (
        manifest["tables"]["usage_daily"] < after["usage_daily"]
        or manifest["tables"]["material_versions"] < after["material_versions"]
    )

    database_url, folder = restore_target
    restored = runner.invoke(
        args=["ops", "restore", str(archive), "--target-db", database_url, "--upload-dir", str(folder)]
    )
    assert restored.exit_code == 0, restored.output

    # Every file of the archive is in the new folder with its SHA-256.
    on_disk = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir()}
    assert on_disk == {f["name"].removeprefix("uploads/"): f["sha256"] for f in manifest["files"]}

    other = app_on(database_url, folder)
    try:
        with other.app_context():
            assert counts(db) == manifest["tables"]  # every row of the backup
            signed = db.session.execute(
                sa.select(Contract.id, Contract.signed_file, Contract.signed_sha256).where(
                    Contract.signed_file.is_not(None)
                )
            ).all()
            versions = db.session.execute(
                sa.select(
                    MaterialVersion.material_id,
                    MaterialVersion.version,
                    MaterialVersion.stored_file,
                    MaterialVersion.sha256,
                )
            ).all()
            db.session.remove()
        assert len(signed) == UPLOADERS and len(versions) == manifest["tables"]["material_versions"]
        browser = other.test_client()
        assert (
            browser.post("/login", data={"username": "boss", "password": "correct-horse-1"}).status_code
            == 302
        )
        for contract_id, _name, digest in signed:
            with browser.get(f"/contracts/{contract_id}/signed") as answer:
                assert answer.status_code == 200 and hashlib.sha256(answer.data).hexdigest() == digest
        for material_id, version, _name, digest in versions:
            with browser.get(f"/training/materials/{material_id}/v{version}/download") as answer:
                assert answer.status_code == 200 and hashlib.sha256(answer.data).hexdigest() == digest
    finally:
        dispose(other)
