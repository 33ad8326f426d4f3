"""WeChat channels: the official account (公众号, ``/wechat/mp``) and the mini-program (小程序, ``/api/mp/*``).

Both feed the shared conversation turn (channels.turn) with sender ids ``wechat:<openid>`` and
``miniprogram:<openid>``. Platform quirks stay in this package: protocol (signatures, AES, XML), api
(WeChat's HTTP API and its error codes), official (the message flow), text (replies as WeChat text),
notify (work-order notices), miniprogram (sessions, subscriptions, complaints), push (hot policies pushed to
the drivers of a region), menu (the official account's custom menu, from menu.yaml).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from hotline.db import Database
from hotline.settings import Settings
from work_orders.attachments import AttachmentStore

from .api import WeChatApi
from .miniprogram import Complaints, Sessions, Subscriptions
from .notify import Notifier
from .official import OfficialAccount
from .push import MiniProgramRegions, Pushes
from .replica_store import make_state
from .users import Users

log = logging.getLogger(__name__)


@dataclass
class WeChatChannels:
    official: OfficialAccount
    sessions: Sessions
    subscriptions: Subscriptions
    complaints: Complaints
    notifier: Notifier
    pushes: Pushes
    mp_regions: MiniProgramRegions
    api: WeChatApi
    mp_api: WeChatApi
    state: object


def build_wechat(
    settings: Settings,
    db: Database,
    conversation,
    work_orders,
    handoffs=None,
    attachments: AttachmentStore | None = None,
) -> WeChatChannels:
    wx = settings.wechat
    if wx.status == "not_configured":
        log.warning("WeChat official account not configured (HOTLINE_WECHAT_APPID unset): /wechat/mp answers 503")
    elif wx.status == "simulator":
        log.warning(
            "WeChat official account uses the local simulator's AppID %s: for trying it out only, "
            "set HOTLINE_WECHAT_APPID for a real account",
            wx.appid,
        )
    state = make_state(db, settings.redis_url)
    api = WeChatApi(wx.appid if wx.secret else "", wx.secret, wx.api_base, state)
    mp_api = WeChatApi(wx.mp_appid, wx.mp_secret, wx.api_base, state)
    users = Users(db)
    subscriptions = Subscriptions(db)
    return WeChatChannels(
        official=OfficialAccount(wx, conversation, work_orders, users, state, api),
        sessions=Sessions(db, mp_api, wx.mp_session_hours),
        subscriptions=subscriptions,
        complaints=Complaints(work_orders, attachments or AttachmentStore(Path(settings.var_dir) / "attachments")),
        notifier=Notifier(db, wx, api, mp_api, users, subscriptions, handoffs=handoffs),
        pushes=Pushes(db, wx, api, mp_api, subscriptions),
        mp_regions=MiniProgramRegions(db),
        api=api,
        mp_api=mp_api,
        state=state,
    )
