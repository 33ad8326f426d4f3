"""The editor console in headless Chromium: log in, publish a hot policy, hit-test it, then ask about it
in the citizens' web chat."""

import pytest
from playwright.sync_api import expect, sync_playwright

from accounts.service import Accounts
from hotline.db import Database
from tests.test_browser import ARGS, CHROMIUM

pytestmark = pytest.mark.browser


@pytest.fixture
def browser_page(live):
    Accounts(Database(live.settings.database_url)).create_user("pub-ui", "publisher-ui-1", ["publisher"], "王编辑")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
        yield page
        page.screenshot(path=str(live.var / "console.png"), full_page=True)
        browser.close()


def test_publish_hot_policy_then_ask_in_chat(live, browser_page):
    page = browser_page
    page.goto(live.base + "/console")
    page.fill("#username", "pub-ui")
    page.fill("#password", "wrong-password")
    page.click("#login-form button[type=submit]")
    expect(page.locator("#msg")).to_have_text("用户名或密码错误")
    page.fill("#password", "publisher-ui-1")
    page.click("#login-form button[type=submit]")
    expect(page.locator("#msg")).to_contain_text("欢迎，王编辑")
    expect(page.locator("#rows tr").first).to_be_visible()

    page.click("#new")
    page.fill("#f-title", "G4京港澳高速新乡段临时封闭<b>通知</b>")
    page.select_option("#f-domain", "公路")
    page.fill("#f-region", "全国")
    page.fill("#f-source", "新乡市交通运输局")
    page.check("#f-urgent")
    page.fill("#f-body", "因桥梁检修，G4京港澳高速新乡段12月1日至3日全天封闭，过境货车请提前绕行G107国道。")
    page.fill("#f-questions", "新乡那段高速这几天还能走不\n拉货去郑州的大车咋绕路")
    page.fill("#f-to", "2026-12-05T18:00")
    page.fill("#f-note", "新乡市交通运输局来电通知")
    page.check("#f-publish")
    page.click("#save")
    expect(page.locator("#msg")).to_contain_text("已保存并生效")
    expect(page.locator("#edit-title")).to_contain_text("<b>通知</b>")  # markup shown as text
    expect(page.locator("#versions tr")).to_have_count(1)
    expect(page.locator("#versions tr").first).to_contain_text("新乡市交通运输局来电通知")  # the note is kept
    page.locator("#versions tr").first.locator("button").click()
    expect(page.locator("#diff")).to_contain_text("+失效时间：2026-12-05 18:00（北京时间）")  # China time
    expect(page.locator("#diff")).to_contain_text("+业务领域：公路")
    expect(page.locator("#rows tr", has_text="G4京港澳高速新乡段临时封闭")).to_have_count(1)  # the list is fresh
    policy_id = page.evaluate(
        "fetch('/api/kb/articles?status=published', {headers: {Authorization: 'Bearer ' + "
        "sessionStorage.getItem('console-token')}}).then(r => r.json())"
        ".then(d => d.items.find(a => a.title.includes('京港澳')).id)"
    )

    page.click("#tabs button[data-tab=hit]")
    page.fill("#hit-q", "京港澳高速新乡段封了吗 货车咋绕")
    page.click("#hit-form button[type=submit]")
    first = page.locator("#hits tr").first
    expect(first).to_contain_text("G4京港澳高速新乡段临时封闭")
    expect(first).to_contain_text("✓")
    expect(first).to_contain_text("向量相似度")
    expect(first).to_contain_text("答复")  # the hit the bot would answer with
    expect(page.locator("#hit-decision")).to_contain_text("机器人的处理：直接答复（置信度")
    expect(page.locator("#hit-threshold")).to_contain_text("按问句中提到的地点“新乡”检索：河南省新乡市")
    page.fill("#hit-q", "新乡那段高速这几天还能走不")  # found through the editor's similar question
    page.click("#hit-form button[type=submit]")
    expect(page.locator("#hits tr").first).to_contain_text("相似问法“新乡那段高速这几天还能走不”")

    page.goto(live.base + "/")
    page.fill("#text", "请问京港澳高速新乡段现在封闭了吗，货车怎么绕行")
    page.click("#send")
    answer = page.locator(".msg.bot").last
    expect(answer).to_contain_text("【热点政策】", timeout=30000)
    expect(answer).to_contain_text("G107国道")
    assert page.locator(".msg b").count() == 0

    # a question the KB cannot answer shows up for the editors, who add it to the policy as a similar question
    page.fill("#text", "俺的车要从鹤壁往南开 路上有啥情况没")
    page.click("#send")
    expect(page.locator(".msg.bot").last).to_contain_text("知识库里暂时没有", timeout=30000)
    page.goto(live.base + "/console")
    page.click("#tabs button[data-tab=gaps]")
    row = page.locator("#gaps tr", has_text="俺的车要从鹤壁往南开 路上有啥情况没")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("拒答")  # refused, not clarified
    row.locator("input.gap-search").fill("京港澳高速新乡段")  # the article is found by its title
    expect(row.locator(f"select.gap-article option[value='{policy_id}']")).to_have_count(1)
    row.locator("select.gap-article").select_option(str(policy_id))
    row.locator("button.gap-attach").click()
    expect(page.locator("#msg")).to_contain_text("已加为《G4京港澳高速新乡段临时封闭<b>通知</b>》的相似问法")
    expect(page.locator("#gaps tr", has_text="俺的车要从鹤壁往南开 路上有啥情况没")).to_have_count(0)
    page.goto(live.base + "/")
    page.fill("#text", "俺的车要从鹤壁往南开 路上有啥情况没")
    page.click("#send")
    expect(page.locator(".msg.bot").last).to_contain_text("G107国道", timeout=30000)
