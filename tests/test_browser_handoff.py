"""Handoff in headless Chromium: a web-chat user waits in the queue, an operator takes over in the console,
they talk (markup stays text), the operator closes and the page says so.

Only the app process runs (the bot is not needed while a handoff is open). Its service hours span the whole
day and the calendar marks the days around today as working days, so the test passes at any hour.
"""

import shutil
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect, sync_playwright

from accounts.service import Accounts
from devtools.stack import app_ports_env, free_port
from handoff import Handoffs
from hotline import procs
from hotline.clock import local_date
from hotline.db import Database
from hotline.settings import load_settings, parse_service_hours
from tests.test_browser import ARGS, CHROMIUM
from work_orders.service import WorkOrders

pytestmark = pytest.mark.browser

ALL_DAY = "00:00-24:00"
SENDER = "w" + "0123456789abcdef" * 2
PHONE = "13812345678"


@pytest.fixture(scope="module")
def desk(seeded_dir, tmp_path_factory):
    var = tmp_path_factory.mktemp("handoff") / "var"
    shutil.copytree(seeded_dir, var)
    env = {
        "HOTLINE_VAR_DIR": str(var),
        **app_ports_env(),
        "HOTLINE_RASA_URL": f"http://127.0.0.1:{free_port()}",
        "HOTLINE_SERVICE_HOURS": ALL_DAY,
        "HOTLINE_SWEEP_INTERVAL": "0",
    }
    settings = load_settings(env)
    db = Database(settings.database_url)
    db.migrate()
    work_orders = WorkOrders(db)
    today = local_date(datetime.now(UTC))
    for day in (today - timedelta(days=1), today, today + timedelta(days=1)):
        work_orders.set_override(day, True, "浏览器测试：全天人工服务", "test")
    Accounts(db).create_user("op-ui", "operator-ui-1", ["operator"], "李座席")
    app = procs.start(procs.app_command(), {**procs.app_env(settings), **env}, var / "app.log")
    base = f"http://{settings.app_host}:{settings.app_port}"
    if not procs.wait_http(base + "/api/health", 120, app):
        raise RuntimeError("app did not start:\n" + (var / "app.log").read_text()[-3000:])
    yield {"base": base, "var": var, "handoffs": Handoffs(db, work_orders.calendar, parse_service_hours(ALL_DAY))}
    procs.stop(app)


@pytest.fixture
def browser(desk):
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield browser
        browser.close()


def test_operator_takes_over_a_web_chat(desk, browser):
    # the user asked for a person (what action_handoff does)
    transcript = [
        {"who": "user", "text": f"出租车拒载，我电话{PHONE}", "at": 1763604000.0},
        {"who": "bot", "text": "请问车牌号是多少？", "at": 1763604001.0},
        {"who": "user", "text": "转人工", "at": 1763604002.0},
    ]
    assert desk["handoffs"].request(f"web:{SENDER}", "user_request", transcript)["status"] == "queued"

    user = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, locale="zh-CN").new_page()
    user.add_init_script(f"localStorage.setItem('hotline-sender', '{SENDER}')")
    user.goto(desk["base"] + "/")
    expect(user.locator("#handoff-text")).to_contain_text("当前排队第1位")
    user.fill("#text", "有人吗")
    user.click("#send")
    expect(user.locator(".msg.bot").last).to_contain_text("您的消息已转给人工客服")

    op = browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    op.on("dialog", lambda dialog: dialog.accept())
    op.goto(desk["base"] + "/console/handoff")
    op.fill("#username", "op-ui")
    op.fill("#password", "operator-ui-1")
    op.click("#login-form button[type=submit]")
    expect(op.locator("#msg")).to_have_text("欢迎，李座席")
    expect(op.locator("#service")).to_contain_text("人工服务时间内")
    card = op.locator("#queue .item").first
    expect(card).to_contain_text("网站")
    expect(card).to_contain_text("有人吗")
    card.click()
    expect(op.locator("#log")).to_contain_text("138****5678")  # masked until taken
    expect(op.locator("#log")).not_to_contain_text(PHONE)
    op.click("#take")
    expect(op.locator("#msg")).to_contain_text("已接入")
    expect(op.locator("#log")).to_contain_text(f"出租车拒载，我电话{PHONE}")
    expect(op.locator("#serving .item")).to_have_count(1)

    expect(user.locator(".msg.note").last).to_have_text("人工客服已接入，正在为您服务。", timeout=10000)
    expect(user.locator("#handoff-text")).to_have_text("人工客服正在为您服务")
    markup = "<img src=x onerror=\"document.title='pwned'\">您好，请问车牌号？"
    op.fill("#reply", markup)
    op.click("#send")
    agent = user.locator(".msg.agent").last
    expect(agent).to_contain_text(markup, timeout=10000)
    expect(agent.locator(".label")).to_have_text("人工客服")
    assert user.locator(".msg img").count() == 0 and user.title() != "pwned"

    user.fill("#text", "浙A12345")
    user.click("#send")
    expect(op.locator("#log .bubble.user").last).to_contain_text("浙A12345", timeout=10000)
    assert user.locator(".msg.bot", has_text="没有回复").count() == 0

    op.fill("#close-note", "已登记投诉工单")
    op.click("#close")
    expect(op.locator("#msg")).to_have_text("会话已结束")
    expect(op.locator("#reply-form")).to_be_hidden()
    expect(user.locator(".msg.note").last).to_contain_text("本次人工服务已结束", timeout=10000)
    expect(user.locator("#handoff")).to_be_hidden()
    assert user.evaluate("document.documentElement.scrollWidth") <= 390
    user.screenshot(path=str(desk["var"] / "handoff-user.png"))
    op.screenshot(path=str(desk["var"] / "handoff-console.png"), full_page=True)
