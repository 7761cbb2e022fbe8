"""The contract PDF: pure rendering (no app) and the download routes."""

import io
import re
from datetime import date

import pytest
from pypdf import PdfReader

from ops.contracts.pdf import ContractPdfData, PdfExtra, PdfParty, PdfSeat, render_contract_pdf


def extract(data: bytes) -> tuple[list[str], str]:
    pages = [p.extract_text() for p in PdfReader(io.BytesIO(data)).pages]
    return pages, re.sub(r"\s+", "", "".join(pages))


def sample(**overrides) -> ContractPdfData:
    values = dict(
        number="HT-2026-0007",
        client=PdfParty(
            "北京晨光家居用品有限公司",
            "91110108551385082Q",
            "北京市朝阳区建国路 88 号",
            "010-6666 8888",
            "招商银行北京分行",
            "1109 0000 2222",
        ),
        vendor=PdfParty(
            "杭州云帆客服外包有限公司", "91330106MA2B2QXY3M", "杭州市西湖区文三路 398 号", "0571-8888 6666"
        ),
        start_on=date(2026, 12, 1),
        end_on=date(2027, 11, 30),
        auto_renew=True,
        model_label="底薪+提成",
        billing_cycle="按月结算",
        billing_timing="后付（先服务后结算）",
        due_text="次月 5 日前",
        late_fee_text="每日 0.05%，宽限 5 天",
        tax_rate_bp=600,
        prices_include_tax=True,
        invoice_type="增值税专用发票（专票）",
        deposit_fen=2_100_000,
        deposit_usage="合同正常履行完毕后退还",
        kpi_cap_bp=2000,
        breakin_months=1,
        seats=[PdfSeat("售前", "白班", 4, 180_000), PdfSeat("售前", "晚班", 2, 234_000)],
        commission_rate_bp=200,
        commission_base="询单成交订单实付金额，扣除退款 & 静默单",
        extras=[PdfExtra("额外子账号", "个/月", 2, 20_000)],
        kpis=["首次响应时间不高于 30 秒；未达标扣当期服务费 5%"],
        clauses=[("信息安全与保密", "数据泄露扣减当月服务费的 20% <含> 赔偿。")],
    )
    values.update(overrides)
    return ContractPdfData(**values)


@pytest.fixture(scope="module")
def rendered() -> bytes:
    return render_contract_pdf(sample())


def test_sections_parties_and_money(rendered):
    pages, text = extract(rendered)
    assert PdfReader(io.BytesIO(rendered)).metadata.title == "客服外包服务合同 HT-2026-0007"
    for expected in (
        "客服外包服务合同",
        "HT-2026-0007",
        "甲方",
        "乙方",
        "北京晨光家居用品有限公司",
        "91110108551385082Q",
        "杭州云帆客服外包有限公司",
        "一、服务内容与期限",
        "二、服务费用",
        "三、结算与付款",
        "四、定金",
        "五、KPI考核",
        "六、违约责任",
        "2026年12月1日至2027年11月30日",
        "自动续期",
        "底薪+提成",
        # 4 × ¥1,800.00 = ¥7,200.00; 2 × ¥2,340.00 = ¥4,680.00; together ¥11,880.00
        "¥1,800.00",
        "¥7,200.00",
        "¥4,680.00",
        "¥11,880.00",
        "2%",
        "扣除退款&静默单",
        "¥200.00/个/月",
        "增值税6%",
        "已含税",
        "专票",
        "次月5日前",
        "每日0.05%，宽限5天",
        "¥21,000.00",
        "人民币贰万壹仟元整",
        "首次响应时间不高于30秒",
        "不超过当期服务费的20%",
        "前1个月为磨合期",
        "信息安全与保密",
        "<含>",
        "盖章",
        "日期：",
        "年",
        "月",
        "日",
    ):
        assert expected in text, expected
    for n, page in enumerate(pages, 1):
        assert f"第 {n} 页 / 共 {len(pages)} 页" in page


def test_per_consult_tiers_minimum_and_no_deposit():
    data = sample(
        seats=[],
        commission_rate_bp=0,
        model_label="按咨询量",
        tier_mode="累进阶梯",
        tier_lines=["1–3,000 次：¥2.00/次", "3,001 次以上：¥1.50/次"],
        consult_multiplier_bp=10_500,
        monthly_minimum_fen=150_000,
        deposit_fen=0,
        kpis=[],
        clauses=[],
        auto_renew=False,
        number="",
        is_draft=True,
    )
    _, text = extract(render_contract_pdf(data))
    for expected in (
        "按咨询量",
        "累进阶梯",
        "1.05",
        "1–3,000次：¥2.00/次",
        "月度最低消费¥1,500.00",
        "本合同不收取定金",
        "本合同不设KPI扣款条款",
        "民法典",
        "草稿",
        "合同期满自动终止",
    ):
        assert expected in text, expected


def test_staff_and_client_download_the_contract_pdf(client, login_as, db, contract):
    login_as("sales")
    response = client.get(f"/contracts/{contract.id}/pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("attachment")
    _, text = extract(response.data)
    assert "北京晨光家居用品有限公司" in text
    # the deposit is one month's fee: 4 seats × ¥5,250.00 = ¥21,000.00
    assert "¥21,000.00" in text and "人民币贰万壹仟元整" in text
    assert "4" in text and "¥5,250.00" in text
