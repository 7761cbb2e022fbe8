"""The whole pipeline in a real browser, each step by the role that does it, through the UI only.

sales: client, needs, plan, quote (fixed seat) sent -> admin: the client's portal user -> client:
accepts the quote -> manager (finance: the deposit): contract, signed PDF, activation -> client:
a training material -> trainer: agent, assignment, session with an exam, checklist, credential,
go-live (manager verifies) -> manager: the onboarding dashboard -> finance: usage CSV, billing run
that issues the invoice (a job: its progress bar reaches 100 %), the period's ZIP (a job, then
downloaded) -> client: downloads the invoice PDF, whose text is checked.

Dates work on any day from November 2026: the contract starts 2026-10-01, the agent goes live on
2026-10-01 (in the past, as the app requires) and the billing run bills October 2026 (ended).
"""

import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from pypdf import PdfReader

from ops.money import parse_yuan, to_chinese_upper
from tests.e2e.helpers import login, make_pdf, nav, select_containing, shot
from tests.e2e.setup_data import PASSWORD

CLIENT_NAME = "闽江茶业旗舰店"
LEGAL_NAME = "福州闽江茶业有限公司"
TAX_ID = "91350100M000100Y43"
PORTAL_USER = "minjiang"
PORTAL_PASSWORD = "wuyi-oolong-2026"  # not derived from the username (the password policy)
FIRST_PASSWORD = "first-login-2026"  # set by the admin; the client changes it at first login
SUB_ACCOUNT_PASSWORD = "Tmall-Sub#2026"
AGENT_NAME = "林小雨"
SECOND_AGENT = "郑小满"  # fills the seat the amendment adds from 2026-11-16
VENDOR_NAME = "杭州云帆客服外包有限公司"
SEAT_RATE = "6,200.00"  # one 售前·白班 seat per month, tax included
# October 2026 has 31 days and the agent serves all of them (live on 10-01, no end):
# seat 6,200.00 × 31/31 = 6,200.00; no extras; no KPI deductions (October is the break-in month
# and every figure meets its target anyway); the deposit is refunded at the end, not offset. Tax-inclusive 6%: tax = 6,200.00 × 6/106 = 350.943… -> 350.94.
# Total due: ¥6,200.00, 人民币陆仟贰佰元整.
EXPECTED_TOTAL = "6,200.00"
EXPECTED_UPPER = "人民币陆仟贰佰元整"
EXPECTED_TAX = "350.94"
PERIOD = "2026-10"
FLASH_OK = ".alert-success[role=alert]"  # a flashed success message (not an inline notice)
JOB_TIMEOUT_MS = 60_000  # a job waits for the consumer to poll the queue, then runs


@dataclass
class Journey:
    """What the steps hand on: one browser page per person, and the numbers the UI gave out."""

    new_page: Callable[[], Page]
    tmp_path: Path
    watch: Callable[[Page], None]
    pages: dict[str, Page] = field(default_factory=dict)
    client_id: int = 0
    quote_number: str = ""
    contract_url: str = ""
    contract_number: str = ""
    assignment_url: str = ""
    invoice_number: str = ""
    invoice_total: str = ""
    invoice_url: str = ""

    def as_user(self, username: str, password: str = PASSWORD) -> Page:
        """The page of ``username``, logged in on first use (each person has their own cookies)."""
        if username not in self.pages:
            page = self.new_page()
            self.watch(page)
            login(page, username, password)
            self.pages[username] = page
        return self.pages[username]


@pytest.fixture
def dump_on_failure(request):
    """Keep the last page's HTML and a screenshot when a step fails (test-output/e2e/failure.*)."""
    pages: list[Page] = []
    yield pages
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed and pages:
        from tests.e2e.helpers import SCREENSHOTS

        page = pages[-1]
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        (SCREENSHOTS / "failure.html").write_text(page.content())
        page.screenshot(path=str(SCREENSHOTS / "failure.png"), full_page=True)


def test_the_whole_pipeline(new_page, tmp_path, dump_on_failure):
    journey = Journey(new_page=new_page, tmp_path=tmp_path, watch=dump_on_failure.append)
    admin_prepares_rate_card_and_vendor(journey)
    sales_wins_the_client_and_sends_a_quote(journey)
    admin_opens_the_client_portal_account(journey)
    client_accepts_the_quote(journey)
    manager_and_finance_make_the_contract_active(journey)
    client_uploads_a_training_material(journey)
    trainer_trains_the_agent(journey)
    trainer_and_manager_take_the_agent_live(journey)
    manager_sees_the_agent_live_on_the_dashboard(journey)
    finance_imports_usage_and_issues_the_invoice(journey)
    client_downloads_the_invoice_pdf(journey)
    manager_opens_the_dashboard(journey)
    finance_voids_and_reissues_the_invoice(journey)
    manager_amends_the_contract_and_the_new_seat_is_filled(journey)
    finance_credits_the_paid_invoice_and_applies_the_balance_to_the_next(journey)


def admin_prepares_rate_card_and_vendor(journey: Journey) -> None:
    admin = journey.as_user("admin")
    admin.goto("/admin/rate-cards/")
    admin.get_by_role("button", name="载入示例默认值").click()
    expect(admin.locator(FLASH_OK)).to_be_visible()
    admin.goto("/admin/vendor")
    admin.get_by_label("公司名称").fill(VENDOR_NAME)
    admin.get_by_label("统一社会信用代码").fill("91330106MA2B2QXY3M")
    admin.get_by_label("地址").fill("浙江省杭州市西湖区文三路 398 号")
    admin.get_by_label("电话").fill("0571-8888 6666")
    admin.get_by_label("开户行").fill("招商银行杭州文三支行")
    admin.get_by_label("银行账号").fill("5719 0876 5432 101")
    admin.get_by_role("button", name="保存").click()
    expect(admin.locator(FLASH_OK)).to_be_visible()


def sales_wins_the_client_and_sends_a_quote(journey: Journey) -> None:
    sales = journey.as_user("sales")
    nav(sales, "客户")
    sales.get_by_role("link", name="新建客户").click()
    sales.get_by_label("客户名称（店铺/品牌）").fill(CLIENT_NAME)
    sales.get_by_label("公司全称").fill(LEGAL_NAME)
    sales.get_by_label("统一社会信用代码").fill(TAX_ID)
    sales.get_by_label("电话").fill("0591-8765 4321")
    sales.get_by_label("地址").fill("福建省福州市鼓楼区五四路 88 号")
    sales.get_by_label("平台", exact=True).select_option(label="天猫")
    sales.get_by_label("店铺名称").fill("闽江茶业天猫旗舰店")
    sales.get_by_role("button", name="保存").click()
    expect(sales.locator(FLASH_OK)).to_contain_text(f"客户“{CLIENT_NAME}”已创建。")
    client_url = sales.url
    journey.client_id = int(re.search(r"/clients/(\d+)", client_url).group(1))

    # Needs: Tmall (×1.00), pre-sales day shift only, complexity 2 (×1.00), no category: one seat row.
    sales.get_by_role("link", name=re.compile("需求")).first.click()
    sales.get_by_label("平台", exact=True).select_option("tmall")
    sales.get_by_label("服务范围").select_option(label="售前")
    sales.get_by_label("白班").check()
    sales.get_by_label("日均咨询量").fill("300")
    sales.get_by_label("商品复杂度").select_option("2")
    sales.get_by_label("特殊要求").fill("新品上市期间需熟悉茶叶冲泡知识。")
    sales.get_by_role("button", name="保存为新版本").click()
    expect(sales.locator(FLASH_OK)).to_contain_text("需求已保存为第 1 版。")

    sales.goto(f"/clients/{journey.client_id}/plan")
    expect(sales.get_by_label("计划开始日期")).not_to_be_empty()  # today, as the form suggests
    sales.get_by_role("button", name="按模板创建计划").click()
    expect(sales.locator(FLASH_OK)).to_contain_text("外包计划已按模板创建。")
    sales.goto(client_url)
    expect(sales.locator("body")).to_contain_text(TAX_ID)
    shot(sales, "03-client-detail")

    nav(sales, "报价")
    sales.get_by_role("link", name="新建报价").click()
    sales.get_by_label("客户").select_option(label=CLIENT_NAME)
    sales.get_by_label("专人专席").check()
    sales.get_by_role("button", name="生成报价草稿").click()
    expect(sales.locator(FLASH_OK)).to_contain_text("已生成")
    sales.get_by_role("link", name="编辑", exact=True).click()
    sales.locator("input[name='seats-0-seats']").fill("1")
    sales.locator("input[name='seats-0-monthly_rate']").fill(SEAT_RATE)
    sales.locator("input[name='extra_subaccount_month']").fill("0")
    sales.get_by_role("button", name="保存并重新计算").click()
    expect(sales.locator("body")).to_contain_text(f"1 个售前白班席位 × ¥{SEAT_RATE} = ¥{SEAT_RATE}")
    sales.get_by_role("button", name="发送给客户").click()
    expect(sales.locator(FLASH_OK)).to_contain_text("报价已发送给客户。")
    shot(sales, "04-quote-detail")
    journey.quote_number = re.search(r"BJ-\d{4}-\d{4}", sales.locator("h1").inner_text()).group(0)


def admin_opens_the_client_portal_account(journey: Journey) -> None:
    admin = journey.as_user("admin")
    admin.goto("/admin/users/")
    admin.get_by_role("link", name="新建用户").click()
    admin.get_by_label("用户名").fill(PORTAL_USER)
    admin.get_by_label("姓名").fill("陈店长")
    admin.get_by_label("角色").select_option(label="客户")
    admin.get_by_label("所属客户（客户用户必填）").select_option(label=CLIENT_NAME)
    admin.get_by_label("初始密码").fill(FIRST_PASSWORD)
    admin.get_by_role("button", name="保存").click()
    expect(admin.locator(FLASH_OK)).to_contain_text(f"用户 {PORTAL_USER} 已创建")


def client_accepts_the_quote(journey: Journey) -> None:
    client = journey.as_user(PORTAL_USER, FIRST_PASSWORD)
    expect(client).to_have_url(re.compile(r"/password"))  # a new account sets its own password first
    client.get_by_label("当前密码").fill(FIRST_PASSWORD)
    client.get_by_label("新密码", exact=True).fill(PORTAL_PASSWORD)
    client.get_by_label("确认新密码").fill(PORTAL_PASSWORD)
    client.get_by_role("button", name="修改密码").click()
    expect(client.get_by_role("heading", name=CLIENT_NAME)).to_be_visible()  # the portal's home page
    nav(client, "报价单")
    client.get_by_role("link", name=re.compile(journey.quote_number)).click()
    expect(client.locator("body")).to_contain_text(f"¥{SEAT_RATE}")
    shot(client, "05-portal-quote")
    client.get_by_label("意见或原因（拒绝时必填）").fill("价格合适，请尽快安排签约。")
    client.get_by_role("button", name="接受报价").click()
    expect(client.locator(FLASH_OK)).to_be_visible()
    expect(client.locator("body")).to_contain_text("已接受")


def manager_and_finance_make_the_contract_active(journey: Journey) -> None:
    manager = journey.as_user("manager")
    nav(manager, "合同")
    manager.locator("tr", has_text=journey.quote_number).get_by_role("button", name="生成合同草稿").click()
    expect(manager.locator(FLASH_OK)).to_be_visible()
    journey.contract_url = manager.url
    manager.get_by_role("link", name="编辑条款").click()
    manager.get_by_label("开始日期").fill("2026-10-01")
    manager.get_by_label("结束日期").fill("2027-09-30")
    expect(manager.locator("input[name='seats-0-seats']")).to_have_value("1")  # copied from the quote
    expect(manager.locator("input[name='seats-0-monthly_rate']")).to_have_value(SEAT_RATE)
    manager.get_by_label("定金（元）").fill(SEAT_RATE)
    manager.get_by_label("定金用途").select_option(label="合同结束后退还")
    manager.get_by_label("结算周期").select_option(label="按月结算")
    manager.get_by_label("付费方式").select_option(label="后付（先服务后结算）")
    # Net 15 days: the invoice is issued weeks after October ends, so "the 5th of next month" would
    # make it overdue on the day it is issued.
    manager.get_by_label("付款期限规则").select_option(label="开票后 N 天内付款")
    manager.get_by_label("付款日 / 账期天数").fill("15")
    manager.get_by_label("税率（%）").fill("6")
    manager.get_by_label("价格含税").check()
    manager.get_by_role("button", name="保存").click()
    expect(manager.locator(FLASH_OK)).to_be_visible()
    manager.get_by_role("button", name="提交签署").click()
    expect(manager.locator(FLASH_OK)).to_be_visible()
    journey.contract_number = re.search(r"HT-\d{4}-\d{4}", manager.locator("h1").inner_text()).group(0)

    signed = make_pdf(
        journey.tmp_path / "签署件.pdf",
        [f"合同编号 {journey.contract_number}", f"甲方：{LEGAL_NAME}", "双方已盖章"],
    )
    manager.get_by_label("双方盖章的合同扫描件（PDF）").set_input_files(signed)
    manager.get_by_role("button", name="上传签署件").click()
    expect(manager.locator(FLASH_OK)).to_contain_text("签署件已上传。")

    finance = journey.as_user("finance")
    finance.goto(journey.contract_url)
    finance.get_by_label("到账金额（元）").fill(SEAT_RATE)
    finance.get_by_label("到账日期").fill("2026-09-25")
    finance.get_by_label("银行流水号 / 凭证号").fill("ZS20260925-0088")
    finance.get_by_role("button", name="登记定金到账").click()
    expect(finance.locator(FLASH_OK)).to_be_visible()

    manager.reload()
    manager.get_by_label("签署日期").fill("2026-09-28")
    manager.get_by_role("button", name="合同生效").click()
    expect(manager.locator(FLASH_OK)).to_contain_text("合同已生效。")
    expect(manager.locator("h1")).to_contain_text("生效中")
    shot(manager, "06-contract-detail")


def client_uploads_a_training_material(journey: Journey) -> None:
    client = journey.as_user(PORTAL_USER, PORTAL_PASSWORD)
    nav(client, "培训资料")
    manual = make_pdf(
        journey.tmp_path / "产品手册.pdf", ["闽江茶业 产品手册", "大红袍：95℃ 水温，首泡 10 秒"]
    )
    client.get_by_label("类别").select_option(label="产品手册")
    client.get_by_label("标题").fill("2026 秋季产品手册")
    client.get_by_label("说明").fill("主推岩茶与白茶的冲泡说明。")
    client.get_by_label("文件", exact=True).set_input_files(manual)
    client.get_by_label("版本备注").fill("首版")
    client.get_by_role("button", name="上传", exact=True).click()
    expect(client.locator(FLASH_OK)).to_be_visible()
    expect(client.locator("body")).to_contain_text("产品手册.pdf")


def trainer_trains_the_agent(journey: Journey) -> None:
    trainer = journey.as_user("trainer")
    trainer.goto("/onboarding/agents/new")
    trainer.get_by_label("姓名").fill(AGENT_NAME)
    trainer.get_by_label("工号").fill("MJ-0001")
    trainer.get_by_label("手机").fill("13900000001")
    trainer.get_by_label("状态").select_option(label="培训中")
    trainer.get_by_label("天猫").check()
    trainer.get_by_role("button", name="保存").click()
    expect(trainer.locator(FLASH_OK)).to_be_visible()

    trainer.goto("/onboarding/assignments/new")
    select_containing(trainer.get_by_label("客服", exact=True), AGENT_NAME)
    select_containing(trainer.get_by_label("合同", exact=True), journey.contract_number)
    trainer.get_by_label("服务范围").select_option(label="售前")
    trainer.get_by_label("班次").select_option(label="白班")
    trainer.get_by_label("计划上线日期").fill("2026-10-01")
    trainer.get_by_role("button", name="创建分配").click()
    expect(trainer.locator(FLASH_OK)).to_be_visible()
    journey.assignment_url = trainer.url

    trainer.goto("/training/sessions/new")
    trainer.get_by_label("培训主题").fill("闽江茶业 产品与话术培训")
    trainer.get_by_label("客户", exact=True).select_option(label=CLIENT_NAME)
    trainer.get_by_label("合同（可选）").select_option(label=journey.contract_number)
    trainer.get_by_label("培训方式").select_option(label="现场")
    trainer.get_by_label("培训师").select_option(label="陈培训")
    trainer.get_by_label("开始时间（北京时间）").fill("2026-09-24T09:00")
    trainer.get_by_label("结束时间（北京时间）").fill("2026-09-24T17:00")
    trainer.get_by_label("培训地点").fill("福州培训中心 3 楼")
    select_containing(trainer.get_by_label("受邀客服"), AGENT_NAME)
    trainer.get_by_label("培训后考试").check()
    trainer.get_by_label("及格分（满分 100）").fill("80")
    trainer.get_by_role("button", name="保存").click()
    expect(trainer.locator(FLASH_OK)).to_be_visible()
    trainer.locator("tr", has_text=AGENT_NAME).get_by_label("出勤").check()
    trainer.get_by_role("button", name="保存出勤").click()
    expect(trainer.locator(FLASH_OK)).to_be_visible()
    select_containing(trainer.get_by_label("客服", exact=True), AGENT_NAME)
    trainer.get_by_label("分数（0–100）").fill("92")
    trainer.get_by_role("button", name="记录成绩").click()
    expect(trainer.locator(FLASH_OK)).to_be_visible()
    expect(trainer.locator("tr", has_text=AGENT_NAME)).to_contain_text("92")


def trainer_and_manager_take_the_agent_live(journey: Journey) -> None:
    trainer = journey.as_user("trainer")
    trainer.goto(journey.assignment_url)
    for title in ("已参加培训", "产品考试已通过"):  # ticked by the attendance and the passing score
        expect(trainer.locator("tbody tr", has_text=title)).to_contain_text("已完成")
    trainer.get_by_label("平台", exact=True).select_option(label="天猫")
    trainer.get_by_label("子账号").fill("闽江茶业旗舰店:小雨")
    trainer.get_by_label("密码").fill(SUB_ACCOUNT_PASSWORD)
    trainer.get_by_role("button", name="保存子账号").click()
    expect(trainer.locator(FLASH_OK)).to_be_visible()
    expect(trainer.locator("body")).not_to_contain_text(SUB_ACCOUNT_PASSWORD)
    # Saving the sub-account in the vault ticks "子账号已创建" (its name is the evidence).
    expect(trainer.locator("tbody tr", has_text="子账号已创建")).to_contain_text("已完成")
    for _ in range(15):  # bounded: the default checklist has ten items
        open_rows = trainer.locator("tbody tr", has=trainer.get_by_role("button", name="办理"))
        if open_rows.count() == 0:
            break
        open_rows.first.get_by_role("button", name="办理").click()  # unfolds the item's forms
        done_form = trainer.locator("tr.collapse.show form[action$='/done']")
        done_form.locator("input[name=evidence]").fill("已办理并截图存档")
        done_form.get_by_role("button", name="标记完成").click()
        expect(trainer.locator(FLASH_OK)).to_be_visible()
    expect(trainer.get_by_role("button", name="办理")).to_have_count(0)

    # Items marked 需复核 need a second person: the manager.
    manager = journey.as_user("manager")
    manager.goto(journey.assignment_url)
    for _ in range(15):
        verify = manager.get_by_role("button", name="复核", exact=True)
        if verify.count() == 0:
            break
        verify.first.click()
        expect(manager.locator(FLASH_OK)).to_be_visible()
    expect(manager.get_by_role("button", name="复核", exact=True)).to_have_count(0)

    trainer.reload()
    expect(trainer.locator("body")).to_contain_text("清单已完成，可以上线。")
    shot(trainer, "08-checklist")
    trainer.get_by_label("上线日期", exact=True).fill("2026-10-01")
    trainer.get_by_role("button", name="上线", exact=True).click()
    expect(trainer.locator(FLASH_OK)).to_be_visible()
    expect(trainer.locator("body")).to_contain_text("上线日期：2026-10-01")


def manager_sees_the_agent_live_on_the_dashboard(journey: Journey) -> None:
    manager = journey.as_user("manager")
    nav(manager, "上线看板")
    live = (
        manager.locator("span", has=manager.locator("a[href*='status=live']")).filter(has_text="已上线").first
    )
    expect(live).to_have_text(re.compile(r"已上线\s*1$"))
    expect(manager.locator("tr", has_text=CLIENT_NAME)).to_be_visible()  # the per-client table
    shot(manager, "07-onboarding-dashboard")


def finance_imports_usage_and_issues_the_invoice(journey: Journey) -> None:
    finance = journey.as_user("finance")
    usage_csv = journey.tmp_path / "十月用量.csv"
    header = (
        "客户名称,日期,平台,咨询量,有效咨询量,服务销售额(元),退款金额(元),首次响应时间(秒),平均响应时间(秒),"
        "3分钟回复率,询单转化率,满意度,纠纷退款率"
    )
    # Every KPI figure meets its target, so no clause could deduct anything.
    rows = [
        f'{CLIENT_NAME},2026/10/{day:02d},天猫,320,300,"18,600.00",200.00,9.5,28,98.5%,24%,97%,0.2%'
        for day in range(1, 32)
    ]
    usage_csv.write_bytes("\r\n".join([header, *rows, ""]).encode("gb18030"))  # as Excel saves it in China
    nav(finance, "用量")
    finance.get_by_role("link", name="导入 CSV").first.click()
    finance.get_by_label(re.compile("用量 CSV 文件")).set_input_files(usage_csv)
    finance.get_by_role("button", name="校验并导入").click()
    expect(finance.locator(FLASH_OK)).to_contain_text("31")

    nav(finance, "账单")
    finance.goto("/billing/runs")
    finance.get_by_label("账期").fill(PERIOD)
    finance.get_by_label("客户", exact=True).select_option(label=CLIENT_NAME)
    finance.get_by_label(re.compile("生成后立即开具")).check()
    finance.get_by_role("button", name="开始出账").click()
    # The run is a job: its page's bar reaches 100 % (the consumer beside the server runs it).
    job_reaches_100(finance)
    expect(finance.locator("#job-message")).to_contain_text(f"出账 {PERIOD}")
    expect(finance.locator("#job-message")).to_contain_text("开具 1")
    shot(finance, "09-billing-run-job")
    finance.get_by_role("link", name="查看结果").click()
    expect(finance).to_have_url(re.compile(rf"/billing/invoices\?period={PERIOD}"))
    journey.invoice_number = (
        finance.get_by_role("link", name=re.compile(r"INV-\d{4}-\d{5}")).first.inner_text().strip()
    )
    invoices_url = finance.url
    finance_downloads_the_period_zip(journey, finance)
    finance.goto(invoices_url)
    invoice_link = finance.get_by_role("link", name=journey.invoice_number)
    invoice_link.click()
    expect(finance.locator("h1")).to_contain_text("已开具")
    journey.invoice_url = finance.url
    expect(finance.locator("body")).to_contain_text(f"售前白班席位 · {AGENT_NAME} · {PERIOD} 服务 31/31 天")
    totals = finance.locator("table.totals")
    expect(totals.locator("tr", has_text="应付总额")).to_contain_text(f"¥{EXPECTED_TOTAL}")
    expect(totals.locator("tr", has_text="税额")).to_contain_text(f"¥{EXPECTED_TAX}")
    expect(totals).not_to_contain_text("定金抵扣")  # the deposit is refunded at the end: no offset row
    expect(totals).to_contain_text(EXPECTED_UPPER)
    journey.invoice_total = totals.locator("tr", has_text="应付总额").locator("td").last.inner_text().strip()
    shot(finance, "09-invoice-detail")


def job_reaches_100(page: Page) -> None:
    """On a job's page (/jobs/<id>): the progress bar reaches 100 % and the job is done."""
    expect(page).to_have_url(re.compile(r"/jobs/\d+$"))
    expect(page.locator("#job-progress")).to_have_attribute("aria-valuenow", "100", timeout=JOB_TIMEOUT_MS)
    expect(page.locator("#job-bar")).to_have_text("100%")
    expect(page.locator("#job-result")).to_be_visible()
    expect(page.locator("#job-status")).to_contain_text("已完成", timeout=JOB_TIMEOUT_MS)


def finance_downloads_the_period_zip(journey: Journey, finance: Page) -> None:
    """From the period's invoice list: the ZIP of its PDFs is made by a job, then downloaded."""
    finance.get_by_role("button", name="下载本期 PDF（ZIP）").click()
    job_reaches_100(finance)
    with finance.expect_download() as download_info:
        finance.get_by_role("link", name="下载结果").click()
    download = download_info.value
    assert download.suggested_filename == f"账单_{PERIOD}.zip"
    zip_path = journey.tmp_path / "period.zip"
    download.save_as(zip_path)
    with zipfile.ZipFile(zip_path) as archive:
        names = archive.namelist()
        assert f"{journey.invoice_number}_{CLIENT_NAME}.pdf" in names, names
        assert archive.read(f"{journey.invoice_number}_{CLIENT_NAME}.pdf").startswith(b"%PDF")
    shot(finance, "09b-period-zip-job")


def client_downloads_the_invoice_pdf(journey: Journey) -> None:
    client = journey.as_user(PORTAL_USER, PORTAL_PASSWORD)
    nav(client, "账单")
    row = client.locator("tr", has_text=journey.invoice_number)
    expect(row).to_contain_text(f"¥{EXPECTED_TOTAL}")
    # The queue's consumer renders the PDF after the issue; until it is stored the row says "PDF 生成中…".
    link = row.get_by_role("link", name="下载 PDF")
    for _ in range(60):
        if link.count():
            break
        client.wait_for_timeout(500)
        client.reload()
    shot(client, "10-portal-invoices")
    with client.expect_download() as download_info:
        link.click()
    pdf_path = journey.tmp_path / "invoice.pdf"
    download_info.value.save_as(pdf_path)
    assert pdf_path.read_bytes().startswith(b"%PDF")
    text = re.sub(r"\s+", "", "".join(page.extract_text() for page in PdfReader(pdf_path).pages))
    for expected in (LEGAL_NAME, TAX_ID, VENDOR_NAME, journey.invoice_number, EXPECTED_TOTAL, EXPECTED_UPPER):
        assert expected in text, expected
    # The amount on the invoice page is the hand-worked one, and the PDF carries its 大写 form.
    shown_fen = parse_yuan(journey.invoice_total.lstrip("¥"))
    assert shown_fen == 620_000
    assert to_chinese_upper(shown_fen) in text


def manager_opens_the_dashboard(journey: Journey) -> None:
    manager = journey.as_user("manager")
    nav(manager, "工作台")
    expect(manager.locator("body")).to_contain_text(
        f"¥{EXPECTED_TOTAL}"
    )  # the unpaid invoice, in receivables
    shot(manager, "02-dashboard")


def finance_voids_and_reissues_the_invoice(journey: Journey) -> None:
    """A wrong invoice is voided (its number stays used) and re-issued with a new number, linked."""
    finance = journey.as_user("finance")
    finance.goto(journey.invoice_url)
    finance.get_by_label("作废原因").fill("客户要求更正开票抬头，作废重开")
    finance.get_by_role("button", name="作废账单").click()
    expect(finance.locator(FLASH_OK)).to_be_visible()
    expect(finance.locator("h1")).to_contain_text("已作废")
    finance.get_by_role("button", name="重新出账").click()
    expect(finance.locator(FLASH_OK)).to_be_visible()
    expect(finance.locator("h1")).to_contain_text("草稿")
    finance.get_by_role("button", name="开具账单").click()
    expect(finance.locator("h1")).to_contain_text("已开具")
    number = re.search(r"INV-\d{4}-\d{5}", finance.locator("h1").inner_text()).group(0)
    assert number != journey.invoice_number  # a new number; the old one stays used, void
    expect(finance.locator(".replaces")).to_contain_text(f"替代 {journey.invoice_number}")
    expect(finance.locator("table.totals").locator("tr", has_text="应付总额")).to_contain_text(
        f"¥{EXPECTED_TOTAL}"
    )
    journey.invoice_number, journey.invoice_url = number, finance.url
    shot(finance, "11-reissued-invoice")


def finance_credits_the_paid_invoice_and_applies_the_balance_to_the_next(journey: Journey) -> None:
    """Paid in full, then a ¥620.00 allowance is credited: the invoice owes nothing (never negative)
    and the ¥620.00 becomes the client's credit balance, applied to November's invoice:
    9,300.00 − 620.00 = ¥8,680.00 left to pay."""
    finance = journey.as_user("finance")
    finance.goto(journey.invoice_url)
    finance.get_by_label("收款金额（元）").fill(EXPECTED_TOTAL.replace(",", ""))
    finance.get_by_label("流水号 / 备注").fill("CMB-20261105-001")
    finance.get_by_role("button", name="登记收款").click()
    expect(finance.locator(FLASH_OK)).to_be_visible()
    expect(finance.locator("h1")).to_contain_text("已结清")
    finance.get_by_label("冲销金额（元，含税）").fill("620")
    finance.get_by_label("冲销原因").fill("十月服务折让 10%")
    finance.get_by_role("button", name="开具红字冲销单").click()
    expect(finance.locator(FLASH_OK)).to_be_visible()
    body = finance.locator("body")
    expect(body).not_to_contain_text("−¥")  # nothing owed is ever shown negative
    expect(finance.locator("dd", has_text="¥620.00").first).to_be_visible()  # the client's credit balance

    # November: the run issues the next invoice, and finance applies the balance to it.
    finance.goto("/billing/runs")
    finance.get_by_label("账期").fill("2026-11")
    finance.get_by_label("客户", exact=True).select_option(label=CLIENT_NAME)
    finance.get_by_label(re.compile("生成后立即开具")).check()
    finance.get_by_role("button", name="开始出账").click()
    job_reaches_100(finance)
    expect(finance.locator("#job-message")).to_contain_text("出账 2026-11")
    finance.get_by_role("link", name="查看结果").click()
    finance.get_by_role("link", name=re.compile(r"INV-\d{4}-\d{5}")).first.click()
    expect(finance.locator("h1")).to_contain_text("已开具")
    # November has 30 days, cut at the amendment's effective date (the 16th): 林小雨 serves both parts,
    # 6,200.00 × 15/30 + 6,200.00 × 15/30 = 6,200.00; the amendment's second seat is served from the
    # 16th, 6,200.00 × 15/30 = 3,100.00. Total 9,300.00.
    lines = finance.locator("table").first
    expect(
        lines.locator("tr", has_text=f"售前白班席位 · {AGENT_NAME} · 2026-11 服务 15/30 天")
    ).to_have_count(2)
    expect(
        lines.locator("tr", has_text=f"售前白班席位 · {SECOND_AGENT} · 2026-11 服务 15/30 天")
    ).to_have_count(1)
    expect(finance.locator("table.totals").locator("tr", has_text="应付总额")).to_contain_text("¥9,300.00")
    finance.get_by_role("button", name="上期余额抵扣").click()
    expect(finance.locator(FLASH_OK)).to_be_visible()
    expect(finance.locator("dl", has_text="上期余额抵扣")).to_contain_text("¥620.00")
    expect(finance.locator("dd", has_text="¥8,680.00").first).to_be_visible()  # 未付余额: 9,300.00 − 620.00
    shot(finance, "12-credit-balance-applied")


def manager_amends_the_contract_and_the_new_seat_is_filled(journey: Journey) -> None:
    """补充协议 B1: a second 售前·白班 seat from 2026-11-16 at the same rate, accepted in the portal;
    the trainer assigns it and the manager takes the agent live on the 16th."""
    manager = journey.as_user("manager")
    manager.goto(journey.contract_url)
    manager.get_by_role("link", name="新建补充协议").click()
    manager.get_by_label("生效日期").fill("2026-11-16")
    manager.locator("tr", has_text="售前 · 白班").get_by_label("席位数").fill("2")
    manager.get_by_label("变更原因").fill("双十一后咨询量上升，增加一名售前白班客服")
    manager.get_by_role("button", name="保存补充协议草稿").click()
    expect(manager.locator(FLASH_OK)).to_be_visible()
    manager.goto(journey.contract_url)
    manager.get_by_role("button", name="发送客户确认").click()
    expect(manager.locator(FLASH_OK)).to_be_visible()
    expect(manager.locator("body")).to_contain_text(f"{journey.contract_number}-B1")

    client = journey.as_user(PORTAL_USER, PORTAL_PASSWORD)
    contract_id = journey.contract_url.rstrip("/").split("/")[-1].split("#")[0]
    client.goto(f"/portal/contracts/{contract_id}")
    client.get_by_role("button", name="确认补充协议").click()
    expect(client.locator(FLASH_OK)).to_be_visible()

    trainer = journey.as_user("trainer")
    trainer.goto("/onboarding/agents/new")
    trainer.get_by_label("姓名").fill(SECOND_AGENT)
    trainer.get_by_label("工号").fill("MJ-0002")
    trainer.get_by_label("状态").select_option(label="培训中")
    trainer.get_by_label("天猫").check()
    trainer.get_by_role("button", name="保存").click()
    expect(trainer.locator(FLASH_OK)).to_be_visible()
    trainer.goto("/onboarding/assignments/new")
    select_containing(trainer.get_by_label("客服", exact=True), SECOND_AGENT)
    select_containing(trainer.get_by_label("合同", exact=True), journey.contract_number)
    trainer.get_by_label("服务范围").select_option(label="售前")
    trainer.get_by_label("班次").select_option(label="白班")
    trainer.get_by_label("计划上线日期").fill("2026-11-16")
    trainer.get_by_role("button", name="创建分配").click()
    expect(trainer.locator(FLASH_OK)).to_be_visible()  # within the two seats: no override needed
    second_assignment = trainer.url

    manager.goto(second_assignment)
    manager.get_by_label("上线日期", exact=True).fill("2026-11-16")
    manager.get_by_label(re.compile("强制上线原因")).fill("跟岗老客服带教，清单补办")
    manager.get_by_role("button", name="强制上线").click()
    expect(manager.locator(".alert[role=alert]").first).to_contain_text(
        "已强制上线（清单未完成），原因已记录。"
    )
    expect(manager.locator("body")).to_contain_text("上线日期：2026-11-16")
