"""The one console shell in headless Chromium: each role logs in once and moves between its pages by the menu;
an admin adds a handling unit and a staff account; an operator sees a new WeChat order and a new handoff appear
without a reload (the live pulse, with the menu's badge); no page overflows at 768 and 1280 px."""

import re
import uuid

import pytest
from playwright.sync_api import expect, sync_playwright

from accounts.service import Accounts
from handoff import Handoffs
from hotline.db import Database
from hotline.settings import parse_service_hours
from tests.test_browser import ARGS, CHROMIUM
from tests.test_integration import duty  # noqa: F401 - the fixture that puts operators on duty
from work_orders.service import WorkOrders

pytestmark = pytest.mark.browser

WIDTHS = (768, 1280)
MENU = {
    "admin": ["工单", "人工客服", "知识库", "统计", "督办", "报告", "12345 对接", "账号与单位"],
    "operator": ["工单", "人工客服"],
    "editor": ["知识库", "12345 对接"],
    "supervisor": ["工单", "统计", "督办", "报告"],
}


@pytest.fixture
def people(live):
    tag = uuid.uuid4().hex[:6]
    accounts = Accounts(Database(live.settings.database_url))
    who = {
        "admin": (f"adm-{tag}", "admin-ui-pass-1", "周管理"),
        "operator": (f"op-{tag}", "operator-ui-pass-1", "李座席"),
        "editor": (f"ed-{tag}", "editor-ui-pass-1", "王编辑"),
        "supervisor": (f"sup-{tag}", "supervisor-ui-pass-1", "赵督办"),
    }
    for role, (username, password, name) in who.items():
        accounts.create_user(username, password, [role], name)
    return {"tag": tag, **who}


@pytest.fixture
def browser(live):
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield browser
        browser.close()


def new_page(browser):
    page = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN").new_page()
    page.on("dialog", lambda dialog: dialog.accept())
    return page


def sign_in(page, person):
    username, password, name = person
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("#login-form button[type=submit]")
    expect(page.locator("#who")).to_contain_text(name)


def menu(page):
    """The labels of the menu entries shown (without their live count badge)."""
    return page.eval_on_selector_all(
        "#menu a", "links => links.filter(a => a.offsetParent).map(a => a.firstChild.textContent.trim())"
    )


def fits(page, live, name, prefix="shell"):
    """Neither width scrolls the page sideways (a screenshot of each page is left in the live stack's var/)."""
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.wait_for_timeout(150)
        assert page.evaluate("document.documentElement.scrollWidth") <= width, (name, width)
    page.screenshot(path=str(live.var / f"{prefix}-{name}.png"), full_page=True)
    page.set_viewport_size({"width": WIDTHS[-1], "height": 900})


def test_each_role_logs_in_once_and_moves_by_its_menu(live, people, browser):
    # an editor opening the orders page is taken to the knowledge base, the one page of theirs
    editor = new_page(browser)
    editor.goto(live.base + "/console/orders")
    sign_in(editor, people["editor"])
    expect(editor).to_have_url(live.base + "/console")
    expect(editor.locator("#tabs")).to_be_visible()
    assert menu(editor) == MENU["editor"]
    fits(editor, live, "kb")

    supervisor = new_page(browser)
    supervisor.goto(live.base + "/console/orders")
    sign_in(supervisor, people["supervisor"])
    assert menu(supervisor) == MENU["supervisor"]
    expect(supervisor.locator("#menu a[data-page=stats]")).to_have_attribute("href", "/console/stats")

    admin = new_page(browser)
    admin.goto(live.base + "/console")
    sign_in(admin, people["admin"])
    assert menu(admin) == MENU["admin"]
    for page_name, path in (
        ("orders", "/console/orders"),
        ("handoff", "/console/handoff"),
        ("stats", "/console/stats"),
        ("supervision", "/console/supervision"),
        ("reports", "/console/reports"),
        ("sync", "/console/sync"),
    ):
        admin.click(f"#menu a[data-page={page_name}]")
        expect(admin).to_have_url(live.base + path)
        expect(admin.locator("#login-form")).to_be_hidden()  # one login for every page
        expect(admin.locator(f"#menu a[data-page={page_name}]")).to_have_class("current")
        fits(admin, live, page_name)
        admin.set_viewport_size({"width": 1280, "height": 900})
    token = admin.evaluate("sessionStorage.getItem('console-token')")
    with admin.expect_navigation(wait_until="load"):
        admin.click("#logout")
    expect(admin.locator("#login-form")).to_be_visible()
    me = admin.request.get(live.base + "/api/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status == 401  # the token was revoked before the page reloaded, not left valid
    admin.goto(live.base + "/console/orders")
    expect(admin.locator("#login-form")).to_be_visible()  # signed out everywhere


def test_admin_adds_a_unit_and_an_account(live, people, browser):
    tag = people["tag"]
    admin = new_page(browser)
    admin.goto(live.base + "/console/admin")
    sign_in(admin, people["admin"])
    admin.fill("#u-name", f"新乡市城市公共交通事务中心{tag}")
    admin.fill("#u-region", "河南省新乡市")
    admin.check("#u-domains input[value=城市客运]")
    admin.fill("#u-duties", "公交、出租车服务质量投诉")
    admin.click("#unit-save")
    expect(admin.locator("#msg")).to_contain_text(f"已保存承办单位：新乡市城市公共交通事务中心{tag}")
    row = admin.locator("#units tr", has_text=tag)
    expect(row).to_contain_text("城市客运")
    row.locator("button.unit-edit").click()
    admin.check("#u-authority")
    admin.click("#unit-save")
    expect(admin.locator("#units tr", has_text=tag)).to_contain_text("是")
    fits(admin, live, "admin-units")
    admin.set_viewport_size({"width": 1280, "height": 900})

    admin.click("#tabs button[data-tab=staff]")
    admin.fill("#s-username", f"unit-{tag}")
    admin.fill("#s-name", "公交中心承办")
    admin.fill("#s-password", "unit-ui-pass-1")
    admin.check("#s-roles input[value=unit]")
    admin.select_option("#s-unit", label=f"新乡市城市公共交通事务中心{tag}")
    admin.click("#staff-save")
    expect(admin.locator("#msg")).to_contain_text(f"已保存账号：unit-{tag}")
    row = admin.locator("#staff tr", has_text=f"unit-{tag}")
    expect(row).to_contain_text("承办单位")
    expect(row).to_contain_text(f"新乡市城市公共交通事务中心{tag}")
    row.locator("button.staff-edit").click()
    admin.click("#staff-reset")
    expect(admin.locator("#new-password")).not_to_be_empty()
    password = admin.locator("#new-password").inner_text()
    fits(admin, live, "admin-staff")

    unit = new_page(browser)
    unit.goto(live.base + "/console")
    sign_in(unit, (f"unit-{tag}", password, "公交中心承办"))
    expect(unit).to_have_url(live.base + "/console/orders")  # a unit's one page
    expect(unit.locator("#queues button[data-queue=unit]")).to_have_class("active")


def test_new_orders_and_handoffs_appear_without_a_reload(live, people, browser, duty):  # noqa: F811
    duty(True)
    db = Database(live.settings.database_url)
    operator = new_page(browser)
    operator.goto(live.base + "/console/orders")
    sign_in(operator, people["operator"])
    assert menu(operator) == MENU["operator"]
    new_count = operator.locator("#queues button[data-queue=new] .n")
    expect(new_count).not_to_be_empty()
    before = int(new_count.inner_text())

    title = f"微信投诉：出租车绕路{people['tag']}"
    WorkOrders(db).create(
        {
            "order_type": "complaint",
            "channel": "wechat",
            "region": "河南省新乡市",
            "title": title,
            "facts": "出租车绕路多收费",
            "urgent": True,
        },
        actor="bot",
    )
    expect(new_count).to_have_text(str(before + 1), timeout=15000)  # no reload: the pulse brought it
    expect(operator.locator("#orders tr", has_text=title)).to_have_count(1)
    expect(operator.locator("#menu a[data-page=orders] .count")).to_have_text(str(before + 1))  # the badge

    operator.click("#menu a[data-page=handoff]")
    expect(operator).to_have_url(live.base + "/console/handoff")
    expect(operator.locator("#desk")).to_be_visible()
    handoffs = Handoffs(db, WorkOrders(db).calendar, parse_service_hours("00:00-24:00"))
    sender = "web:" + uuid.uuid4().hex
    text = f"公交车上有人抽烟{people['tag']}"
    assert (
        handoffs.request(sender, "user_request", [{"who": "user", "text": text, "at": 1763604000.0}])["status"]
        == "queued"
    )
    try:
        expect(operator.locator("#queue .item", has_text=text)).to_have_count(1, timeout=15000)
        operator.locator("#queue .item", has_text=text).focus()  # usable from the keyboard
        operator.keyboard.press("Enter")
        expect(operator.locator("#log")).to_contain_text(text)
        expect(operator.locator("#take")).to_be_visible()
        # the badge and the title come with the pulse: the queue above may have been the page's own first load,
        # while its first beat still had the counts from before the request (PULSE_TTL): the next beat brings them
        expect(operator.locator("#menu a[data-page=handoff] .count")).to_be_visible(timeout=15000)
        expect(operator).to_have_title(re.compile(r"^\(\d+\) "))
        fits(operator, live, "handoff-live")
    finally:
        open_ids = [h["id"] for h in handoffs.queue() if h["state"] == "queued"]
        for handoff_id in open_ids:
            handoffs.take(handoff_id, "test")
            handoffs.close(handoff_id, "test", "")
