"""The KPI results and engine notes are stored with the invoice and shown on the staff page, the
portal page and the PDF (met clauses too, and the break-in month)."""

import io
import re
from datetime import date

from pypdf import PdfReader

from ops.billing import services
from ops.contracts.models import ContractKpi, ContractKpiBand
from ops.usage.models import UsageDaily
from tests.billing.helpers import draft_for, issued_for, make_contract


def _pdf_text(data: bytes) -> str:
    return "".join(re.sub(r"\s+", "", page.extract_text()) for page in PdfReader(io.BytesIO(data)).pages)


def _contract_with_scale(db):
    # 2 seats × ¥5,000.00 from 2026-08-01, in arrears; August is the break-in month.
    contract = make_contract(db, breakin_months=1, kpi_cap_bp=2000)
    contract.kpis = [
        ContractKpi(
            position=0,
            metric="first_response_seconds",
            comparison="lte",
            deduction_kind="percent",
            bands=[ContractKpiBand(position=0, threshold=30, deduction_bp=500)],
        ),
        ContractKpi(
            position=1,
            metric="response_delay_rate",
            comparison="lte",
            deduction_kind="percent",
            bands=[
                ContractKpiBand(position=0, threshold=1000, deduction_bp=500),
                ContractKpiBand(position=1, threshold=2000, deduction_bp=1500),
            ],
        ),
    ]
    # September: first response 25 s (met), 3-minute reply rate 85% → delay 15% (over 10%: band 1).
    db.session.add(
        UsageDaily(
            client_id=contract.client_id,
            day=date(2026, 9, 10),
            platform="taobao",
            consults=500,
            valid_consults=500,
            served_gmv_fen=0,
            refunds_fen=0,
            first_response_ms=25_000,
            reply_3min_bp=8500,
        )
    )
    db.session.commit()
    return contract


def test_results_and_notes_are_stored_and_shown(client, login_as, db):
    contract = _contract_with_scale(db)
    august = draft_for(db, contract, "2026-08")
    assert august.notes == ["2026-08 为磨合期，不考核 KPI"]
    assert [(r["label"], r["outcome"]) for r in august.kpi_results] == [
        ("首次响应时间", "磨合期，不考核"),
        ("响应延迟率", "磨合期，不考核"),
    ]
    september = issued_for(db, contract, "2026-09")
    # Month fee 2 × 500,000 = 1,000,000; delay band 1: 5% = 50,000; total 950,000.
    assert september.total_fen == 950_000
    assert [(r["label"], r["measured"], r["outcome"], r["deduction_fen"]) for r in september.kpi_results] == [
        ("首次响应时间", "25.0 秒", "达标", 0),
        ("响应延迟率", "15%", "高于 10%", 50_000),
    ]

    login_as("finance")
    html = client.get(f"/billing/invoices/{september.id}").get_data(as_text=True)
    assert "考核结果" in html and "达标" in html and "¥0.00" in html and "-¥500.00" in html
    html = client.get(f"/billing/invoices/{august.id}").get_data(as_text=True)
    assert "出账说明" in html and "2026-08 为磨合期，不考核 KPI" in html

    text = _pdf_text(september.pdf)
    assert "考核结果" in text and "响应延迟率" in text and "高于10%" in text and "达标" in text


def test_portal_shows_results_and_the_pdf_prints_notes(client, login_as, db):
    contract = _contract_with_scale(db)
    august = issued_for(db, contract, "2026-08")
    september = issued_for(db, contract, "2026-09")
    login_as("client", client_id=contract.client_id)
    html = client.get(f"/portal/invoices/{september.id}").get_data(as_text=True)
    assert "考核结果" in html and "响应延迟率" in html and "-¥500.00" in html and "达标" in html
    text = _pdf_text(august.pdf)
    assert "说明" in text and "2026-08为磨合期，不考核KPI" in text
    assert services.invoice_pdf_data(august).notes == ("2026-08 为磨合期，不考核 KPI",)
