"""Small steps a user takes in the browser, shared by the e2e tests."""

import re
from pathlib import Path

from playwright.sync_api import Locator, Page, expect

from tests.e2e.setup_data import PASSWORD

SCREENSHOTS = Path(__file__).resolve().parent.parent.parent / "test-output" / "e2e"


def login(page: Page, username: str, password: str = PASSWORD) -> None:
    page.goto("/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_load_state()
    expect(page).not_to_have_url(re.compile(r"/login"))


def shot(page: Page, name: str) -> None:
    """Save a screenshot of the visible page (1280×800) as test-output/e2e/<name>.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))


def make_pdf(path: Path, lines: list[str]) -> Path:
    """A small real PDF (ReportLab, Chinese text in the built-in STSong-Light font)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    pdf = canvas.Canvas(str(path), pagesize=A4)
    pdf.setFont("STSong-Light", 14)
    y = 780
    for line in lines:
        pdf.drawString(72, y, line)
        y -= 24
    pdf.showPage()
    pdf.save()
    return path


def select_containing(select: Locator, text: str) -> None:
    """Choose the one option of a <select> whose label contains ``text`` (as a user picks it by eye)."""
    option = select.locator("option", has_text=text)
    expect(option).to_have_count(1)
    select.select_option(option.get_attribute("value"))


def nav(page: Page, label: str) -> None:
    """Follow a link of the top navigation bar."""
    page.locator("#mainnav").get_by_role("link", name=label, exact=True).click()
    page.wait_for_load_state()
