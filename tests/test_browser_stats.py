"""The statistics page in headless Chromium, inside the console shell: a supervisor of a fresh region signs in once,
opens 统计 from the menu and sees today's intake, the unit with an overdue order, the 30-day chart drawn under the
page's CSP, the weekly bulletin and the scores; signing out of the shell hides them; the public bulletin page loads
without a login."""

import uuid
from datetime import timedelta

import pytest
from playwright.sync_api import expect, sync_playwright

from accounts.service import Accounts, Principal
from hotline.clock import utcnow
from hotline.db import Database
from tests.test_browser import ARGS, CHROMIUM
from work_orders.service import WorkOrders

pytestmark = pytest.mark.browser


@pytest.fixture
def region(live):
    """A region of its own (the live stack is shared by the session), with one order received today and one at a
    unit long past its deadline."""
    tag = uuid.uuid4().hex[:6]
    region = f"浙江省测{tag}市"
    db = Database(live.settings.database_url)
    wo = WorkOrders(db, callback_sample_rate=0.0)
    unit = wo.add_unit(f"测{tag}市道路运输中心", region=region, domains=["道路运输"])
    operator = Principal(1, "op", "座席", ("operator",))
    staff = Principal(2, "u", "承办", ("unit",), unit["id"])
    now = utcnow()
    base = {"channel": "web", "domain": "道路运输", "region": region, "caller_phone": "13900001111"}
    old, _ = wo.create({**base, "order_type": "consultation", "facts": "旧的咨询"}, now=now - timedelta(days=20))
    wo.act(old["number"], "classify", operator, {}, now=now - timedelta(days=20))
    wo.act(old["number"], "dispatch", operator, {"unit_id": unit["id"]}, now=now - timedelta(days=19))
    wo.act(old["number"], "accept", staff, {}, now=now - timedelta(days=19))
    wo.create({**base, "order_type": "complaint", "facts": "今天的投诉"}, now=now)
    Accounts(db).create_user(f"sup-{tag}", "supervisor-pass-1", ["supervisor"], "钱督办", region=region)
    db.engine.dispose()
    return {"tag": tag, "region": region, "unit": unit["name"], "login": (f"sup-{tag}", "supervisor-pass-1")}


def test_the_supervisor_dashboard(live, region, request):
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
        problems = []
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.append(str(e)))
        try:
            # one login in the shell, then 统计 from the menu
            page.goto(f"{live.base}/console/orders")
            page.fill("#username", region["login"][0])
            page.fill("#password", region["login"][1])
            page.click("#login-form button[type=submit]")
            expect(page.locator("#who")).to_contain_text("钱督办")
            page.click("#menu a[data-page=stats]")
            expect(page).to_have_url(f"{live.base}/console/stats")
            expect(page.locator("#login-form")).to_be_hidden()
            expect(page.locator("#menu a[data-page=stats]")).to_have_class("current")
            expect(page.locator("#who")).to_contain_text("钱督办")
            tiles = page.locator("#tiles .tile")
            expect(tiles.filter(has_text="今日受理").locator(".n")).to_have_text("1")
            expect(tiles.filter(has_text="在办超期").locator(".n")).to_have_text("1")
            row = page.locator("#units-due tr", has_text=region["unit"])
            expect(row).to_have_count(1)
            expect(page.locator("#trend svg rect")).to_have_count(60)  # 30 days × (received, completed)
            expect(page.locator("#mix-domain svg text", has_text="道路运输")).to_have_count(1)
            expect(page.locator("#rates tr", has_text="按期办结率")).to_have_count(1)
            expect(page.locator("#weekly-summary")).to_contain_text("到期工单")
            expect(page.locator("#score-table tr", has_text=region["unit"])).to_have_count(1)
            page.screenshot(path=str(live.var / "stats-console.png"), full_page=True)
            # another region is refused, in words
            page.fill("#f-region", "北京市")
            page.click("#filter button[type=submit]")
            expect(page.locator("#msg")).to_contain_text("只能查看本辖区")
            for width in (768, 1280):  # no sideways scrolling on a tablet or a laptop
                page.set_viewport_size({"width": width, "height": 900})
                page.wait_for_timeout(150)
                assert page.evaluate("document.documentElement.scrollWidth") <= width, width
            # signing out of the shell signs out of the statistics too
            page.click("#logout")
            expect(page.locator("#login-form")).to_be_visible()
            expect(page.locator("#tiles")).to_be_hidden()
            page.goto(f"{live.base}/bulletin")
            expect(page.locator("#title")).to_contain_text("评分排名")
            assert "13900001111" not in page.content()
            assert not [p for p in problems if "Content Security Policy" in p or "Refused" in p], problems
            assert not [p for p in problems if "TypeError" in p or "ReferenceError" in p], problems
        finally:
            page.screenshot(path=str(live.var / f"{request.node.name}.png"), full_page=True)
            browser.close()
