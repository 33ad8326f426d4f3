"""A WeChat simulator for the official account: try /wechat/mp without a WeChat account.

It builds the XML WeChat would post, signs it (signature, msg_signature) and encrypts it with the same
token, EncodingAESKey and AppID as the app (read from the same settings, so `make run` needs no
configuration), posts it, and prints the passive reply after checking and decrypting it as WeChat would.

    python -m devtools.wechat_sim                       # interactive
    python -m devtools.wechat_sim 投诉以后多久能有结果？   # one message, print the reply, exit
    python -m devtools.wechat_sim /subscribe            # commands work in both modes; /help lists them

Replies that take longer than WeChat's 5 seconds come as customer-service messages through WeChat's API.
To see them, start the app with HOTLINE_WECHAT_API_BASE=http://127.0.0.1:8001 HOTLINE_WECHAT_SECRET=sim
and run the simulator with --api-port 8001: it then also plays WeChat's API and prints what arrives.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import re
import secrets
import shlex
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import requests
import xmltodict
from wechatpy.crypto import WeChatCrypto

from channels.wechat import protocol

HELP = """命令：
  直接输入文字            发送文字消息
  /voice 识别文字         语音消息（带微信语音识别结果；不带文字=识别失败）
  /location 地点 [纬度 经度]  发送位置，如 /location 河南省新乡市红旗区新乡东站 35.27 113.92
  /image [MediaId]        发送图片（证据照片）
  /video                  发送视频（暂不支持的类型）
  /subscribe /unsubscribe 关注 / 取消关注
  /click KEY              点击菜单（COMPLAIN SUGGEST STATUS HUMAN MENU）
  /view URL               点击跳转菜单
  /report 纬度 经度        上报地理位置事件
  /raw XML                原样发送一段消息 XML（会签名、加密）
  /help /quit"""

_ids = itertools.count(int(time.time() * 1000) % 10**12 * 1000)


def _message(openid: str, to_user: str, msg_type: str, **fields) -> str:
    body = {
        "ToUserName": to_user,
        "FromUserName": openid,
        "CreateTime": str(int(time.time())),
        "MsgType": msg_type,
        **{k: str(v) for k, v in fields.items()},
    }
    if msg_type != "event":
        body["MsgId"] = str(next(_ids))
    return xmltodict.unparse({"xml": body}, full_document=False)


class Simulator:
    """One WeChat user talking to one server endpoint."""

    def __init__(
        self,
        url: str,
        token: str,
        aes_key: str,
        appid: str,
        mode: str = "safe",
        openid: str = "o12328-simulator",
        to_user: str = "gh_12328hotline",
        http=None,
        timeout: float = 15,
    ):
        self.url = url
        self.token = token
        self.mode = mode
        self.crypto = WeChatCrypto(token, aes_key, appid) if mode != "plain" else None
        self.openid = openid
        self.to_user = to_user
        self.http = http or requests.Session()
        self.timeout = timeout

    def post(self, xml: str) -> tuple[int, str | None]:
        """(HTTP status, the passive reply's text or None for "success"/empty)."""
        query, body = protocol.wechat_request(xml, self.token, self.crypto, self.mode)
        resp = self.http.post(
            self.url, params=query, data=body, timeout=self.timeout, headers={"Content-Type": "text/xml"}
        )
        if resp.status_code != 200:
            return resp.status_code, resp.text
        reply = protocol.read_reply(resp.content, self.crypto, self.token)
        if reply is None:
            return 200, None
        return 200, reply.get("Content") if reply.get("MsgType") == "text" else json.dumps(reply, ensure_ascii=False)

    def verify(self) -> bool:
        echostr = secrets.token_hex(8)
        resp = self.http.get(
            self.url, params={**protocol.signed_query(self.token), "echostr": echostr}, timeout=self.timeout
        )
        return resp.status_code == 200 and resp.text == echostr

    # --- what a user can do ----------------------------------------------------------------------------
    def text(self, content: str):
        return self.post(_message(self.openid, self.to_user, "text", Content=content))

    def voice(self, recognition: str = ""):
        return self.post(
            _message(
                self.openid,
                self.to_user,
                "voice",
                MediaId=f"voice-{secrets.token_hex(6)}",
                Format="amr",
                Recognition=recognition,
            )
        )

    def location(self, label: str, latitude: float = 0.0, longitude: float = 0.0):
        return self.post(
            _message(
                self.openid, self.to_user, "location", Location_X=latitude, Location_Y=longitude, Scale=15, Label=label
            )
        )

    def image(self, media_id: str | None = None):
        media_id = media_id or f"media-{secrets.token_hex(8)}"
        return self.post(
            _message(self.openid, self.to_user, "image", MediaId=media_id, PicUrl=f"http://mmbiz.qpic.cn/{media_id}")
        )

    def event(self, event: str, key: str = "", **fields):
        return self.post(_message(self.openid, self.to_user, "event", Event=event, EventKey=key, **fields))

    def command(self, line: str):
        """One line as typed at the prompt; None for /help."""
        if not line.startswith("/"):
            return self.text(line)
        name, _, rest = line.partition(" ")
        args = shlex.split(rest) if rest.strip() else []
        if name == "/voice":
            return self.voice(rest.strip())
        if name == "/location" and args:
            # the label may hold spaces ("河南省新乡市 京港澳高速原阳服务区"); the coordinates, if any, come last
            coords = [0.0, 0.0]
            if len(args) >= 3 and all(re.fullmatch(r"-?\d+(?:\.\d+)?", a) for a in args[-2:]):
                coords, args = [float(a) for a in args[-2:]], args[:-2]
            return self.location(" ".join(args), *coords)
        if name == "/image":
            return self.image(args[0] if args else None)
        if name == "/video":
            return self.post(_message(self.openid, self.to_user, "video", MediaId="video-1", ThumbMediaId="t-1"))
        if name in ("/subscribe", "/unsubscribe"):
            return self.event(name[1:])
        if name == "/click" and args:
            return self.event("CLICK", args[0])
        if name == "/view" and args:
            return self.event("VIEW", args[0])
        if name == "/report" and len(args) >= 2:
            return self.event("LOCATION", Latitude=args[0], Longitude=args[1], Precision="30")
        if name == "/raw" and rest.strip():
            return self.post(rest.strip())
        return None


class ApiSink:
    """Plays WeChat's API for the app (token, customer-service, template and subscribe messages) and prints
    what the app sends to the user."""

    def __init__(self, port: int, out=sys.stdout):
        printer = out

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _send(self, body):
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                if urlsplit(self.path).path.endswith("/token"):
                    return self._send({"access_token": secrets.token_hex(16), "expires_in": 7200})
                self._send({"errcode": 0})

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
                path = urlsplit(self.path).path
                if path.endswith("/custom/send"):
                    print(f"\n公众号（客服消息）> {(body.get('text') or {}).get('content', body)}", file=printer)
                elif path.endswith("/template/send"):
                    print(f"\n公众号（模板消息）> {json.dumps(body.get('data'), ensure_ascii=False)}", file=printer)
                else:
                    print(f"\n（{path}）{json.dumps(body, ensure_ascii=False)}", file=printer)
                printer.flush()
                self._send({"errcode": 0, "errmsg": "ok"})

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _show(result, out) -> None:
    if result is None:
        print(HELP, file=out)
        return
    status, text = result
    if status != 200:
        print(f"（HTTP {status}）{text}", file=out)
    elif text is None:
        print("公众号> （无被动回复；如有回复将以客服消息发送）", file=out)
    else:
        print(f"公众号> {text}", file=out)


def main(argv: list[str] | None = None, out=sys.stdout) -> int:
    from hotline.settings import load_settings

    settings = load_settings({"HOTLINE_WECHAT_SIMULATOR": "1", **os.environ})  # the AppID `make run` uses
    wx = settings.wechat
    parser = argparse.ArgumentParser(prog="python -m devtools.wechat_sim", description="微信公众号模拟器")
    parser.add_argument("message", nargs="*", help="一次性发送的消息（或 /命令）；省略则进入交互模式")
    parser.add_argument("--url", default=f"http://{settings.app_host}:{settings.app_port}/wechat/mp")
    parser.add_argument("--openid", default="o12328-simulator", help="模拟用户的 openid")
    parser.add_argument("--mode", choices=["plain", "compatible", "safe"], default=wx.mode)
    parser.add_argument("--token", default=wx.token)
    parser.add_argument("--aes-key", default=wx.aes_key)
    parser.add_argument("--appid", default=wx.appid)
    parser.add_argument("--api-port", type=int, default=0, help="同时模拟微信 API（接收客服消息）的端口")
    args = parser.parse_args(argv)

    sim = Simulator(args.url, args.token, args.aes_key, args.appid, args.mode, args.openid)
    if args.api_port:
        ApiSink(args.api_port, out)
    try:
        if args.message:
            result = sim.command(" ".join(args.message))
            _show(result, out)
            return 0 if result is None or result[0] == 200 else 1
        if not sim.verify():
            print(f"无法通过 {args.url} 的服务器校验：请确认应用已启动（make run），且 token 与应用一致。", file=out)
            return 1
        print(f"已连接 {args.url}（{args.mode} 模式，openid {args.openid}）。输入 /help 查看命令。", file=out)
        while True:
            try:
                line = input("你> ").strip()
            except EOFError:
                return 0
            if line in ("/quit", "/exit"):
                return 0
            if line:
                _show(sim.command(line), out)
    except requests.ConnectionError:
        print(f"连接不上 {args.url}：请先 make run 启动应用。", file=out)
        return 1
    except KeyboardInterrupt:
        return 0


if __name__ == "__main__":
    sys.exit(main())
