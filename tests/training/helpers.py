"""Tiny real files and small factories for the training tests."""

import io
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from reportlab.pdfgen.canvas import Canvas
from werkzeug.datastructures import FileStorage

from ops.demo.training import demo_png
from ops.onboarding.models import Agent
from ops.training import services
from ops.training.services import SessionInput


def pdf_bytes(text: str = "Product manual") -> bytes:
    buffer = io.BytesIO()
    canvas = Canvas(buffer)
    canvas.drawString(72, 720, text)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def docx_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/'
            'package/2006/content-types"/>',
        )
        archive.writestr(
            "word/document.xml",
            '<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats'
            '.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>话术</w:t></w:r></w:p></w:body>'
            "</w:document>",
        )
    return buffer.getvalue()


def png_bytes() -> bytes:
    return demo_png(4, 2)


UTF8_TEXT = "开场：亲，在的~ 请问有什么可以帮您？\n".encode()
GB18030_CSV = "分组,编码,短语\n售后,/tk,亲，退款已处理\n".encode("gb18030")


def upload(name: str, data: bytes) -> FileStorage:
    return FileStorage(stream=io.BytesIO(data), filename=name)


def stored_files(app) -> set[str]:
    folder = Path(app.config["UPLOAD_DIR"])
    return {p.name for p in folder.iterdir()} if folder.exists() else set()


def make_agent(db, name: str = "张小雨", status: str = "training", **fields) -> Agent:
    agent = Agent(
        name=name,
        employee_no=fields.pop("employee_no", f"KF{abs(hash(name)) % 100000:05d}"),
        status=status,
        **fields,
    )
    db.session.add(agent)
    db.session.commit()
    return agent


def hours_from_now(hours: float) -> datetime:
    return datetime.now(UTC) + timedelta(hours=hours)


def make_session(db, trainer, agents=(), *, client=None, started: bool = True, **fields):
    """A scheduled session (by default it started two hours ago) with ``agents`` invited."""
    start = hours_from_now(-2 if started else 48)
    values = dict(
        title="售前岗前培训",
        mode="onsite",
        trainer_id=trainer.id,
        starts_at=start,
        ends_at=start + timedelta(hours=3),
        place="杭州总部 3 楼培训室",
        client_id=client.id if client else None,
        exam_pass_mark=80,
        exam_max_attempts=3,
        agent_ids=[a.id for a in agents],
    )
    values.update(fields)
    session = services.schedule_session(SessionInput(**values), trainer)
    db.session.commit()
    return session


def fetch(client, url: str):
    """GET ``url`` and close the response (file downloads hold the file open until closed)."""
    response = client.get(url)
    response.get_data()
    response.close()
    return response
