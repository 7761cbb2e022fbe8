"""Demo contracts: every state and every pricing model, monthly and quarterly, in advance and in
arrears, with KPI and breach clauses and signed copies, made through the services."""

from __future__ import annotations

import io
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from werkzeug.datastructures import FileStorage

from ops.contracts import services
from ops.contracts.models import Contract
from ops.contracts.terms import PRESETS_BY_KEY, kpi_from_preset
from ops.extensions import db
from ops.numbering import next_number
from ops.quotes.models import Quote
from ops.quotes.pricing import calculate_quote
from ops.ratecards.rules import NeedsInput, build_terms, result_to_json, terms_to_pricing
from ops.ratecards.services import ensure_default_rate_card
from ops.timeutil import today as business_today
from ops.timeutil import utcnow

VENDOR = {
    "tax_id": "91330106MA2B2QXY3M",
    "address": "浙江省杭州市西湖区文三路 398 号东信大厦 7 楼",
    "phone": "0571-8888 6666",
    "bank_name": "招商银行杭州文三支行",
    "bank_account": "5719 0876 5432 101",
}

# (model, billing cycle, timing, scenario, platform)
PLAN = [
    ("fixed_seat", "monthly", "in_advance", "draft", "tmall"),
    ("base_commission", "quarterly", "in_arrears", "pending_signature", "jd"),
    ("per_consult", "monthly", "in_arrears", "active", "pdd"),
    ("fixed_seat", "quarterly", "in_advance", "ending_soon", "douyin"),
    ("base_commission", "monthly", "in_arrears", "expired", "taobao"),
    ("per_consult", "quarterly", "in_advance", "terminated", "kuaishou"),
]
KPI_SETS = {
    "fixed_seat": ("frt30", "art60", "delay", "sat90"),
    "base_commission": ("frt30", "conv15", "jdsat80"),
    "per_consult": ("delay", "dispute"),
}


def signed_pdf(title: str) -> bytes:
    """A one-page PDF standing in for a scanned, stamped contract."""
    from reportlab.pdfgen.canvas import Canvas

    from ops.pdf import cjk_font

    buf = io.BytesIO()
    canvas = Canvas(buf)
    canvas.setFont(cjk_font(), 14)
    canvas.drawString(72, 760, f"{title}（双方盖章扫描件 · 演示）")
    canvas.circle(420, 640, 50)
    canvas.drawString(380, 636, "合同专用章")
    canvas.showPage()
    canvas.save()
    return buf.getvalue()


def accepted_quote(
    client,
    model: str,
    needs: NeedsInput,
    card,
    *,
    number: str,
    valid_until: date,
    sent_at: datetime,
    decided_at: datetime,
    data: dict | None = None,
    by=None,
    comment: str = "",
) -> Quote:
    """An accepted quote for ``needs`` priced from rate card ``card`` (its ``data`` unless given), made
    directly (the quote pages and services are not involved). Flushed, not committed."""
    terms, staffing = build_terms(needs, card.data if data is None else data, model)
    result = calculate_quote(terms_to_pricing(terms))
    quote = Quote(
        client_id=client.id,
        number=number,
        version=1,
        status="accepted",
        model=model,
        rate_card_id=card.id,
        terms=terms,
        lines=result_to_json(result),
        staffing=staffing,
        subtotal_fen=result.subtotal_fen,
        discount_fen=result.discount_fen,
        total_fen=result.total_fen,
        valid_until=valid_until,
        sent_at=sent_at,
        created_by_id=getattr(by, "id", None),
        decided_at=decided_at,
        decision_comment=comment,
    )
    db.session.add(quote)
    db.session.flush()
    return quote


def _accepted_quote(client, model: str, platform: str, sales) -> Quote:
    """An accepted quote made directly from sample needs (the quote pages are not involved)."""
    needs = NeedsInput(
        platform=platform,
        scope="both" if model == "fixed_seat" else "presales",
        shifts=("day", "evening") if model != "per_consult" else ("day",),
        avg_daily_consults=600,
        category=client.category or "服饰鞋包",
        complexity=3,
        avg_order_value_fen=18_000,
        inquiry_conversion_bp=2_200,
    )
    today = business_today()
    return accepted_quote(
        client,
        model,
        needs,
        ensure_default_rate_card(),
        number=next_number("BJ", today.year, 4),
        valid_until=today + timedelta(days=25),
        sent_at=utcnow() - timedelta(days=5),
        decided_at=utcnow() - timedelta(days=2),
        by=sales,
        comment="演示：客户已接受",
    )


def _clients(quotes: list) -> list:
    from ops.clients.models import Client

    clients = list({q.client_id: q.client for q in quotes}.values())
    return clients or list(db.session.scalars(sa.select(Client).order_by(Client.id).limit(6)))


def load_contracts_demo(quotes: list, users: dict) -> list[Contract]:
    """Contracts from the accepted ``quotes`` (and more accepted quotes made here when needed), one in
    each state: draft, pending signature, active with the deposit received, active ending within 30
    days, expired, terminated. The caller commits. ``users`` maps demo usernames to users."""
    clients = _clients(quotes)
    if not clients:
        return []
    sales = users.get("sales") or next(iter(users.values()), None)
    manager = users.get("manager") or sales
    finance = users.get("finance") or manager
    today = business_today()

    profile = services.vendor_profile()
    if not profile.tax_id:
        services.update_vendor_profile({"name": profile.name, **VENDOR}, by=manager)
    services.ensure_default_clauses()

    available = [
        q
        for q in quotes
        if q.status == "accepted"
        and not db.session.scalar(sa.select(sa.exists().where(Contract.quote_id == q.id)))
    ]
    made: list[Contract] = []
    for i, (model, cycle, timing, scenario, platform) in enumerate(PLAN):
        quote = next((q for q in available if q.model == model), None)
        if quote is not None:
            available.remove(quote)
        else:
            quote = _accepted_quote(clients[i % len(clients)], model, platform, sales)
        if scenario == "ending_soon":
            start = services.add_months(today, -12) + timedelta(days=20)
        elif scenario == "expired":
            start = services.add_months(today, -14)
        elif scenario in ("active", "terminated"):
            start = services.add_months(today.replace(day=1), -3)
        else:
            start = services.add_months(today.replace(day=1), 1)
        contract = services.create_from_quote(quote, sales, start_on=start)
        services.update_contract(
            contract,
            {
                "billing_cycle": cycle,
                "billing_timing": timing,
                "auto_renew": scenario == "ending_soon",
                "due_rule": "net_days" if cycle == "quarterly" else "day_of_next_month",
                "due_value": 15 if cycle == "quarterly" else 5,
                "invoice_type": "special" if contract.client_tax_id else "normal",
                "deposit_usage": "last_invoice" if model == "fixed_seat" else "refund_at_end",
            },
            by=sales,
        )
        kpis = [kpi_from_preset(PRESETS_BY_KEY[key]) for key in KPI_SETS[model]]
        services.set_kpis(contract, kpis, by=sales)
        made.append(contract)
        if scenario == "draft":
            continue
        services.submit_for_signature(contract, by=sales)
        if scenario == "pending_signature":
            continue
        if contract.deposit_fen:
            services.receive_deposit(
                contract,
                contract.deposit_fen,
                min(today, start - timedelta(days=7)),
                f"招行转账 {contract.number}",
                by=finance,
            )
        title = f"{contract.number} {contract.client_legal_name}"
        services.upload_signed_copy(
            contract,
            FileStorage(
                io.BytesIO(signed_pdf(title)),
                filename=f"{contract.number}-盖章版.pdf",
                content_type="application/pdf",
            ),
            by=sales,
        )
        services.activate(contract, by=manager, signed_on=min(today, start - timedelta(days=10)))
        if scenario == "expired":
            services.settle_deposit(
                contract,
                "refunded",
                contract.end_on + timedelta(days=10),
                "合同正常到期，定金原路退还",
                by=finance,
            )
        elif scenario == "terminated":
            services.terminate(
                contract, "客户店铺停业，双方协商提前解除合同。", today - timedelta(days=3), by=manager
            )
    services.expire_contracts(today)
    db.session.flush()
    return made
