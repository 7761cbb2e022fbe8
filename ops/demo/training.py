"""Demo training data: versioned materials (real small files), sessions past and upcoming,
attendance and exam attempts. Everything goes through the services; the caller commits."""

import io
import struct
import zlib
from datetime import UTC, datetime, time, timedelta

import sqlalchemy as sa
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas
from werkzeug.datastructures import FileStorage

from ops.auth import services as auth_services
from ops.auth.models import User
from ops.auth.roles import CLIENT, TRAINER
from ops.demo.staff import DEMO_PASSWORD
from ops.extensions import db
from ops.pdf import cjk_font
from ops.timeutil import SHANGHAI, today
from ops.training import services
from ops.training.services import SessionInput


def demo_pdf(title: str, lines: list[str]) -> bytes:
    """A one-page A4 PDF with Chinese text (ReportLab's built-in CID font)."""
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4)
    font = cjk_font()
    canvas.setFont(font, 18)
    canvas.drawString(60, 780, title)
    canvas.setFont(font, 11)
    for i, line in enumerate(lines):
        canvas.drawString(60, 745 - i * 20, line)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def demo_png(
    width: int = 160, height: int = 60, colours=((30, 110, 200), (240, 180, 40), (60, 170, 90))
) -> bytes:
    """A valid PNG of vertical colour bands (no image library needed)."""
    band = max(1, width // len(colours))
    row = b"".join(bytes(colours[min(x // band, len(colours) - 1)]) for x in range(width))
    raw = b"".join(b"\x00" + row for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def _file(name: str, data: bytes) -> FileStorage:
    return FileStorage(stream=io.BytesIO(data), filename=name)


def _values(items) -> list:
    if items is None:
        return []
    return list(items.values()) if isinstance(items, dict) else list(items)


def _at(days: int, hour: int, minute: int = 0) -> datetime:
    """A Shanghai wall-clock time ``days`` from today, as aware UTC."""
    return datetime.combine(today() + timedelta(days=days), time(hour, minute), tzinfo=SHANGHAI).astimezone(
        UTC
    )


def _client_user(client, users: dict):
    for user in users.values():
        if getattr(user, "role", None) == CLIENT and user.client_id == client.id:
            return user
    user = db.session.scalar(sa.select(User).where(User.role == CLIENT, User.client_id == client.id))
    if user is None:
        user = auth_services.create_user(
            username=f"kehu{client.id}",
            display_name=f"{client.name}店长",
            role=CLIENT,
            password=DEMO_PASSWORD,
            client_id=client.id,
            must_change_password=False,
            check_policy=False,  # the demo password; refused in production
        )
    return user


def load_training_demo(clients, agents, users) -> dict:
    """Materials, sessions, attendance and exams for the first clients and agents.

    ``clients``/``agents``: lists (or dicts) of Client / Agent rows; ``users``: username -> User,
    "trainer" is used when present. A client user of the first client uploads one material that
    staff have not opened yet (one is created, ``kehu<id>`` / demo-2026, when none exists).
    """
    clients = _values(clients)
    agents = [a for a in _values(agents) if a.status != "left"]
    users = users or {}
    trainer = users.get("trainer") or db.session.scalar(
        sa.select(User).where(User.role == TRAINER, User.is_active_user.is_(True)).order_by(User.id)
    )
    if trainer is None or not clients:
        return {}
    first = clients[0]
    second = clients[1] if len(clients) > 1 else first
    shop = first.name

    def material(client, category, title, description, uploads, by=trainer):
        name, data, note = uploads[0]
        item = services.create_material(
            client.id if client else None, category, title, description, _file(name, data), by, note=note
        )
        for name, data, note in uploads[1:]:
            services.add_version(item, _file(name, data), note, by)
        return item

    manual = material(
        first,
        "product_manual",
        f"{shop} 产品手册",
        "主推款、材质、尺码与保养说明。",
        [
            (
                "产品手册-v1.pdf",
                demo_pdf(
                    f"{shop} 产品手册",
                    ["一、主推款：云朵四件套（60 支长绒棉）", "二、尺码：1.5 米 / 1.8 米床"],
                ),
                "首版",
            ),
            (
                "产品手册-v2.pdf",
                demo_pdf(f"{shop} 产品手册（第二版）", ["新增：夏季凉席系列", "修正：枕套尺寸 48×74 cm"]),
                "新增夏季凉席系列",
            ),
            (
                "产品手册-v3.pdf",
                demo_pdf(f"{shop} 产品手册（第三版）", ["618 活动赠品：真丝眼罩", "活动期间满 299 减 30"]),
                "618 活动赠品规则",
            ),
        ],
    )
    scripts = material(
        first,
        "scripts",
        "售前接待话术（黄金 10 秒）",
        "开场、催付、议价三类话术。",
        [
            (
                "售前话术.txt",
                "开场：亲，欢迎光临晨光家居~ 有什么可以帮您？\n催付：亲，您选的四件套库存不多了哦。\n".encode(),
                "首版",
            ),
            (
                "售前话术-修订.txt",
                "开场：亲，在的~ 10 秒内必回。\n议价：亲，现在下单可叠加店铺券，已经是最低价啦。\n".encode(),
                "议价话术按运营要求修订",
            ),
        ],
    )
    quick = material(
        first,
        "quick_replies",
        "快捷短语库（千牛导入）",
        "可直接导入千牛的快捷短语。",
        [
            (
                "快捷短语.csv",
                "分组,快捷编码,短语\n售前,/hi,亲，在的~ 请问有什么可以帮您？\n售后,/tk,亲，退款已为您处理，1-3 个工作日到账。\n".encode(),
                "首版",
            ),
        ],
    )
    client_user = _client_user(first, users)
    policy = material(
        first,
        "aftersales_policy",
        "售后政策与补偿标准（2026 版）",
        "客户提供：破损、少件、延迟发货的补偿标准。",
        [
            (
                "售后补偿标准.pdf",
                demo_pdf(
                    "售后政策与补偿标准",
                    ["破损：补发或退款，另赠 10 元无门槛券", "延迟发货超 48 小时：补偿 5 元"],
                ),
                "请培训时重点讲解",
            ),
        ],
        by=client_user,
    )
    pdd_rules = material(
        None,
        "platform_rules",
        "拼多多售后时限要点",
        "48 小时处理、7 天寄回等时限，全员必学。",
        [
            (
                "拼多多售后时限.pdf",
                demo_pdf(
                    "拼多多售后时限要点",
                    [
                        "仅退款/退货申请：48 小时内处理，超时系统自动同意",
                        "买家寄回：7 天内；商家处理退货：7 天内",
                    ],
                ),
                "整理自原始资料",
            ),
        ],
    )
    faq = material(
        None,
        "faq",
        "新人客服常见问题 FAQ",
        "排班、考核、系统登录等新人问题。",
        [
            (
                "新人FAQ.txt",
                "问：首次响应要多快？\n答：售前 10 秒内，售后 30 秒内。\n".encode("gb18030"),
                "GB18030 编码示例",
            ),
        ],
    )
    logistics = material(
        second,
        "logistics",
        "发货地与快递时效",
        "发货仓、合作快递与时效示意图。",
        [
            ("快递时效.png", demo_png(), "顺丰 / 中通 / 京东物流"),
        ],
    )
    made_materials = [manual, scripts, quick, policy, pdd_rules, faq, logistics]

    # Sessions: one finished with results, one over but not yet recorded, two upcoming, one cancelled.
    invitees = agents[:5]
    ids = [a.id for a in invitees]
    done = services.schedule_session(
        SessionInput(
            title=f"{shop} 售前岗前培训",
            mode="onsite",
            trainer_id=trainer.id,
            starts_at=_at(-6, 9, 30),
            ends_at=_at(-6, 17, 30),
            client_id=first.id,
            place="杭州总部 3 楼培训室",
            exam_pass_mark=80,
            exam_max_attempts=3,
            material_ids=[manual.id, scripts.id, quick.id, pdd_rules.id],
            agent_ids=ids,
            notes="第一天产品知识，下午话术演练；考试三轮。",
        ),
        trainer,
    )
    if invitees:
        services.record_attendance(done, {a.id: i != 4 for i, a in enumerate(invitees)}, trainer)
        plans = [[92], [70, 85], [60, 65, 72], [88]]  # passed; failed then passed; out of attempts; passed
        for agent, scores in zip(invitees, plans, strict=False):
            for score in scores:
                services.record_exam_attempt(done, agent, score, trainer)
    services.complete_session(done, trainer)

    services.schedule_session(
        SessionInput(
            title=f"{second.name} 售后流程培训",
            mode="online",
            trainer_id=trainer.id,
            starts_at=_at(-1, 14),
            ends_at=_at(-1, 17),
            client_id=second.id,
            meeting_link="https://meeting.tencent.com/dm/demo2026",
            material_ids=[logistics.id, pdd_rules.id],
            agent_ids=[a.id for a in agents[5:8]] or ids[:2],
        ),
        trainer,
    )
    services.schedule_session(
        SessionInput(
            title=f"{shop} 618 活动专项培训",
            mode="onsite",
            trainer_id=trainer.id,
            starts_at=_at(2, 9, 30),
            ends_at=_at(2, 12),
            client_id=first.id,
            place="杭州总部 3 楼培训室",
            exam_pass_mark=85,
            exam_max_attempts=2,
            material_ids=[manual.id, policy.id],
            agent_ids=ids[:3],
        ),
        trainer,
    )
    services.schedule_session(
        SessionInput(
            title="新人通用培训：平台规则与服务规范",
            mode="online",
            trainer_id=trainer.id,
            starts_at=_at(5, 19),
            ends_at=_at(5, 21),
            meeting_link="https://meeting.dingtalk.com/j/demo2026",
            has_exam=False,
            material_ids=[pdd_rules.id, faq.id],
            agent_ids=[a.id for a in agents[:8]],
        ),
        trainer,
    )
    cancelled = services.schedule_session(
        SessionInput(
            title=f"{second.name} 产品知识复训",
            mode="online",
            trainer_id=trainer.id,
            starts_at=_at(3, 14),
            ends_at=_at(3, 16),
            client_id=second.id,
            meeting_link="https://meeting.tencent.com/dm/demo2027",
            agent_ids=[a.id for a in agents[5:8]],
        ),
        trainer,
    )
    services.cancel_session(cancelled, trainer)
    versions = sum(len(m.versions) for m in made_materials)
    return {"培训资料": len(made_materials), "资料版本": versions, "培训场次": 5}
