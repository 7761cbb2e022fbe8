import io
from pathlib import Path

import pytest
import sqlalchemy as sa

from ops.audit.models import AuditEntry
from ops.training import services
from ops.training.models import Material, MaterialVersion
from ops.training.services import TrainingError
from tests.factories import make_client
from tests.training.helpers import (
    GB18030_CSV,
    UTF8_TEXT,
    docx_bytes,
    fetch,
    pdf_bytes,
    png_bytes,
    stored_files,
    upload,
)

ALLOWED = [
    ("产品手册.pdf", pdf_bytes),
    ("话术.docx", docx_bytes),
    ("物流.png", png_bytes),
    ("话术.txt", lambda: UTF8_TEXT),
    ("快捷短语.csv", lambda: GB18030_CSV),
    ("快捷短语-utf8.csv", lambda: "分组,短语\n售前,亲在的\n".encode()),
]


def _count(db, model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


@pytest.mark.parametrize(("name", "make"), ALLOWED)
def test_each_allowed_type_is_stored(app, db, make_user, name, make):
    trainer = make_user("trainer")
    data = make()
    material = services.create_material(None, "faq", "资料", "", upload(name, data), trainer)
    db.session.commit()
    version = material.versions[0]
    assert version.version == 1 and version.original_name == name and version.size == len(data)
    path = Path(app.config["UPLOAD_DIR"]) / version.stored_file
    assert path.read_bytes() == data
    assert version.stored_file != name and len(version.stored_file.split(".")[0]) == 32


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("手册.pdf", b"just some text, not a PDF", "文件内容与扩展名"),
        ("话术.docx", png_bytes(), "文件内容与扩展名"),
        ("程序.exe", b"MZ\x90\x00", "不支持的文件类型"),
        ("../../etc/passwd.pdf", pdf_bytes(), "文件名不能包含路径"),
        ("..\\..\\boot.pdf", pdf_bytes(), "文件名不能包含路径"),
        ("空.pdf", b"", "文件不能为空"),
    ],
)
def test_refused_uploads_write_nothing(app, db, make_user, name, data, message):
    trainer = make_user("trainer")
    before = stored_files(app)
    with pytest.raises(TrainingError, match=message):
        services.create_material(None, "faq", "资料", "", upload(name, data), trainer)
    db.session.rollback()
    assert stored_files(app) == before
    assert _count(db, Material) == 0 and _count(db, MaterialVersion) == 0
    assert not (Path(app.config["UPLOAD_DIR"]).parent / "etc").exists()


def test_oversized_upload_is_refused(app, db, make_user):
    trainer = make_user("trainer")
    before = stored_files(app)
    big = pdf_bytes() + b"%" * 4096
    with pytest.raises(TrainingError, match="文件太大"):
        services.create_material(None, "faq", "资料", "", upload("大.pdf", big), trainer, max_bytes=2048)
    db.session.rollback()
    assert stored_files(app) == before and _count(db, Material) == 0


def test_display_name_loses_control_characters_and_stays_a_name(app, db, make_user):
    trainer = make_user("trainer")
    material = services.create_material(
        None, "faq", "资料", "", upload("售后\x07政策.pdf", pdf_bytes()), trainer
    )
    db.session.commit()
    version = material.versions[0]
    assert version.original_name == "售后政策.pdf"
    path = (Path(app.config["UPLOAD_DIR"]) / version.stored_file).resolve()
    assert path.parent == Path(app.config["UPLOAD_DIR"]).resolve()


def test_versions_are_kept_numbered_and_downloadable(app, db, client, login_as):
    user = login_as("trainer")
    shop = make_client(db)
    contents = [pdf_bytes("v1"), pdf_bytes("v2 revised"), pdf_bytes("v3 with 618 gifts")]
    material = services.create_material(
        shop.id, "product_manual", "产品手册", "", upload("手册.pdf", contents[0]), user
    )
    services.add_version(material, upload("手册-二版.pdf", contents[1]), "修订", user)
    services.add_version(material, upload("手册-三版.pdf", contents[2]), "618", user)
    db.session.commit()
    numbers = db.session.scalars(
        sa.select(MaterialVersion.version)
        .where(MaterialVersion.material_id == material.id)
        .order_by(MaterialVersion.version)
    ).all()
    assert numbers == [1, 2, 3]
    for number, data in zip((1, 2, 3), contents, strict=True):
        response = fetch(client, f"/training/materials/{material.id}/v{number}/download")
        assert response.status_code == 200
        assert response.data == data
        assert response.headers["Content-Disposition"].startswith("attachment")
        assert response.mimetype == "application/pdf"
    assert fetch(client, f"/training/materials/{material.id}/v4/download").status_code == 404
    page = client.get(f"/training/materials/{material.id}").get_data(as_text=True)
    assert page.index("手册-三版.pdf") < page.index("手册-二版.pdf") < page.index("手册.pdf")
    actions = db.session.scalars(
        sa.select(AuditEntry.action).where(AuditEntry.object_type == "materials")
    ).all()
    assert actions.count("material.version_added") == 2 and "material.created" in actions


def test_refused_new_version_changes_nothing(app, db, make_user):
    trainer = make_user("trainer")
    material = services.create_material(None, "faq", "FAQ", "", upload("faq.txt", UTF8_TEXT), trainer)
    db.session.commit()
    before = stored_files(app)
    with pytest.raises(TrainingError):
        services.add_version(material, upload("faq.pdf", b"not a pdf"), "", trainer)
    db.session.rollback()
    assert stored_files(app) == before
    assert [v.version for v in db.session.get(Material, material.id).versions] == [1]


def test_create_material_through_the_page(app, db, client, login_as):
    login_as("trainer")
    shop = make_client(db)
    response = client.post(
        "/training/materials/new",
        data={
            "client_id": str(shop.id),
            "category": "scripts",
            "title": "售前话术",
            "description": "开场白",
            "note": "首版",
            "file": (io.BytesIO(UTF8_TEXT), "话术.txt"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    material = db.session.scalar(sa.select(Material))
    assert material.client_id == shop.id and material.category == "scripts"
    assert material.versions[0].note == "首版" and not material.versions[0].from_client


def test_disguised_upload_through_the_page_says_why(app, db, client, login_as):
    login_as("trainer")
    before = stored_files(app)
    response = client.post(
        "/training/materials/new",
        data={
            "client_id": "0",
            "category": "faq",
            "title": "FAQ",
            "file": (io.BytesIO(png_bytes()), "faq.docx"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 200
    assert "文件内容与扩展名" in response.get_data(as_text=True)
    assert stored_files(app) == before and _count(db, Material) == 0


def test_configured_size_limit_applies_when_no_limit_is_given(app, db, make_user, monkeypatch):
    trainer = make_user("trainer")
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 4096)
    before = stored_files(app)
    with pytest.raises(TrainingError, match="文件太大"):
        services.create_material(
            None, "faq", "FAQ", "", upload("big.pdf", pdf_bytes() + b"%" * 8192), trainer
        )
    db.session.rollback()
    assert stored_files(app) == before and _count(db, Material) == 0


def test_material_list_filters(app, db, client, login_as):
    user = login_as("sales")
    shop = make_client(db)
    services.create_material(shop.id, "scripts", "晨光话术", "", upload("a.txt", UTF8_TEXT), user)
    services.create_material(None, "faq", "通用 FAQ", "", upload("b.txt", UTF8_TEXT), user)
    db.session.commit()
    html = client.get("/training/materials?client=general").get_data(as_text=True)
    assert "通用 FAQ" in html and "晨光话术" not in html
    html = client.get("/training/materials?category=scripts").get_data(as_text=True)
    assert "晨光话术" in html and "通用 FAQ" not in html
    html = client.get("/training/materials?q=晨光").get_data(as_text=True)
    assert "晨光话术" in html and "通用 FAQ" not in html
    html = client.get(f"/training/materials?client={shop.id}").get_data(as_text=True)
    assert "晨光话术" in html and "话术" in html
