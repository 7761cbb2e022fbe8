"""Hostile uploads on every upload route: the contract's signed copy, staff and portal materials (new
and new version), the usage CSV import and the agents' CSV import.

A disguised type, an oversized body, a path in the name and a name with markup in it: refused
uploads store nothing (the upload folder, and the folders above it, list the same files before and
after) and change nothing; an accepted name with markup is shown escaped wherever it appears.
"""

import io
from pathlib import Path

import pytest
import sqlalchemy as sa

from ops.audit.models import AuditEntry
from ops.contracts.models import Contract
from ops.extensions import db
from ops.onboarding.models import Agent
from ops.training.models import Material, MaterialVersion
from ops.usage.models import UsageDaily, UsageImport
from tests.conftest import login
from tests.training.helpers import pdf_bytes
from tests.usage.usage_helpers import zh_csv

# route -> (who posts, form fields besides the file, accepted kinds)
ROUTES = {
    "contracts.upload_signed": ("admin", {}, "pdf"),
    "training.material_new": ("admin", {"category": "faq", "title": "上传安全测试"}, "document"),
    "training.material_add_version": ("admin", {"note": ""}, "document"),
    "portal.materials": ("client", {"category": "faq", "title": "上传安全测试"}, "document"),
    "portal.material_add_version": ("client", {"note": ""}, "document"),
    "usage.import_form": ("admin", {}, "csv"),
    "onboarding.agent_import": ("admin", {"submit": "1"}, "agents_csv"),
}
HTML = b"<!doctype html><html><body><script>alert(1)</script></body></html>"
TEXT = "这是一个文本文件，不是 PDF。\n".encode()
MARKUP_NAME = "<script>alert(1)<!--"  # no "/" in it: a name with a path is refused outright
SCRIPT_NAME = "<script>alert(1)</script>.pdf"


def url(world, endpoint: str) -> str:
    return {
        "contracts.upload_signed": f"/contracts/{world.a.contract_id}/signed",
        "training.material_new": "/training/materials/new",
        "training.material_add_version": f"/training/materials/{world.a.material_id}/versions",
        "portal.materials": "/portal/materials",
        "portal.material_add_version": f"/portal/materials/{world.a.material_id}/versions",
        "usage.import_form": "/usage/import",
        "onboarding.agent_import": "/onboarding/agents/import",
    }[endpoint]


def csv_bytes(world) -> bytes:
    return zh_csv(world.a.name, [("2026/10/01", "天猫", 10, 9, "100", "", "", "")]).encode()


def listing(app) -> dict[str, set[str]]:
    """The files in the upload folder and in the two folders above it."""
    folder = Path(app.config["UPLOAD_DIR"])
    folder.mkdir(parents=True, exist_ok=True)
    # pytest's own session folders (pytest-N, garbage-…) come and go with other test runs on the machine
    return {
        str(p): {f.name for f in p.iterdir() if not f.name.startswith(("pytest-", "garbage-"))}
        for p in (folder, folder.parent, folder.parent.parent)
    }


def state(app, world) -> dict:
    with app.app_context():
        count = lambda model: db.session.scalar(sa.select(sa.func.count()).select_from(model))  # noqa: E731
        contract = db.session.get(Contract, world.a.contract_id)
        return {
            "materials": count(Material),
            "versions": count(MaterialVersion),
            "usage": count(UsageDaily),
            "imports": count(UsageImport),
            "agents": count(Agent),
            "audit": count(AuditEntry),
            "signed": (contract.signed_file, contract.signed_original_name),
        }


@pytest.fixture
def post(app, world):
    """post(endpoint, filename, data) as the route's user, following redirects to the message."""
    clients = {role: app.test_client() for role in ("admin", "client")}
    for role, client in clients.items():
        assert login(client, world.usernames[role]).status_code == 302

    def do(endpoint: str, filename: str, data: bytes, follow: bool = True):
        role, fields, _kinds = ROUTES[endpoint]
        form = dict(fields, file=(io.BytesIO(data), filename))
        if endpoint == "training.material_new":
            form["client_id"] = str(world.a.client_id)
        return clients[role].post(
            url(world, endpoint), data=form, content_type="multipart/form-data", follow_redirects=follow
        )

    return do


def assert_refused(app, world, response, before_state, before_files, message: str) -> None:
    html = response.get_data(as_text=True)
    assert response.status_code == 200, html[:500]
    assert message in html
    assert state(app, world) == before_state
    assert listing(app) == before_files


DISGUISES = {
    # (file name, bytes, what the page says) per kind of route
    "pdf": [
        ("manual.pdf", TEXT, "文件内容与扩展名"),
        ("picture.png", HTML, "不支持的文件类型"),
    ],
    "document": [
        ("manual.pdf", TEXT, "文件内容与扩展名"),
        ("picture.png", HTML, "文件内容与扩展名"),
    ],
    "csv": [
        ("manual.pdf", TEXT, "请上传 .csv 文件"),
        ("picture.png", HTML, "请上传 .csv 文件"),
        ("usage.csv", HTML, "未导入任何数据"),  # text, but not a usage table
    ],
    "agents_csv": [
        ("manual.pdf", TEXT, "请上传 .csv 文件"),
        ("picture.png", HTML, "请上传 .csv 文件"),
        ("agents.csv", HTML, "未导入任何客服"),  # text, but not an agents table
    ],
}


@pytest.mark.parametrize("endpoint", sorted(ROUTES))
def test_disguised_types_are_refused(app, world, post, endpoint):
    for filename, data, message in DISGUISES[ROUTES[endpoint][2]]:
        before_state, before_files = state(app, world), listing(app)
        response = post(endpoint, filename, data)
        assert_refused(app, world, response, before_state, before_files, message)


@pytest.mark.parametrize("endpoint", sorted(ROUTES))
def test_an_oversized_body_is_refused_with_the_413_page(app, world, post, monkeypatch, endpoint):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 64 * 1024)
    csv = ROUTES[endpoint][2] in ("csv", "agents_csv")
    big = csv_bytes(world) * 1000 if csv else pdf_bytes() + b"%" + b"x" * (100 * 1024)
    assert len(big) > 100 * 1024
    before_state, before_files = state(app, world), listing(app)
    name = "usage.csv" if csv else "manual.pdf"
    response = post(endpoint, name, big, follow=False)
    assert response.status_code == 413
    assert "文件太大" in response.get_data(as_text=True)
    assert state(app, world) == before_state
    assert listing(app) == before_files


@pytest.mark.parametrize("endpoint", sorted(e for e in ROUTES if ROUTES[e][2] not in ("csv", "agents_csv")))
def test_a_path_in_the_file_name_is_refused(app, world, post, endpoint):
    for filename in ("../../x.pdf", "../../../etc/passwd.pdf", SCRIPT_NAME):
        before_state, before_files = state(app, world), listing(app)
        response = post(endpoint, filename, pdf_bytes())
        assert_refused(app, world, response, before_state, before_files, "文件名不能包含路径")
        assert "<script>alert(1)</script>" not in response.get_data(as_text=True)


def test_the_usage_import_keeps_only_the_last_name_component(app, world, post):
    """The CSV is parsed in memory, never stored: a path in its name is only display text, cut off."""
    before_files = listing(app)
    response = post("usage.import_form", "../../usage.csv", csv_bytes(world))
    assert response.status_code == 200
    assert listing(app) == before_files
    with app.app_context():
        latest = db.session.scalar(sa.select(UsageImport).order_by(UsageImport.id.desc()))
        assert latest.filename == "usage.csv"


def assert_escaped(html: str) -> None:
    assert "&lt;script&gt;alert(1)" in html
    assert "<script>alert(1)" not in html


def test_a_name_with_markup_is_shown_escaped_everywhere(app, world, post):
    staff, client_user = app.test_client(), app.test_client()
    login(staff, world.usernames["admin"])
    login(client_user, world.usernames["client"])

    post("contracts.upload_signed", MARKUP_NAME + ".pdf", pdf_bytes())
    html = staff.get(f"/contracts/{world.a.contract_id}").get_data(as_text=True)
    assert_escaped(html)
    portal_page = client_user.get(f"/portal/contracts/{world.a.contract_id}")
    assert "<script>alert(1)" not in portal_page.get_data(as_text=True)

    post("training.material_add_version", MARKUP_NAME + "staff.pdf", pdf_bytes())
    post("portal.material_add_version", MARKUP_NAME + "portal.pdf", pdf_bytes())
    for page in (
        staff.get(f"/training/materials/{world.a.material_id}"),
        client_user.get("/portal/materials"),
        staff.get("/training/materials"),
        staff.get("/training/"),
    ):
        assert page.status_code == 200
        assert "<script>alert(1)" not in page.get_data(as_text=True)
    assert_escaped(staff.get(f"/training/materials/{world.a.material_id}").get_data(as_text=True))
    assert_escaped(client_user.get("/portal/materials").get_data(as_text=True))

    post("usage.import_form", MARKUP_NAME + ".csv", csv_bytes(world))
    assert_escaped(staff.get("/usage/").get_data(as_text=True))
