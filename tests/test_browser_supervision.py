"""The supervision page (督办台) in headless Chromium, inside the one console shell: a supervisor of a fresh region
reaches it by the menu with the open surge alert counted on 督办, finds the period's complaints grouped into a topic,
puts the topic on the problem list and supervises it, and acknowledges the alert; an operator, who has no 督办, links
the complaints as duplicates from the orders page. No page overflows at 768 or 1280 px."""

import uuid
from datetime import timedelta

import pytest
from playwright.sync_api import expect, sync_playwright

from accounts.service import Accounts
from hotline.clock import utcnow
from hotline.db import Database
from supervision import surges
from supervision.surges import SurgeAlerts
from tests.test_browser import ARGS, CHROMIUM
from tests.test_browser_shell import fits as shell_fits
from tests.test_browser_shell import menu, sign_in
from tests.test_supervision_api import CHECKPOINT  # the same five callers as the API test
from work_orders.service import WorkOrders

pytestmark = pytest.mark.browser


@pytest.fixture
def seeded(live):
    """A region of its own (the live stack is shared by the session) with five callers complaining within the hour
    about one checkpoint (a place no other test names), the surge alert they raise, a supervisor of the region and
    an operator."""
    tag = uuid.uuid4().hex[:6]
    region = f"浙江省督{tag}市"
    place = f"卫辉{tag}检查站"
    db = Database(live.settings.database_url)
    wo = WorkOrders(db, callback_sample_rate=0.0)
    now = utcnow()
    numbers, phones = [], [f"139{int(tag[:4], 16) % 10000:04d}{i:04d}" for i in range(len(CHECKPOINT))]
    for i, text in enumerate(CHECKPOINT):
        order, _ = wo.create(
            {
                "order_type": "complaint",
                "channel": "phone",
                "domain": "公路",
                "region": region,
                "title": text[:20],
                "facts": text,
                "location": place,
                "caller_phone": phones[i],  # five callers
            },
            now=now - timedelta(minutes=50 - i),
        )
        numbers.append(order["number"])
    surges.detect(db, now)
    alerts = SurgeAlerts(db).pulse(region)["open"]  # the checkpoint's, and any other the five share (a target)
    assert alerts >= 1
    accounts = Accounts(db)
    accounts.create_user(f"sup-{tag}", "supervisor-pass-1", ["supervisor"], "孙督办", region=region)
    accounts.create_user(f"op-{tag}", "operator-pass-1", ["operator"], "周座席")
    db.engine.dispose()
    return {
        "tag": tag,
        "region": region,
        "place": place,
        "numbers": numbers,
        "phones": phones,
        "alerts": alerts,
        "supervisor": (f"sup-{tag}", "supervisor-pass-1", "孙督办"),
        "operator": (f"op-{tag}", "operator-pass-1", "周座席"),
    }


@pytest.fixture
def browser(live):
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield browser
        browser.close()


def new_page(browser, problems):
    page = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN").new_page()
    page.on("dialog", lambda dialog: dialog.accept())
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    return page


def fits(page, live, name):
    shell_fits(page, live, name, prefix="supervision")


def clean(problems):
    assert not [p for p in problems if "Content Security Policy" in p or "Refused" in p], problems
    assert not [p for p in problems if "TypeError" in p or "ReferenceError" in p], problems


def test_a_supervisor_turns_a_topic_into_a_problem_and_acknowledges_the_alert(live, seeded, browser):
    problems = []
    page = new_page(browser, problems)
    page.goto(live.base + "/console/orders")
    sign_in(page, seeded["supervisor"])
    assert menu(page) == ["工单", "统计", "督办", "报告"]
    badge = page.locator("#menu a[data-page=supervision] .count")
    open_alerts = seeded["alerts"]
    expect(badge).to_have_text(str(open_alerts), timeout=15000)  # the region's open alerts, from the live pulse
    page.click("#menu a[data-page=supervision]")
    expect(page).to_have_url(live.base + "/console/supervision")
    expect(page.locator("#login-form")).to_be_hidden()  # the one login of the shell
    expect(page.locator("#menu a[data-page=supervision]")).to_have_class("current")

    # the period's complaints of the region, grouped by meaning
    page.fill("#t-region", seeded["region"])
    page.click("#t-go")
    expect(page.locator("#t-summary")).to_contain_text(f"{seeded['region']}：本期5件", timeout=60000)
    rows = page.locator("#topics tr")
    expect(rows.first).to_contain_text("检查站")
    fits(page, live, "topics")
    rows.first.locator("button", has_text="列入问题清单").click()
    expect(page.locator("#msg")).to_contain_text("已列入问题清单")

    # the problem list: the item, its orders, supervised with a note
    page.click("#tabs button[data-tab=problems]")
    item = page.locator("#problems tr", has_text=seeded["region"])
    expect(item).to_have_count(1)
    expect(item).to_contain_text("列入清单")
    item.click()
    expect(page.locator("#p-orders li").first).to_contain_text(seeded["region"])
    linked = page.locator("#p-orders").inner_text()
    assert sum(number in linked for number in seeded["numbers"]) == page.locator("#p-orders li").count() >= 2
    page.fill("#p-note", "请卫辉市交通运输局三日内核查劝返依据")
    page.locator("#p-actions button", has_text="督办").click()
    expect(page.locator("#msg")).to_contain_text("已督办")
    expect(page.locator("#p-meta")).to_contain_text("督办中")
    expect(page.locator("#p-events")).to_contain_text("请卫辉市交通运输局三日内核查劝返依据")
    fits(page, live, "problems")

    # the alert: five callers about one checkpoint, acknowledged; the badge goes
    page.click("#tabs button[data-tab=alerts]")
    expect(page.locator("#alerts-count")).to_have_text(str(open_alerts))
    expect(page.locator("#alerts tr")).to_have_count(open_alerts)
    alert = page.locator("#alerts tr", has_text=seeded["place"])
    expect(alert).to_have_count(1)
    expect(alert).to_contain_text("5")
    alert.click()
    expect(page.locator("#a-orders li")).to_have_count(5)
    shown = page.locator("#a-detail").inner_text()
    assert not [phone for phone in seeded["phones"] if phone in shown]  # callers' numbers are not shown
    page.fill("#a-note", "已派人到检查站核查")
    page.click("#a-ack-btn")
    expect(page.locator("#msg")).to_contain_text("已确认预警")
    expect(page.locator("#a-meta")).to_contain_text("已派人到检查站核查")
    expect(page.locator("#alerts tr", has_text=seeded["place"])).to_have_count(0)  # the list shows open ones
    if open_alerts == 1:
        expect(badge).to_be_hidden(timeout=15000)
    else:
        expect(badge).to_have_text(str(open_alerts - 1), timeout=15000)
    fits(page, live, "alerts")
    clean(problems)


def test_an_operator_links_duplicate_complaints_from_the_orders_page(live, seeded, browser):
    problems = []
    page = new_page(browser, problems)
    page.goto(live.base + "/console/supervision")
    sign_in(page, seeded["operator"])
    expect(page).to_have_url(live.base + "/console/orders")  # no 督办 for operators: taken to their page
    assert "督办" not in menu(page)

    first, *others = seeded["numbers"]
    page.click("#queues button[data-queue=all]")
    page.fill("#search-q", first)
    page.click("#search-form button[type=submit]")
    page.locator("#orders tr", has_text=first).click()
    expect(page.locator("#detail-title")).to_contain_text(first)
    proposals = page.locator("#dup-proposals li")
    for number in others:
        expect(proposals.filter(has_text=number)).to_have_count(1)
    expect(proposals.filter(has_text=others[0])).to_contain_text(f"同一地点：{seeded['place']}")
    for number in others[:2]:
        proposals.filter(has_text=number).locator("input[type=checkbox]").check()
    page.click("#dup-link")
    expect(page.locator("#msg")).to_contain_text("已合并为重复投诉组")
    members = page.locator("#dup-members li")
    expect(members).to_have_count(3)
    for number in [first, *others[:2]]:
        expect(members.filter(has_text=number)).to_have_count(1)
    for number in others[:2]:  # linked: no longer proposed
        expect(proposals.filter(has_text=number)).to_have_count(0)
    for number in others[2:]:  # the two not linked are still proposed
        expect(proposals.filter(has_text=number)).to_have_count(1)
    fits(page, live, "duplicates")

    # one more joins the group; a member opens from the list; the order leaves the group again
    page.locator("#dup-proposals li", has_text=others[2]).locator("input[type=checkbox]").check()
    page.click("#dup-link")
    expect(members).to_have_count(4)
    page.locator("#dup-members li", has_text=others[0]).locator("button").click()
    expect(page.locator("#detail-title")).to_contain_text(others[0])
    expect(members).to_have_count(4)
    page.click("#dup-unlink")
    expect(page.locator("#msg")).to_contain_text("已将本工单移出重复投诉组")
    expect(page.locator("#dup-members")).to_have_count(0)
    expect(page.locator("#dup-proposals li", has_text=first)).to_contain_text("已在重复投诉组")
    clean(problems)
