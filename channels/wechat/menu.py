"""The official account's custom menu: defined in ``menu.yaml`` next to this module, checked against WeChat's
rules and the click keys the account answers, and pushed through WeChat's menu API (``/cgi-bin/menu/create``)."""

from __future__ import annotations

from pathlib import Path

import yaml

from hotline.errors import HotlineError

from .api import WeChatApi
from .official import CLICK_KEYS, HOT_POLICY_KEY

MENU_FILE = Path(__file__).with_name("menu.yaml")
MAX_BUTTONS, MAX_SUB_BUTTONS = 3, 5
MAX_NAME_BYTES, MAX_SUB_NAME_BYTES = 16, 60
MINIPROGRAM_APPID = "${MINIPROGRAM}"
ANSWERED_KEYS = {*CLICK_KEYS, HOT_POLICY_KEY}


class MenuInvalid(HotlineError):
    code = "menu_invalid"
    status = 422


def load_menu(mp_appid: str = "", path: Path = MENU_FILE) -> dict:
    """The menu as WeChat's API takes it; mini-program buttons without a configured mini-program left out."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise MenuInvalid(f"菜单文件无法读取：{exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("button"), list):
        raise MenuInvalid("菜单文件须包含 button 列表")
    buttons = []
    for button in data["button"]:
        if not isinstance(button, dict):
            raise MenuInvalid("菜单的每一项须为对象")
        if "sub_button" in button:
            subs = [_resolve(b, mp_appid) for b in button.get("sub_button") or []]
            subs = [b for b in subs if b is not None]
            if subs:
                buttons.append({"name": button.get("name"), "sub_button": subs})
        else:
            resolved = _resolve(button, mp_appid)
            if resolved is not None:
                buttons.append(resolved)
    menu = {"button": buttons}
    validate(menu)
    return menu


def _resolve(button: dict, mp_appid: str) -> dict | None:
    if not isinstance(button, dict):
        raise MenuInvalid("菜单的每一项须为对象")
    out = dict(button)
    if out.get("type") == "miniprogram" and out.get("appid") == MINIPROGRAM_APPID:
        if not mp_appid:
            return None
        out["appid"] = mp_appid
    return out


def _bytes(text) -> int:
    return len(str(text or "").encode("utf-8"))


def validate(menu: dict) -> None:
    """WeChat's rules for a menu, and every click key one the official account answers; every problem listed."""
    problems: list[str] = []
    buttons = menu.get("button") or []
    if not 1 <= len(buttons) <= MAX_BUTTONS:
        problems.append(f"一级菜单须为1至{MAX_BUTTONS}个")
    for button in buttons:
        name = button.get("name") or ""
        if not name or _bytes(name) > MAX_NAME_BYTES:
            problems.append(f"一级菜单名称“{name}”须为1至{MAX_NAME_BYTES}字节")
        if "sub_button" in button:
            subs = button["sub_button"]
            if not 1 <= len(subs) <= MAX_SUB_BUTTONS:
                problems.append(f"“{name}”的子菜单须为1至{MAX_SUB_BUTTONS}个")
            for sub in subs:
                if not sub.get("name") or _bytes(sub.get("name")) > MAX_SUB_NAME_BYTES:
                    problems.append(f"子菜单名称“{sub.get('name') or ''}”须为1至{MAX_SUB_NAME_BYTES}字节")
                problems += _action_problems(sub)
        else:
            problems += _action_problems(button)
    if problems:
        raise MenuInvalid("菜单不符合要求：" + "；".join(problems))


def _action_problems(button: dict) -> list[str]:
    name, kind = button.get("name") or "", button.get("type")
    if kind == "click":
        if button.get("key") not in ANSWERED_KEYS:
            return [f"“{name}”的 key {button.get('key')!r} 公众号无法响应（可用：{'、'.join(sorted(ANSWERED_KEYS))}）"]
        return []
    if kind == "view":
        return [] if str(button.get("url") or "").startswith(("https://", "http://")) else [f"“{name}”须有 url"]
    if kind == "miniprogram":
        missing = [k for k in ("appid", "pagepath", "url") if not button.get(k)]
        return [f"“{name}”缺少 {'、'.join(missing)}"] if missing else []
    return [f"“{name}”的类型 {kind!r} 不受支持（click / view / miniprogram）"]


def push_menu(api: WeChatApi, menu: dict) -> dict:
    validate(menu)
    return api.create_menu(menu)
