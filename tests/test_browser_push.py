"""Pushing a hot policy from the editor console in headless Chromium: the publisher opens an urgent article,
sees how many drivers it will reach, confirms, and reads the delivery report with its failures. The app runs
in a thread against the fake WeChat API (no bot needed)."""

import threading
from datetime import timedelta

import pytest
from playwright.sync_api import expect, sync_playwright
from werkzeug.serving import make_server

from hotline.clock import utcnow
from tests.test_browser import ARGS, CHROMIUM
from tests.wechat_fake import FakeWeChat

pytestmark = pytest.mark.browser
APPID, SECRET, MP_APPID, MP_SECRET = "wx12328pushui0001", "oa-secret", "wx12328pushui0002", "mp-secret"


@pytest.fixture
def wechat():
    server = FakeWeChat({APPID: SECRET, MP_APPID: MP_SECRET})
    server.known_templates.update({"SUB-POLICY"})  # the official account's policy template is unknown: 40037
    yield server
    server.close()


@pytest.fixture
def served(make_app, wechat):
    app = make_app(
        HOTLINE_SWEEP_INTERVAL="0",
        HOTLINE_WECHAT_API_BASE=wechat.url,
        HOTLINE_WECHAT_APPID=APPID,
        HOTLINE_WECHAT_SECRET=SECRET,
        HOTLINE_WECHAT_POLICY_TEMPLATE_ID="TPL-MISSING",
        HOTLINE_MINIPROGRAM_APPID=MP_APPID,
        HOTLINE_MINIPROGRAM_SECRET=MP_SECRET,
        HOTLINE_MINIPROGRAM_POLICY_TEMPLATE_ID="SUB-POLICY",
    )
    svc = app.extensions["hotline"]
    svc.accounts.create_user("pub-ui", "publisher-ui-1", ["publisher"], "王发布")
    svc.wechat.pushes.sleep = lambda _s: None
    svc.wechat.api.backoff = svc.wechat.mp_api.backoff = (0.01,)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield app, f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def test_a_publisher_previews_confirms_and_reads_the_report(served, wechat, tmp_path):
    app, base = served
    svc = app.extensions["hotline"]
    article = svc.editor.create(
        {
            "title": "S227省道辉县段夜间禁止货车通行",
            "body": "12月5日起S227省道辉县段夜间22时至次日6时禁止货车通行，请绕行G107。",
            "domain": "公路",
            "region": "河南省新乡市",
            "urgent": True,
        },
        author="pub-ui",
        publish=True,
    )
    svc.wechat.mp_regions.set("oMiniDriverUi001", "河南省新乡市卫辉市", "chosen")
    svc.wechat.subscriptions.record("oMiniDriverUi001", {"SUB-POLICY": "accept"})
    # a follower outside the 48-hour window: the template message, which WeChat refuses (unknown template)
    svc.wechat.official.users.update(
        "wechat:oFollowerUi00001", region="河南省新乡市", last_message_at=utcnow() - timedelta(hours=50)
    )
    svc.wechat.official.users.update("wechat:oFollowerUi00002", region="北京市", last_message_at=utcnow())

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
        try:
            page.goto(base + "/console")
            page.fill("#username", "pub-ui")
            page.fill("#password", "publisher-ui-1")
            page.click("#login-form button[type=submit]")
            expect(page.locator("#msg")).to_contain_text("欢迎，王发布")
            page.locator("#rows tr", has_text="S227省道辉县段").click()
            expect(page.locator("#push")).to_be_visible()
            page.click("#push")
            expect(page.locator("#push-summary")).to_contain_text("将推送给 2 人")
            expect(page.locator("#push-counts")).to_contain_text("小程序订阅用户（订阅消息）：1 人")
            expect(page.locator("#push-counts")).to_contain_text("超过48小时（模板消息）：1 人")
            page.click("#push-confirm")
            expect(page.locator("#msg")).to_contain_text("已加入推送队列")
            expect(page.locator("#campaigns tr")).to_have_count(1)
            expect(page.locator("#campaign-via")).to_contain_text("待发送 2")

            assert svc.wechat.pushes.run() == {"sent": 1, "failed": 1}
            page.locator("#campaigns tr").first.click()
            expect(page.locator("#campaign-via")).to_contain_text("已送达 1（订阅消息 1")
            failure = page.locator("#campaign-failures tr").first
            expect(failure).to_contain_text("公众号")
            expect(failure).to_contain_text("40037")
            expect(failure).not_to_contain_text("oFollowerUi00001")  # openids masked

            page.click("#tabs button[data-tab=list]")
            page.locator("#rows tr", has_text="S227省道辉县段").click()
            page.click("#push")
            expect(page.locator("#push-notes")).to_contain_text("已于之前推送过")
            expect(page.locator("#push-confirm")).to_be_disabled()
        finally:
            page.screenshot(path=str(tmp_path / "push.png"), full_page=True)
            browser.close()
    assert [m["touser"] for m in wechat.subscribe] == ["oMiniDriverUi001"]
    assert article["urgent"]
