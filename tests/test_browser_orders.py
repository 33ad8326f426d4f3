"""The work-order console in headless Chromium: one complaint from registration to archive, through the
operator, the handling unit and the supervisor, each in their own login."""

import re
import uuid

import pytest
from playwright.sync_api import expect, sync_playwright

from accounts.service import Accounts
from hotline.db import Database
from tests.test_browser import ARGS, CHROMIUM
from work_orders.service import System, WorkOrders

pytestmark = pytest.mark.browser

PHONE = "13812345678"
ACTIVE = re.compile(r"\bactive\b")
# A 1x1 PNG, enough for the attachment upload.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c6360f8"
    "cfc0f01f0005000201e2b5a3bb0000000049454e44ae426082"
)


@pytest.fixture
def people(live):
    """Fresh accounts for this test (the live stack is shared by the whole session)."""
    tag = uuid.uuid4().hex[:6]
    db = Database(live.settings.database_url)
    unit = WorkOrders(db).add_unit(f"杭州市道路运输管理服务中心{tag}", region="浙江省杭州市", domains=["道路运输"])
    accounts = Accounts(db)
    who = {
        "operator": (f"op-{tag}", "operator-pass-1", ["operator"], "李座席", None, ""),
        "unit": (f"unit-{tag}", "unit-pass-1", ["unit"], "张承办", unit["id"], ""),
        "supervisor": (f"sup-{tag}", "supervisor-pass-1", ["supervisor"], "赵督办", None, "浙江省"),
    }
    for username, password, roles, name, unit_id, region in who.values():
        accounts.create_user(username, password, roles, name, unit_id=unit_id, region=region)
    return {"tag": tag, "handling_unit": unit, **{k: v[:2] for k, v in who.items()}}


@pytest.fixture
def page(live, request):
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
        yield page
        page.screenshot(path=str(live.var / f"{request.node.name}.png"), full_page=True)  # also after a failure
        browser.close()


def login(page, credentials, name):
    page.fill("#username", credentials[0])
    page.fill("#password", credentials[1])
    expect(page.locator("#username")).to_have_value(credentials[0])
    page.click("#login-form button[type=submit]")
    expect(page.locator("#msg")).to_have_text(f"欢迎，{name}")
    expect(page.locator("#who")).to_contain_text(name)


def logout(page):
    with page.expect_navigation(wait_until="load"):  # the console reloads once the token is revoked
        page.click("#logout")
    expect(page.locator("#login-form")).to_be_visible()
    expect(page.locator("#username")).to_be_focused()  # the new page's script has run


def open_order(page, number, queue=None):
    if queue:
        page.click(f"#queues button[data-queue={queue}]")
    page.fill("#search-q", number)
    page.click("#search-form button[type=submit]")
    row = page.locator("#orders tr", has_text=number)
    expect(row).to_have_count(1)
    row.click()
    expect(page.locator("#detail-title")).to_contain_text(number)
    return row


def act(page, action, expected_state, fill=None):
    page.click(f"#actions button[data-action={action}]")
    expect(page.locator(f"#action-form[data-action={action}]")).to_be_visible()
    for step in fill or ():
        step()
    page.click("#act-submit")
    expect(page.locator("#msg")).to_contain_text(f"现为“{expected_state}”")
    expect(page.locator("#detail-badges .badge.state")).to_have_text(expected_state)


def test_complaint_from_registration_to_archive(live, people, page):
    page.goto(live.base + "/console/orders")
    expect(page.locator("header h1")).to_have_text("12328 工单处理台")

    # 1. operator: wrong password first, then registers a complaint (double click: still one order)
    page.fill("#username", people["operator"][0])
    page.fill("#password", "wrong-password")
    page.click("#login-form button[type=submit]")
    expect(page.locator("#msg")).to_have_text("用户名或密码错误")
    login(page, people["operator"], "李座席")
    expect(page.locator("#queues button[data-queue=new]")).to_have_class(ACTIVE)
    expect(page.locator("#chart svg g.bar")).to_have_count(7)

    title = f"出租车拒载<b>标记</b>{people['tag']}"
    page.click("#tabs button[data-tab=new]")
    page.select_option("#o-order_type", "complaint")
    page.select_option("#o-domain", "道路运输")
    expect(page.locator("#o-channel")).to_have_value("phone")
    page.fill("#o-region", "浙江省杭州市")
    page.fill("#o-title", title)
    page.fill("#o-target", "浙A·T1234出租车")
    page.fill("#o-facts", "5月3日晚在杭州东站出租车候客区，司机以路程太近为由拒载。")
    page.fill("#o-demand", "要求查处并答复")
    page.fill("#o-location", "杭州东站出租车候客区")
    page.fill("#o-occurred_at", "5月3日20时")
    page.fill("#o-caller_name", "陈先生")
    page.fill("#o-caller_phone", PHONE)
    page.dblclick("#new-submit")
    expect(page.locator("#new-result")).to_be_visible()
    number = page.locator("#new-number").inner_text().strip()
    assert number
    expect(page.locator("#msg")).to_contain_text(number)
    page.click("#tabs button[data-tab=queues]")
    page.click("#queues button[data-queue=all]")
    page.fill("#search-q", people["tag"])
    page.click("#search-form button[type=submit]")
    expect(page.locator("#orders tr")).to_have_count(1)  # the double click registered one order
    row = page.locator("#orders tr").first
    expect(row).to_contain_text(title)  # markup shown as text
    expect(row).to_contain_text("138****5678")  # lists never show the full number
    expect(row).to_contain_text("已受理")

    # 2. classify and dispatch to the unit
    open_order(page, number, "new")
    expect(page.locator("#detail-title")).to_contain_text("<b>标记</b>")
    expect(page.locator("#detail-fields")).to_contain_text(PHONE)
    act(
        page,
        "classify",
        "已分类待转办",
        [lambda: page.select_option("#p-domain", "道路运输"), lambda: page.fill("#p-region", "浙江省杭州市")],
    )
    unit_option = page.locator("#p-unit_id option", has_text=people["handling_unit"]["name"])
    act(
        page,
        "dispatch",
        "已转办",
        [
            lambda: expect(unit_option).to_have_count(1),
            lambda: page.select_option("#p-unit_id", str(people["handling_unit"]["id"])),
        ],
    )
    expect(page.locator("#detail-fields")).to_contain_text(people["handling_unit"]["name"])
    expect(page.locator("#detail-deadlines")).to_contain_text("办理期限")
    logout(page)

    # 3. the unit sees it in its queue with the caller's full number, accepts, asks for 3 more days
    login(page, people["unit"], "张承办")
    expect(page.locator("#queues button[data-queue=unit]")).to_have_class(ACTIVE)
    expect(page.locator("#orders tr", has_text=number)).to_have_count(1)
    page.locator("#orders tr", has_text=number).click()
    expect(page.locator("#detail-fields")).to_contain_text(PHONE)
    expect(page.locator("#actions button")).to_have_count(2)  # 退回, 签收办理
    act(page, "accept", "办理中")
    page.set_input_files("#att-file", files=[{"name": "现场照片.png", "mimeType": "image/png", "buffer": PNG}])
    expect(page.locator("#att-name")).to_contain_text("现场照片.png")
    page.click("#att-form button[type=submit]")
    expect(page.locator("#attachments")).to_contain_text("现场照片.png")
    act(
        page,
        "request_extension",
        "延期申请中",
        [
            lambda: page.fill("#p-days", "3"),
            lambda: page.select_option("#p-reason", "evidence"),
            lambda: page.fill("#p-explanation", "需调取车载视频，调查取证需要时间"),
        ],
    )
    expect(page.locator("#actions")).to_contain_text("等待督办人员审批延期申请")  # not "no actions" alone
    logout(page)

    # 4. the supervisor sees the number masked and approves the extension
    login(page, people["supervisor"], "赵督办")
    expect(page.locator("#queues button[data-queue=extension]")).to_have_class(ACTIVE)
    open_order(page, number)
    expect(page.locator("#awaiting")).to_contain_text("等待督办人员审批延期申请（申请延期3个工作日）")
    expect(page.locator("#detail-fields")).to_contain_text("138****5678")
    expect(page.locator("#detail")).not_to_contain_text(PHONE)
    with page.expect_download() as download:
        page.click("#export")
    assert download.value.suggested_filename == "工单-延期待审批.csv"
    csv = open(download.value.path(), encoding="utf-8-sig").read()
    assert number in csv and "138****5678" in csv and PHONE not in csv
    assert "办结时间" in csv and "回访结果" in csv and not re.search(r"\d{4}-\d{2}-\d{2}T\d", csv)  # China time
    with page.expect_download() as download:
        page.click("#export-xlsx")
    assert download.value.suggested_filename == "工单-延期待审批.xlsx"
    assert open(download.value.path(), "rb").read(2) == b"PK"  # a zip: the XLSX container
    act(page, "approve_extension", "办理中", [lambda: page.fill("#p-note", "同意延期3个工作日")])
    logout(page)

    # 5. the unit replies
    login(page, people["unit"], "张承办")
    open_order(page, number)
    act(
        page,
        "reply",
        "已办结回复",
        [lambda: page.fill("#p-reply", "经调取车载视频核实，司机拒载属实，已依法处罚并责令整改。")],
    )
    logout(page)

    # 6. operator: archiving is not offered before the callback, and the page says why; callback (满意), archive
    login(page, people["operator"], "李座席")
    open_order(page, number, "callback")
    expect(page.locator("#actions button[data-action=archive]")).to_have_count(0)
    expect(page.locator("#actions button[data-blocked=archive]")).to_be_disabled()
    expect(page.locator("#actions")).to_contain_text("须先完成回访")
    expect(page.locator("#awaiting")).to_contain_text("等待话务座席回访来电人")
    expect(page.locator("#detail-badges .badge.state")).to_have_text("已办结回复")
    act(
        page,
        "callback",
        "已回访",
        [
            lambda: page.select_option("#p-result", "satisfied"),
            lambda: page.fill("#p-note", "来电人对处理结果表示满意"),
        ],
    )
    expect(page.locator("#detail-fields")).to_contain_text("满意")
    act(page, "archive", "已归档")
    expect(page.locator("#detail-fields")).to_contain_text("已归档")
    expect(page.locator("#actions button")).to_have_count(0)
    events = page.locator("#events li")
    assert events.count() >= 8
    for label in ("登记", "审核分类", "转办", "签收办理", "申请延期", "批准延期", "办结回复", "回访", "归档"):
        expect(page.locator("#events")).to_contain_text(label)
    assert page.locator("#detail b, #orders b").count() == 0
    page.click("#queues button[data-queue=all]")
    expect(page.locator("#orders tr", has_text=number)).to_contain_text("已归档")
    order = page.eval_on_selector_all("#queues button", "bs => bs.map(b => b.dataset.queue)")
    assert order == ["new", "due_soon", "overdue", "returned", "callback", "extension", "unit", "all"]

    # usable on a phone and a tablet, the detail open: nothing scrolls the page sideways
    for width in (390, 768, 1280):
        page.set_viewport_size({"width": width, "height": 900})
        page.wait_for_timeout(200)
        assert page.evaluate("document.documentElement.scrollWidth") <= width, width
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=str(live.var / "orders-console-phone.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.screenshot(path=str(live.var / "orders-console.png"), full_page=True)


def test_stale_order_is_reloaded_with_a_chinese_message(live, people, page):
    """Someone else moves the order while the page shows it: the action is refused (409), nothing changes,
    and the page reloads the order."""
    service = WorkOrders(Database(live.settings.database_url))
    order, _ = service.create(
        {
            "order_type": "suggestion",
            "channel": "phone",
            "region": "浙江省杭州市",
            "facts": f"建议增加公交夜班线路{people['tag']}",
        },
        actor=people["operator"][0],
    )
    page.goto(live.base + "/console/orders")
    login(page, people["operator"], "李座席")
    open_order(page, order["number"], "new")
    expect(page.locator("#detail-badges .badge.state")).to_have_text("已受理")
    page.click("#actions button[data-action=escalate]")
    page.fill("#p-note", "涉及两个以上行政区域")
    service.act(order["number"], "classify", System(people["operator"][0]), {"domain": "城市客运"})
    page.click("#act-submit")
    expect(page.locator("#msg")).to_contain_text("工单已被他人修改，请刷新后重试")
    expect(page.locator("#detail-badges .badge.state")).to_have_text("已分类待转办")
    expect(page.locator("#action-form")).to_be_hidden()
    expect(page.locator("#orders tr", has_text=order["number"])).to_contain_text("已分类待转办")
    expect(page.locator("#events li")).to_have_count(2)
