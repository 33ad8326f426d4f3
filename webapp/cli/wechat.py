"""WeChat: `wechat-menu` (the official account's custom menu, from channels/wechat/menu.yaml)."""

from __future__ import annotations

import json
import sys

import click

from channels.wechat.api import WeChatApi
from channels.wechat.errors import WeChatApiError
from channels.wechat.menu import MenuInvalid, load_menu, push_menu
from channels.wechat.replica_store import make_state
from hotline.db import Database
from hotline.settings import load_settings


@click.command("wechat-menu")
@click.option("--dry-run", is_flag=True, help="只检查并显示菜单，不提交微信")
def wechat_menu(dry_run):
    """Push the official account's menu (channels/wechat/menu.yaml) through WeChat's menu API."""
    settings = load_settings()
    wx = settings.wechat
    try:
        menu = load_menu(wx.mp_appid)
    except MenuInvalid as exc:
        sys.exit(exc.message)
    if dry_run:
        click.echo(json.dumps(menu, ensure_ascii=False, indent=2))
        return
    if not (wx.appid and wx.secret):
        sys.exit("未配置公众号 HOTLINE_WECHAT_APPID / HOTLINE_WECHAT_SECRET，无法提交菜单")
    db = Database(settings.database_url)
    try:
        api = WeChatApi(wx.appid, wx.secret, wx.api_base, make_state(db, settings.redis_url))
        push_menu(api, menu)
    except WeChatApiError as exc:
        sys.exit(f"提交菜单失败：{exc.message}")
    finally:
        db.engine.dispose()
    click.echo(f"已提交公众号菜单（{len(menu['button'])}个一级菜单）")


COMMANDS = (wechat_menu,)
