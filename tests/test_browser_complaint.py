"""A citizen files a complaint in the web chat; an operator finds it in the work-order console."""

import re
import uuid

import pytest
from playwright.sync_api import expect, sync_playwright

from accounts.service import Accounts
from hotline.db import Database
from tests.test_browser import ARGS, CHROMIUM

pytestmark = pytest.mark.browser


def test_complaint_in_web_chat_reaches_the_operator_console(live):
    operator = "op-" + uuid.uuid4().hex[:6]
    Accounts(Database(live.settings.database_url)).create_user(operator, "operator-ui-1", ["operator"], "赵座席")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        phone = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, locale="zh-CN")
        chat = phone.new_page()
        chat.goto(live.base + "/")

        def say(text):
            count = chat.locator(".msg.bot").count()
            chat.fill("#text", text)
            chat.click("#send")
            expect(chat.locator(".msg.bot")).not_to_have_count(count, timeout=30000)

        say("投诉12路公交车司机开车玩手机，今天早上8点在人民路公交站，希望严肃处理，电话13812345678")
        expect(chat.locator(".msg.bot").last).to_contain_text("实名", timeout=30000)
        chat.locator(".buttons button", has_text="匿名").last.click()
        expect(chat.locator(".msg.bot").last).to_contain_text("确认无误请回复", timeout=30000)
        expect(chat.locator(".msg.bot").filter(has_text="请核对您的投诉内容").last).to_contain_text("12路公交车")
        chat.locator(".buttons button", has_text="确认提交").last.click()
        done = chat.locator(".msg.bot").filter(has_text="已为您登记投诉举报工单")
        expect(done).to_have_count(1, timeout=30000)
        number = re.search(r"编号 (\d{8}-\d{5})", done.inner_text()).group(1)
        assert "安全隐患" in done.inner_text()  # 开车玩手机 is a safety matter: flagged urgent
        chat.screenshot(path=str(live.var / "chat-complaint.png"))

        desk = browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
        desk.goto(live.base + "/console/orders")
        desk.fill("#username", operator)
        desk.fill("#password", "operator-ui-1")
        desk.click("#login-form button[type=submit]")
        row = desk.locator("#orders tr", has_text=number)
        expect(row).to_be_visible(timeout=15000)
        expect(row).to_contain_text("138****5678")
        row.click()
        expect(desk.locator("#detail")).to_contain_text("开车玩手机")
        expect(desk.locator("#detail")).to_contain_text("网站")
        desk.screenshot(path=str(live.var / "console-complaint.png"))
        browser.close()
