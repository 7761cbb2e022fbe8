"""The benchmark data set: a large vendor's year, made through the project's own services.

    .venv/bin/python bench/dataset.py [--scale 0.1] [--out tmp/bench/ops-1.0.db]

Full size (scale 1): 500 clients (one shop each), 1,000 active contracts covering every pricing
model × billing cycle × timing, 5,000 agents with assignments and checklists, daily usage for the
whole of 2025 (500 × 365 = 182,500 rows) and the invoices of the runs 2024-12 … 2025-11 issued
with their PDFs (older ones paid). The run for 2025-12 is left for ``bench/run.py`` to time.

Everything is deterministic (a seeded random generator, fixed dates in 2025), so two builds at the
same scale and DATASET_VERSION hold the same records. Where a service exists for one row but would
take too long for tens of thousands, the bulk path is used and says so in a comment.
"""

from __future__ import annotations

import argparse
import io
import random
import sys
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

DATASET_VERSION = 1  # bump whenever what the builder makes changes: run.py rebuilds cached sets
YEAR = 2025
BENCH_RUN = "2025-12"  # the run bench/run.py times; the builder issues every run before it
HISTORY_RUNS = ("2024-12", *(f"{YEAR}-{m:02d}" for m in range(1, 12)))  # 2024-12 bills in-advance January
CONTRACT_START = date(YEAR, 1, 1)
PASSWORD = "bench-password-2026"
STAFF = (
    ("admin", "系统管理员", "admin"),
    ("manager", "王经理", "manager"),
    ("finance", "刘财务", "finance"),
    ("trainer", "陈培训", "trainer"),
    *((f"sales{i}", f"销售{i}", "sales") for i in range(1, 6)),
)
MODELS = ("fixed_seat", "base_commission", "per_consult")
CYCLES = (
    ("monthly", "in_arrears"),
    ("monthly", "in_advance"),
    ("quarterly", "in_arrears"),
    ("quarterly", "in_advance"),
)
PLATFORMS = ("tmall", "taobao", "jd", "pdd", "douyin", "kuaishou")
CATEGORIES = ("服饰鞋包", "美妆个护", "家居家纺", "数码家电", "食品生鲜", "母婴用品", "运动户外")
CITIES = ("北京", "上海", "杭州", "广州", "深圳", "成都", "武汉", "南京", "苏州", "厦门")
WORDS = (
    "晨光",
    "云帆",
    "星河",
    "青禾",
    "木棉",
    "远山",
    "清风",
    "暖阳",
    "蓝湾",
    "知夏",
    "拾光",
    "原野",
    "鹿鸣",
    "半亩",
    "朗月",
    "初见",
    "锦绣",
    "素简",
    "悦己",
    "森屿",
)
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = (
    "静",
    "敏",
    "婷",
    "丽",
    "娜",
    "芳",
    "雪",
    "磊",
    "洋",
    "勇",
    "杰",
    "欣",
    "悦",
    "琳",
    "晨",
    "浩",
    "佳",
    "倩",
)
SHIFT_PLAN = (
    ("presales", "day"),
    ("presales", "evening"),
    ("aftersales", "day"),
    ("presales", "day"),
    ("aftersales", "evening"),
)


def default_path(scale: float) -> Path:
    return ROOT / "tmp" / "bench" / f"ops-v{DATASET_VERSION}-{scale:g}.db"


def queue_path(db_path: Path) -> Path:
    """The build's task queue (SqliteHuey), beside the data set; removed when the build ends."""
    return db_path.parent / f"{db_path.stem}-queue.db"


def make_app(db_path: Path, **config):
    from ops import create_app

    upload_dir = db_path.parent / f"{db_path.stem}-uploads"
    upload_dir.mkdir(parents=True, exist_ok=True)
    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{db_path}",
            "SECRET_KEY": "bench-secret-key",
            "VAULT_KEY": "n0Jq2m4m0o8bq6QpM4Jg5z0mVvJx3h1QeYx2m6cQnV8=",
            "UPLOAD_DIR": str(upload_dir),
            "OUTBOX_DIR": str(db_path.parent / f"{db_path.stem}-outbox"),
            "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",  # logins are not what the benchmark measures
            # By default issued PDFs are rendered where they are issued (the queue's immediate mode):
            # bench/run.py's one-process billing run times issuing with its PDFs. The builder itself
            # passes QUEUE_IMMEDIATE=False and runs consumers (``consumers``).
            "QUEUE_IMMEDIATE": True,
            **config,
        }
    )


def _consumer_main(db_path: str) -> None:
    """One queue consumer (one worker) on the data set being built: ``dataset.py --consumer PATH``.
    Made with make_app's config (the build's built-in PDF font), which ``flask ops worker`` cannot take."""
    from ops.tasks.runtime import run_consumer

    path = Path(db_path)
    app = make_app(
        path, AUTO_MIGRATE=False, PDF_FONT=None, QUEUE_IMMEDIATE=False, QUEUE_FILE=str(queue_path(path))
    )
    run_consumer(app, workers=1, periodic_tasks=False)


class consumers:
    """``n`` consumer processes for the build (the parallel path: PDFs and event deliveries are done by
    the consumers while this process bills and issues, as in production). On leaving, waits until every
    issued PDF is stored and every event dispatched, then stops them."""

    def __init__(self, db_path: Path, n: int):
        self.db_path, self.n, self.processes = db_path, n, []

    def __enter__(self):
        import subprocess

        for _ in range(self.n):
            self.processes.append(
                subprocess.Popen(
                    [sys.executable, str(Path(__file__).resolve()), "--consumer", str(self.db_path)],
                    cwd=ROOT,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                    start_new_session=True,
                )
            )
        return self

    def drain(self) -> None:
        """Return once the consumers have rendered every PDF and dispatched every event."""
        from ops.billing.services.pdfs import finish_pdfs
        from ops.events.models import Event
        from ops.extensions import db

        finish_pdfs(idle_seconds=30)
        while db.session.scalar(sa.select(sa.func.count(Event.id)).where(Event.dispatched_at.is_(None))):
            db.session.commit()
            if any(p.poll() is not None for p in self.processes):
                raise RuntimeError("a build consumer stopped")
            time.sleep(0.2)
        db.session.commit()

    def __exit__(self, *exc):
        import os
        import signal

        for process in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGINT)
        for process in self.processes:
            try:
                process.wait(timeout=30)
            except Exception:  # noqa: BLE001 - a consumer that does not stop is killed
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        return False


def credit_code(n: int) -> str:
    """A valid, unique 统一社会信用代码 for client ``n``."""
    from ops.clients.taxid import CHARSET
    from ops.demo.clients import tax_id

    return tax_id("".join(ch if ch in CHARSET else "0" for ch in f"913301{n:011d}"))


def _progress(label: str, started: float) -> None:
    print(f"  {label:<34} {time.perf_counter() - started:6.1f} s", flush=True)


# --- the pipeline ------------------------------------------------------------------------------


def _users():
    from ops.auth import services as auth_services

    return {
        username: auth_services.create_user(
            username=username, display_name=name, role=role, password=PASSWORD, must_change_password=False
        )
        for username, name, role in STAFF
    }


def _clients(n: int, users: dict, rng: random.Random) -> list:
    from ops.clients import services as client_services

    sales = [u for name, u in users.items() if name.startswith("sales")]
    clients = []
    for i in range(n):
        city, word = CITIES[i % len(CITIES)], WORDS[(i // len(CITIES)) % len(WORDS)]
        category = CATEGORIES[i % len(CATEGORIES)]
        platform = PLATFORMS[i % len(PLATFORMS)]
        name = f"{city}{word}{category[:2]}旗舰店{i + 1:03d}"
        client = client_services.create_client(
            {
                "name": name,
                "legal_name": f"{city}{word}{category[:2]}贸易有限公司（{i + 1:03d}）",
                "tax_id": credit_code(i + 1),
                "category": category,
                "owner_id": sales[i % len(sales)].id,
                "address": f"{city}市高新区创业路 {i + 1} 号",
                "phone": f"0571-8{i:07d}",
                "bank_name": "招商银行营业部",
                "bank_account": f"62148{i:011d}",
                "shop_platform": platform,
                "shop_name": name,
            },
            by=sales[i % len(sales)],
        )
        client_services.record_needs(
            client,
            {
                "platform": platform,
                "scope": "both",
                "shifts": ["day", "evening"],
                "avg_daily_consults": 400 + rng.randrange(0, 1600, 50),
                "peak_daily_consults": 3000,
                "peak_hour_share_bp": 1200,
                "aht_seconds": 180,
                "concurrency": 3,
                "sl_target_bp": 8000,
                "sl_answer_seconds": 30,
                "avg_order_value_fen": rng.randrange(8_000, 40_000, 500),
                "inquiry_conversion_bp": 2000,
                "category": category,
                "complexity": 1 + i % 5,
                "sku_count": 200,
                "special_requirements": "",
            },
            by=sales[i % len(sales)],
        )
        clients.append(client)
    return clients


def _contracts(clients: list, n: int, users: dict, signed_pdf: bytes) -> list:
    from werkzeug.datastructures import FileStorage

    from ops.contracts import services as contract_services
    from ops.extensions import db
    from ops.quotes import services as quote_services

    contracts = []
    for i in range(n):
        client = clients[i % len(clients)]
        model = MODELS[i % len(MODELS)]
        cycle, timing = CYCLES[(i // len(MODELS)) % len(CYCLES)]
        sales = users[f"sales{1 + i % 5}"]
        quote = quote_services.create_quote(client, model, sales, today=date(YEAR - 1, 12, 1))
        quote_services.send_quote(quote, sales, today=date(YEAR - 1, 12, 1))
        quote_services.accept_quote(quote, sales, "客户已确认", today=date(YEAR - 1, 12, 10))
        contract = contract_services.create_from_quote(quote, sales, start_on=CONTRACT_START, months=24)
        deposit = {
            0: ("first_invoice", contract.deposit_fen),
            1: ("refund_at_end", contract.deposit_fen),
        }.get(i % 4, ("refund_at_end", 0))
        contract_services.update_contract(
            contract,
            {
                "billing_cycle": cycle,
                "billing_timing": timing,
                "deposit_usage": deposit[0],
                "deposit_fen": deposit[1],
                "due_rule": "day_of_next_month" if i % 2 else "net_days",
                "due_value": 10 if i % 2 else 30,
                "invoice_type": "special" if i % 3 == 0 else "normal",
                "breakin_months": i % 2,
            },
            by=sales,
        )
        contract_services.submit_for_signature(contract, by=sales)
        contract_services.upload_signed_copy(
            contract, FileStorage(io.BytesIO(signed_pdf), filename=f"{contract.number}.pdf"), by=sales
        )
        if contract.deposit_fen:
            contract_services.receive_deposit(
                contract,
                contract.deposit_fen,
                date(YEAR - 1, 12, 20),
                f"银行回单 {contract.number}",
                by=users["finance"],
            )
        contract_services.activate(contract, by=users["manager"], signed_on=date(YEAR - 1, 12, 18))
        contracts.append(contract)
        if i % 100 == 99:
            db.session.commit()
    return contracts


def _agents(contracts: list, n: int, users: dict, rng: random.Random) -> int:
    """Agents on the contracts (n / contracts each), each with an assignment and its checklist.

    Bulk: create_agent + create_assignment + ten checklist ticks + go_live through the services cost
    about 35 ms an agent (audit entries, stage checks, the training-facts sync): three minutes for
    5,000. The rows written here are the ones those services leave (the checklist copied from the
    default template as create_assignment copies it, the gate's items done or verified, the agent
    live and the client at the live stage), without their audit entries.
    """
    from ops.clients.models import Client
    from ops.extensions import db
    from ops.onboarding.models import Agent, Assignment, ChecklistItem
    from ops.onboarding.services import ensure_default_template
    from ops.timeutil import utcnow

    template = ensure_default_template()
    db.session.commit()
    manager, now = users["manager"], utcnow()
    per_contract = max(1, n // len(contracts))
    agents, plans = [], []
    for c_index, contract in enumerate(contracts):
        for k in range(per_contract):
            made = len(agents) + 1
            # Most start with the contract; some join during the year (billing prorates them); one in
            # twenty is still onboarding, planned for next month (the onboarding dashboard's rows).
            roll = rng.random()
            if roll < 0.05:
                planned, live_on = date(YEAR + 1, 1, 1) + timedelta(days=rng.randrange(0, 60)), None
            elif roll < 0.25:
                planned = live_on = CONTRACT_START + timedelta(days=rng.randrange(20, 330))
            else:
                planned = live_on = CONTRACT_START
            agents.append(
                {
                    "name": SURNAMES[made % len(SURNAMES)]
                    + GIVEN[(made // len(SURNAMES)) % len(GIVEN)]
                    + GIVEN[(made // 7) % len(GIVEN)],
                    "employee_no": f"KF{made:05d}",
                    "phone": f"138{made:08d}",
                    "status": "live" if live_on else "training",
                    "skills": ["售前"] if k % 2 == 0 else ["售后"],
                    "platforms": [PLATFORMS[c_index % len(PLATFORMS)]],
                    "notes": "",
                    "created_at": now,
                }
            )
            scope, shift = SHIFT_PLAN[k % len(SHIFT_PLAN)]
            plans.append((contract, scope, shift, planned, live_on))
    agent_ids = db.session.scalars(
        sa.insert(Agent.__table__).returning(Agent.id, sort_by_parameter_order=True), agents
    ).all()
    assignment_ids = db.session.scalars(
        sa.insert(Assignment.__table__).returning(Assignment.id, sort_by_parameter_order=True),
        [
            {
                "agent_id": agent_id,
                "contract_id": contract.id,
                "client_id": contract.client_id,
                "scope": scope,
                "shift": shift,
                "planned_go_live_on": planned,
                "go_live_on": live_on,
                "went_live_by_id": manager.id if live_on else None,
                "override_reason": "",
                "created_at": now,
            }
            for agent_id, (contract, scope, shift, planned, live_on) in zip(agent_ids, plans, strict=True)
        ],
    ).all()
    items = []
    for assignment_id, (_contract, _scope, _shift, _planned, live_on) in zip(
        assignment_ids, plans, strict=True
    ):
        for t in template.items:
            state = ("verified" if t.needs_verification else "done") if live_on else "todo"
            items.append(
                {
                    "assignment_id": assignment_id,
                    "position": t.position,
                    "title": t.title,
                    "category": t.category,
                    "required": t.required,
                    "needs_verification": t.needs_verification,
                    "evidence_note": t.evidence_note,
                    "auto_rule": t.auto_rule,
                    "state": state,
                    "blocked_reason": "",
                    "evidence": "入职资料已核对" if live_on else "",
                    "done_at": now if live_on else None,
                    "done_by_id": manager.id if live_on else None,
                    "verified_at": now if live_on and t.needs_verification else None,
                    "verified_by_id": manager.id if live_on and t.needs_verification else None,
                    "updated_at": now,
                }
            )
    db.session.execute(sa.insert(ChecklistItem.__table__), items)
    live_clients = {contract.client_id for contract, *_rest, live_on in plans if live_on}
    db.session.execute(sa.update(Client).where(Client.id.in_(live_clients)).values(stage="live"))
    db.session.commit()
    return len(agents)


def _usage(clients: list, rng: random.Random) -> int:
    """A year of daily figures per client through the import service (one import per month)."""
    from ops.extensions import db
    from ops.usage.parse import UsageRow
    from ops.usage.services import import_usage

    platform_of = {c.id: c.shops[0].platform for c in clients}
    total = 0
    for month in range(1, 13):
        day = date(YEAR, month, 1)
        rows = []
        while day.month == month:
            for client_id, platform in platform_of.items():
                consults = rng.randrange(300, 3000)
                valid = consults - rng.randrange(0, consults // 10 + 1)
                gmv = valid * rng.randrange(3_000, 9_000)
                rows.append(
                    UsageRow(
                        row=len(rows) + 2,
                        client_id=client_id,
                        client_name=None,
                        day=day,
                        platform=platform,
                        consults=consults,
                        valid_consults=valid,
                        served_gmv_fen=gmv,
                        refunds_fen=gmv // rng.randrange(15, 40),
                        first_response_ms=rng.randrange(8_000, 40_000),
                        avg_response_ms=rng.randrange(20_000, 70_000),
                        reply_3min_bp=rng.randrange(8_000, 10_000),
                        inquiry_conversion_bp=rng.randrange(1_200, 3_000),
                        satisfaction_bp=rng.randrange(8_500, 9_900),
                        dispute_refund_bp=rng.randrange(0, 150),
                    )
                )
            day += timedelta(days=1)
        total += import_usage(rows, "cli", f"usage-{YEAR}-{month:02d}.csv").rows
        db.session.commit()
    return total


def _reload_users() -> dict:
    from ops.auth.models import User
    from ops.extensions import db

    return {user.username: user for user in db.session.scalars(sa.select(User).where(User.role != "client"))}


def _issue_date(run_period: str) -> date:
    """Invoices of a run are issued on the 3rd of the month after the run month."""
    year, month = (int(x) for x in run_period.split("-"))
    return date(year + month // 12, month % 12 + 1, 3)


def _history(users: dict) -> tuple[int, int]:
    """The runs before BENCH_RUN, every draft issued with its PDF; invoices two runs old are paid."""
    from ops.billing import services as billing
    from ops.billing.models import Invoice
    from ops.extensions import db

    finance = users["finance"]
    issued = paid = 0
    by_run: list[list[int]] = []
    for run_period in HISTORY_RUNS:
        summary = billing.run_billing(run_period, by=finance)
        if summary.errors:
            raise RuntimeError(f"billing run {run_period} refused: {summary.errors[:3]}")
        issued_on = _issue_date(run_period)
        for invoice_id in summary.invoice_ids:
            billing.issue_invoice(invoice_id, by=finance, issued_on=issued_on)
            issued += 1
        by_run.append(summary.invoice_ids)
    for ids in by_run[:-2]:
        for invoice in db.session.scalars(sa.select(Invoice).where(Invoice.id.in_(ids))):
            if invoice.status == "issued" and invoice.total_fen > 0:
                billing.record_payment(
                    invoice,
                    billing.balance_fen(invoice),
                    invoice.due_on or invoice.issued_on,
                    "银行转账",
                    f"回单 {invoice.number}",
                    by=finance,
                )
                paid += 1
        db.session.commit()
    return issued, paid


def build(path: Path, scale: float = 1.0, *, quiet: bool = False, n_consumers: int = 2) -> dict:
    """Build the data set into a new SQLite file at ``path`` and return its counts."""
    from ops.contracts.services import ensure_default_clauses, update_vendor_profile
    from ops.demo.contracts import VENDOR, signed_pdf
    from ops.extensions import db
    from ops.ratecards.services import ensure_default_rate_card

    path.parent.mkdir(parents=True, exist_ok=True)
    for leftover in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        leftover.unlink(missing_ok=True)
    n_clients, n_contracts, n_agents = round(500 * scale), round(1000 * scale), round(5000 * scale)
    rng = random.Random(20250101)
    # The history's stored PDFs use ReportLab's built-in CID font (a third faster than embedding a TTF
    # subset, and the build issues 7,500 of them); the benchmark itself renders with the configured font.
    # The queue is real (a SQLite file) and ``n_consumers`` consumer processes render the PDFs and deliver
    # the events while this process bills and issues: the parallel path a vendor runs in production.
    for leftover in (queue_path(path), Path(f"{queue_path(path)}-wal"), Path(f"{queue_path(path)}-shm")):
        leftover.unlink(missing_ok=True)
    # (``n_consumers=0``: the old way, every PDF rendered inside its issue.)
    app = make_app(
        path,
        AUTO_MIGRATE=True,
        PDF_FONT=None,
        QUEUE_IMMEDIATE=n_consumers == 0,
        QUEUE_FILE=str(queue_path(path)),
    )
    started = time.perf_counter()
    counts: dict = {"scale": scale, "version": DATASET_VERSION}
    say = (lambda label: None) if quiet else (lambda label: _progress(label, started))
    with app.app_context(), consumers(path, n_consumers) as pool:
        users = _users()
        ensure_default_rate_card(users["admin"])
        ensure_default_clauses()
        update_vendor_profile({"name": "杭州云帆客服外包有限公司", **VENDOR}, by=users["admin"])
        db.session.commit()
        clients = _clients(n_clients, users, rng)
        db.session.commit()
        say(f"{len(clients)} clients")
        contracts = _contracts(clients, n_contracts, users, signed_pdf("客服外包服务合同"))
        db.session.commit()
        say(f"{len(contracts)} contracts")
        from ops.auth import services as auth_services

        auth_services.create_user(
            username="client",
            display_name=f"{clients[0].name} 店长",
            role="client",
            password=PASSWORD,
            client_id=clients[0].id,
            must_change_password=False,
        )
        db.session.commit()
        counts["agents"] = _agents(contracts, n_agents, users, rng)
        say(f"{counts['agents']} agents")
        counts["usage_rows"] = _usage(clients, rng)
        say(f"{counts['usage_rows']} usage rows")
        counts["clients"], counts["contracts"] = len(clients), len(contracts)
        # Let go of the objects made so far: every commit expires each object the session still holds,
        # and the history's thousands of commits over the 1,500 clients and contracts held here (and
        # what they loaded) took half of the builder's time.
        del clients, contracts
        db.session.expunge_all()
        users = _reload_users()
        counts["invoices_issued"], counts["invoices_paid"] = _history(users)
        say(f"{counts['invoices_issued']} invoices issued")
        pool.drain()
        say("every PDF stored, every event dispatched")
        db.session.execute(sa.text("PRAGMA wal_checkpoint(TRUNCATE)"))
        db.session.commit()
        db.session.execute(sa.text("ANALYZE"))
        db.session.commit()
        db.engine.dispose()
    for leftover in (queue_path(path), Path(f"{queue_path(path)}-wal"), Path(f"{queue_path(path)}-shm")):
        leftover.unlink(missing_ok=True)
    counts["build_seconds"] = round(time.perf_counter() - started, 1)
    return counts


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="1 = full size, 0.1 = a tenth")
    parser.add_argument(
        "--out", type=Path, help="SQLite file to create (default tmp/bench/ops-v<version>-<scale>.db)"
    )
    parser.add_argument(
        "--consumers", type=int, default=2, help="queue consumers during the build (default 2)"
    )
    parser.add_argument("--consumer", metavar="PATH", help=argparse.SUPPRESS)  # run.py's consumer processes
    args = parser.parse_args(argv)
    if args.consumer:
        _consumer_main(args.consumer)
        return 0
    path = args.out or default_path(args.scale)
    counts = build(path, args.scale, n_consumers=args.consumers)
    print(f"{path}: {counts}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
