"""Errors of the conversation path every channel shares. WeChat's own are in channels/wechat/errors.py."""

from __future__ import annotations

from hotline.errors import BotUnavailable


class Busy(BotUnavailable):
    """More conversation turns than this process lets wait on the bot: refused at once, try again shortly."""

    code = "busy"

    def __init__(self, retry_after: int = 1):
        super().__init__("对话服务繁忙，请稍后再试")
        self.retry_after = retry_after
