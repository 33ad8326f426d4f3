"""The reports page in headless Chromium, inside the console shell: a supervisor of a fresh region generates this month's report, sees its
figures, edits the narrative (a new version), downloads the PDF (Chinese text and charts inside) and sends it; the
page runs under its CSP without errors."""

import io
import uuid

import pytest
from playwright.sync_api import expect, sync_playwright
from pypdf import PdfReader

from accounts.service import Accounts, Principal
from hotline.clock import local_date, utcnow
from hotline.db import Database
from tests.test_browser import ARGS, CHROMIUM
from work_orders.service import WorkOrders

pytestmark = pytest.mark.browser


@pytest.fixture
def region(live):
    """A region of its own (the live stack is shared by the session) with two complaints received now."""
    tag = uuid.uuid4().hex[:6]
    region = f"浙江省报{tag}市"
    db = Database(live.settings.database_url)
    wo = WorkOrders(db, callback_sample_rate=0.0)
    operator = Principal(1, "op", "座席", ("operator",))
    for facts in ("公交车到站不停", "出租车拒载"):
        order, _ = wo.create(
            {
                "order_type": "complaint",
                "channel": "web",
                "domain": "城市客运",
                "region": region,
                "facts": facts,
                "caller_phone": "13900002222",
            }
        )
        wo.act(order["number"], "classify", operator, {})
    Accounts(db).create_user(f"rsup-{tag}", "supervisor-pass-1", ["supervisor"], "孙督办", region=region)
    db.engine.dispose()
    return {"tag": tag, "region": region, "login": (f"rsup-{tag}", "supervisor-pass-1")}


def test_generate_edit_download_and_send_a_report(live, region, request):
    month = local_date(utcnow())
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN", accept_downloads=True)
        problems = []
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.append(str(e)))
        try:
            # one login in the console shell, then 报告 from the menu
            page.goto(f"{live.base}/console/stats")
            page.fill("#username", region["login"][0])
            page.fill("#password", region["login"][1])
            page.click("#login-form button[type=submit]")
            expect(page.locator("#who")).to_contain_text("孙督办")
            page.click("#menu a[data-page=reports]")
            expect(page).to_have_url(f"{live.base}/console/reports")
            expect(page.locator("#login-form")).to_be_hidden()
            expect(page.locator("#menu a[data-page=reports]")).to_have_class("current")
            page.fill("#g-period", month.strftime("%Y-%m"))
            page.click("#g-go")
            expect(page.locator("#d-title")).to_contain_text(
                f"{region['region']}12328交通运输服务监督热线", timeout=60000
            )
            expect(page.locator("#d-figures tr", has_text="受理总量")).to_contain_text("2件")
            overview = page.input_value("#n-overview")
            assert overview.startswith(f"{month.year}年{month.month}月，{region['region']}12328热线共受理群众诉求2件")
            expect(page.locator("#notices li").first).to_contain_text("草稿已生成")
            page.fill("#n-suggestions", "一、对公交到站不停开展专项检查。")
            page.fill("#n-note", "改建议")
            page.click("#n-save")
            expect(page.locator("#d-meta")).to_contain_text("第2版")
            expect(page.locator("#d-versions li").first).to_contain_text("改建议")
            with page.expect_download(timeout=60000) as info:
                page.click("#detail button[data-format=pdf]")
            download = info.value
            assert download.suggested_filename.endswith("-v2.pdf")
            pdf = PdfReader(io.BytesIO(open(download.path(), "rb").read()))
            text = "".join(p.extract_text() for p in pdf.pages)
            assert "对公交到站不停开展专项检查" in text and "共受理群众诉求2件" in text
            assert sum(len(p.images) for p in pdf.pages) >= 3
            page.once("dialog", lambda d: d.accept())
            page.click("#d-send")
            expect(page.locator("#d-meta")).to_contain_text("已发送")
            expect(page.locator("#n-save")).to_be_disabled()
            assert "13900002222" not in page.content()
            page.screenshot(path=str(live.var / "reports-console.png"), full_page=True)
            assert not [p for p in problems if "Content Security Policy" in p or "Refused" in p], problems
            assert not [p for p in problems if "TypeError" in p or "ReferenceError" in p], problems
        finally:
            page.screenshot(path=str(live.var / f"{request.node.name}.png"), full_page=True)
            browser.close()
