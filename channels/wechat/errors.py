"""Errors of the WeChat channel: WeChat's API (turned into these in channels/wechat/api.py, the only place that
knows WeChat's error codes), the mini-program's login, and requests that did not come from WeChat."""

from __future__ import annotations

from hotline.errors import HotlineError
from hotline.errors import NotConfigured as _NotConfigured


class WeChatApiError(HotlineError):
    code = "wechat_api_error"
    status = 502
    transient = False

    def __init__(self, message: str, errcode: int | None = None, **kwargs):
        super().__init__(message, **kwargs)
        self.errcode = errcode


class NotConfigured(_NotConfigured, WeChatApiError):
    """No AppID/AppSecret: WeChat's API cannot be called (the kernel's not_configured, 503)."""


class Unreachable(WeChatApiError):
    transient = True


class RateLimited(WeChatApiError):
    code = "wechat_rate_limited"
    transient = True


class WindowClosed(WeChatApiError):
    """45015: the user has not written for 48 hours; only template/subscribe messages may reach them."""

    code = "wechat_window_closed"


class Refused(WeChatApiError):
    """The user cannot receive it (unsubscribed, no subscription left, unknown openid)."""

    code = "wechat_refused"


class AccountNotConfigured(_NotConfigured):
    """No HOTLINE_WECHAT_APPID: the official account's endpoint refuses instead of posing as an account."""

    def __init__(self):
        super().__init__("公众号未配置（HOTLINE_WECHAT_APPID）")


class LoginFailed(HotlineError):
    code = "login_failed"
    status = 401


class PhoneCodeInvalid(HotlineError):
    """The code of the phone-number button (getPhoneNumber) is unknown, used or expired."""

    code = "phone_code_invalid"
    status = 422


class MiniProgramUnavailable(HotlineError):
    code = "wechat_unavailable"
    status = 503


class Rejected(HotlineError):
    """A request that did not come from WeChat, or not in a form we accept; never parsed further."""

    code = "wechat_rejected"
    status = 403


class BadMessage(Rejected):
    code = "wechat_bad_message"
    status = 400


class MenuInvalid(HotlineError):
    code = "menu_invalid"
    status = 422


class PushRefused(HotlineError):
    """The article cannot be pushed (not urgent, not published, not valid now, already pushed)."""

    code = "push_refused"
    status = 409


class RegionInvalid(HotlineError):
    code = "region_invalid"
    status = 422
