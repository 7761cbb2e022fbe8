"""In the browser: the language switch, a form error in Chinese, and the login lockout."""

import re

from playwright.sync_api import expect

from tests.e2e.helpers import login, shot
from tests.e2e.setup_data import PASSWORD


def test_language_switch_to_english_and_back(new_page):
    page = new_page()
    page.goto("/login")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.get_by_role("heading", name="登录")).to_be_visible()
    shot(page, "01-login")

    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    expect(page.get_by_label("Username")).to_be_visible()
    expect(page.get_by_label("Password")).to_be_visible()
    expect(page.locator(".navbar-brand")).to_have_text("CS Outsourcing Ops")

    page.get_by_role("button", name="中文").click()
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.get_by_role("heading", name="登录")).to_be_visible()
    expect(page.locator(".navbar-brand")).to_have_text("客服外包运营")


def test_bad_tax_id_shows_the_chinese_message_and_saves_nothing(new_page):
    page = new_page()
    login(page, "sales")
    page.goto("/clients/new")
    page.get_by_label("客户名称（店铺/品牌）").fill("错码测试店")
    page.get_by_label("统一社会信用代码").fill("91350100M000100Y44")  # the check character should be 3
    page.get_by_role("button", name="保存").click()

    expect(page.locator(".invalid-feedback")).to_contain_text(
        "统一社会信用代码校验位不正确，请核对后重新输入。"
    )
    expect(page).to_have_url(re.compile(r"/clients/new$"))
    page.goto("/clients/?q=错码测试店")
    expect(page.get_by_text("错码测试店")).to_have_count(0)


def test_five_wrong_passwords_lock_the_account(new_page):
    page = new_page()
    page.goto("/login")
    for _ in range(4):
        page.get_by_label("用户名").fill("locked")
        page.get_by_label("密码").fill("wrong-password")
        page.get_by_role("button", name="登录").click()
        expect(page.locator("body")).to_contain_text("用户名或密码错误。")
    page.get_by_label("用户名").fill("locked")
    page.get_by_label("密码").fill("wrong-password")
    page.get_by_role("button", name="登录").click()
    expect(page.locator("body")).to_contain_text("连续 5 次密码错误，账户已锁定 15 分钟。")

    page.get_by_label("用户名").fill("locked")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.locator("body")).to_contain_text("账户已锁定")
    expect(page).to_have_url(re.compile(r"/login"))
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login"))
