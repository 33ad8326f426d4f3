"""The web chat page in headless Chromium (Debian's package), against real bot and app processes."""

import shutil

import pytest
from playwright.sync_api import expect, sync_playwright

pytestmark = pytest.mark.browser

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


@pytest.fixture
def page(live):
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, locale="zh-CN")
        page = context.new_page()
        page.goto(live.base + "/")
        yield page
        page.screenshot(path=str(live.var / "chat-phone.png"))
        browser.close()


def ask(page, text):
    page.fill("#text", text)
    page.click("#send")


def test_question_gets_cited_answer(page):
    expect(page.locator("header h1")).to_have_text("12328交通运输服务监督热线")
    ask(page, "投诉以后多久能有结果？")
    answer = page.locator(".msg.bot").filter(has_text="第二十三条").first
    expect(answer).to_contain_text("根据《12328交通运输服务监督热线管理办法》第二十三条", timeout=30000)
    expect(answer).to_contain_text("10个工作日内回复办理意见")
    expect(answer.locator(".sources")).to_contain_text("出处：《12328交通运输服务监督热线管理办法》第二十三条")
    # fits a phone screen: no horizontal scrolling
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def test_empty_and_too_long_input_get_friendly_chinese_messages(page):
    ask(page, "   ")
    expect(page.locator(".msg.err").last).to_have_text("请输入内容后再发送。")
    page.evaluate("document.getElementById('text').removeAttribute('maxlength')")
    ask(page, "长" * 2500)
    expect(page.locator(".msg.err").last).to_contain_text("内容过长")


def test_markup_is_shown_as_text(page):
    ask(page, "<img src=x onerror=\"document.title='pwned'\">你好")
    expect(page.locator(".msg.me").last).to_have_text("<img src=x onerror=\"document.title='pwned'\">你好")
    expect(page.locator(".msg.bot").last).to_contain_text("12328", timeout=30000)
    assert page.title() != "pwned"
    assert page.locator(".msg img").count() == 0


def test_greeting_buttons_ask_the_question(page):
    ask(page, "你好")
    button = page.locator(".buttons button", has_text="投诉以后多久能有结果？")
    expect(button).to_be_visible(timeout=30000)
    button.click()
    expect(page.locator(".msg.bot").last).to_contain_text("第二十三条", timeout=30000)


def test_a_pressed_button_shows_its_title_not_its_payload(page):
    offer = {
        "replies": [
            {
                "text": "抱歉，没有找到相关内容。",
                "buttons": [{"title": "登记咨询工单", "payload": "/leave_question"}],
            }
        ],
        "intent": {"name": "consult", "confidence": 0.9},
        "sources": [],
        "work_order": None,
        "handoff": None,
    }
    sent = []

    def first_answer(route):
        sent.append(route.request.post_data_json["text"])
        if len(sent) == 1:  # the offer with a button; the click then goes to the real bot
            route.fulfill(json=offer)
        else:
            route.continue_()

    page.route("**/api/chat", first_answer)
    ask(page, "火星上有12328吗")
    page.locator(".buttons button", has_text="登记咨询工单").click()
    expect(page.locator(".msg.me").last).to_have_text("登记咨询工单")
    expect(page.locator(".msg.bot").last).not_to_have_text("抱歉，没有找到相关内容。", timeout=30000)
    assert sent == ["火星上有12328吗", "/leave_question"]  # the bot still gets the payload
    assert page.locator(".msg.me", has_text="/leave_question").count() == 0


def test_a_reload_restores_the_conversation_with_its_sources(page):
    ask(page, "投诉以后多久能有结果？")
    answer = page.locator(".msg.bot").filter(has_text="第二十三条").first
    expect(answer.locator(".sources")).to_contain_text("第二十三条", timeout=30000)
    page.reload()
    expect(page.locator(".msg.me")).to_have_text(["投诉以后多久能有结果？"], timeout=10000)
    restored = page.locator(".msg.bot").filter(has_text="10个工作日内回复办理意见").first
    expect(restored.locator(".sources")).to_contain_text("出处：《12328交通运输服务监督热线管理办法》第二十三条")
    expect(page.locator(".msg.note").last).to_have_text("以上为您最近的对话记录")
