"""WeChat's HTTP API as the hotline uses it: customer-service and template messages, code2session,
subscribe messages. wechatpy's client does the calls; this module owns the access token (cached in the
shared state, refreshed once by one replica when WeChat says it expired) and turns WeChat's error codes
into our exceptions — the only place that knows them.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

import requests
from wechatpy import WeChatClient
from wechatpy.exceptions import WeChatClientException

from .errors import NotConfigured, RateLimited, Refused, Unreachable, WeChatApiError, WindowClosed

log = logging.getLogger(__name__)

TOKEN_ERRORS = (40001, 40014, 42001)  # invalid credential, invalid token, token expired
BUSY = -1  # 系统繁忙
RATE_LIMITED = 45009  # API quota reached
WINDOW_CLOSED = 45015  # no message from the user for 48 hours
REFUSED = (43004, 43101, 40003)  # unsubscribed, subscription refused / used up, unknown openid
TOKEN_MARGIN = 300  # refresh five minutes before WeChat's expiry


def _error(exc: WeChatClientException) -> WeChatApiError:
    errcode, errmsg = exc.errcode, exc.errmsg
    if errcode is None:  # an HTTP error status
        status = getattr(exc.response, "status_code", 0) or 0
        err = Unreachable(f"微信接口返回 HTTP {status}")
        err.transient = status >= 500 or status == 429
        return err
    if errcode == RATE_LIMITED:
        return RateLimited(f"微信接口调用超过限制（{errcode}）", errcode)
    if errcode == WINDOW_CLOSED:
        return WindowClosed("用户48小时内未与公众号互动，不能发送客服消息", errcode)
    if errcode in REFUSED:
        return Refused(f"用户无法接收该消息（{errcode} {errmsg}）", errcode)
    err = WeChatApiError(f"微信接口错误 {errcode}：{errmsg}", errcode)
    err.transient = errcode == BUSY
    return err


def _token_in(request) -> str | None:
    try:
        return parse_qs(urlsplit(request.url).query).get("access_token", [None])[0]
    except Exception:
        return None


class _Client(WeChatClient):
    """wechatpy's client pointed at ``api_base`` (WeChat or a local fake), with the token in shared state."""

    def __init__(self, appid: str, secret: str, api_base: str, state, timeout: float):
        super().__init__(appid, secret, session=state, timeout=timeout, auto_retry=False)
        self.state = state
        self.API_BASE_URL = f"{api_base}/cgi-bin/"
        self.wxa.API_BASE_URL = f"{api_base}/"
        self.token_url = f"{api_base}/cgi-bin/token"

    @property
    def access_token(self) -> str:
        return self.session.get(self.access_token_key) or self.refresh_token()

    def refresh_token(self, rejected: str | None = None) -> str:
        """One refresh for all replicas: whoever holds the lock fetches; the others find the new token."""
        with self.state.lock(f"token:{self.appid}", timeout=15):
            current = self.session.get(self.access_token_key)
            if current and current != rejected:
                return current
            self.fetch_access_token()
            return self.session.get(self.access_token_key)

    def fetch_access_token(self) -> dict:
        res = self._http.get(
            self.token_url,
            params={"grant_type": "client_credential", "appid": self.appid, "secret": self.secret},
            timeout=self.timeout,
        )
        if res.status_code >= 400:
            raise WeChatClientException(None, None, client=self, request=res.request, response=res)
        data = res.json()
        if data.get("errcode"):
            raise WeChatClientException(
                int(data["errcode"]), data.get("errmsg", ""), client=self, request=res.request, response=res
            )
        ttl = max(60, int(data.get("expires_in", 7200)) - TOKEN_MARGIN)
        self.session.set(self.access_token_key, data["access_token"], ttl)
        return data


class WeChatApi:
    """One WeChat app (the official account or the mini-program)."""

    def __init__(
        self,
        appid: str,
        secret: str,
        api_base: str,
        state,
        timeout: float = 5.0,
        backoff: tuple[float, ...] = (0.5, 1.0, 2.0),
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.configured = bool(appid and secret)
        self.client = _Client(appid, secret, api_base.rstrip("/"), state, timeout)
        self.backoff = backoff
        self.sleep = sleep

    def call(self, fn: Callable, *args, **kwargs):
        """Call a wechatpy method: a rejected token is refreshed once, transient errors retried with backoff."""
        if not self.configured:
            raise NotConfigured("未配置微信 AppID/AppSecret，无法调用微信接口")
        refreshed = False
        attempt = 0
        while True:
            try:
                try:
                    return fn(*args, **kwargs)
                except WeChatClientException as exc:
                    if exc.errcode not in TOKEN_ERRORS or refreshed:
                        raise
                    log.info("WeChat access token rejected (%s): refreshing", exc.errcode)
                    refreshed = True
                    self.client.refresh_token(rejected=_token_in(exc.request))
                    continue
            except WeChatClientException as exc:
                err = _error(exc)
            except requests.RequestException as exc:
                err = Unreachable(f"微信接口不可达：{type(exc).__name__}")
            except TimeoutError:  # another replica held the token lock too long
                err = Unreachable("等待刷新 access_token 超时")
            if not err.transient or attempt >= len(self.backoff):
                raise err
            log.warning("WeChat API %s, retry %d in %.1fs", err.message, attempt + 1, self.backoff[attempt])
            self.sleep(self.backoff[attempt])
            attempt += 1

    # --- what the hotline sends ------------------------------------------------------------------------
    def send_text(self, openid: str, text: str) -> dict:
        return self.call(self.client.message.send_text, openid, text)

    def send_template(self, openid: str, template_id: str, data: dict, url: str | None = None) -> dict:
        return self.call(self.client.message.send_template, openid, template_id, data, url=url)

    def send_subscribe(self, openid: str, template_id: str, data: dict, page: str | None = None) -> dict:
        return self.call(self.client.wxa.send_subscribe_message, openid, template_id, data, page=page)

    def create_menu(self, menu: dict) -> dict:
        return self.call(self.client.menu.create, menu)

    def code_to_session(self, code: str) -> dict:
        return self.call(self.client.wxa.code_to_session, code)
