"""Every page under its Content-Security-Policy in headless Chromium: no violation is reported, the nonce'd
inline styles apply and the nonce'd inline scripts run (a blocked script would be a violation and an empty page)."""

import pytest
from playwright.sync_api import sync_playwright

from tests.test_browser import ARGS, CHROMIUM

pytestmark = pytest.mark.browser

PAGES = {
    "/": "#text",
    "/console": "#login-form",
    "/console/orders": "#login-form",
    "/console/handoff": "#login-form",
    "/console/sync": "#login-form",
    "/console/admin": "#login-form",
    "/console/stats": "#login-form",
    "/console/supervision": "#login-form",
    "/console/reports": "#login-form",
    "/bulletin": "#title",
}  # the login form is shown by the shell's script
WATCH = """window.__csp = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__csp.push(e.violatedDirective + " " + (e.blockedURI || "inline") + " " + (e.sample || ""));
});"""


def test_pages_run_under_their_policy_without_violations(live):
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        page = browser.new_page(locale="zh-CN")
        page.add_init_script(WATCH)
        errors = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        try:
            for path, selector in PAGES.items():
                resp = page.goto(live.base + path)
                assert "'nonce-" in resp.headers["content-security-policy"]
                page.wait_for_selector(selector)
                page.wait_for_timeout(300)
                assert page.evaluate("window.__csp") == [], path
                # the inline <style> applied: the pages set a background on body
                assert page.evaluate("getComputedStyle(document.body).backgroundColor") != "rgba(0, 0, 0, 0)", path
            csp_errors = [e for e in errors if "Content Security Policy" in e]
            assert csp_errors == []
        finally:
            browser.close()
