"""WeChat's server protocol for the official account, both directions: what the endpoint checks before it
believes a request (signature, timestamp, size, harmless XML, then msg_signature and decryption in AES mode)
and what the simulator does to look like WeChat. Replies are built with wechatpy's reply classes.

Order of checks (wechatpy's ``examples/echo-encrypted``): signature → decrypt → parse → reply → encrypt.
"""
from __future__ import annotations

import hmac
import re
import secrets
import time
from dataclasses import dataclass

import xmltodict
from wechatpy import parse_message
from wechatpy.crypto import WeChatCrypto
from wechatpy.messages import BaseMessage
from wechatpy.replies import TextReply
from wechatpy.utils import WeChatSigner

from hotline.errors import HotlineError

MAX_BODY = 64 * 1024        # WeChat's messages are a few hundred bytes
TIMESTAMP_RE = re.compile(r"^\d{1,12}$")
NONCE_RE = re.compile(r"^[A-Za-z0-9_\-]{1,64}$")
CDATA_RE = re.compile(rb"<!\[CDATA\[.*?\]\]>", re.S)
# characters XML 1.0 cannot carry at all (a control character in a bot reply would break the reply)
XML_ILLEGAL_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


class Rejected(HotlineError):
    """A request that did not come from WeChat, or not in a form we accept; never parsed further."""

    code = "wechat_rejected"
    status = 403


class BadMessage(Rejected):
    code = "wechat_bad_message"
    status = 400


def sign(*parts: str) -> str:
    """WeChat's signature: SHA-1 of the sorted parts, concatenated."""
    signer = WeChatSigner()
    signer.add_data(*parts)
    return signer.signature


def _same(a: str, b: str) -> bool:
    return hmac.compare_digest((a or "").encode(), (b or "").encode())


def verify_query(token: str, args, window: float, now: float | None = None) -> None:
    """Every request: ``signature`` = sign(token, timestamp, nonce), with a fresh timestamp."""
    timestamp, nonce = args.get("timestamp", ""), args.get("nonce", "")
    if not TIMESTAMP_RE.match(timestamp) or not NONCE_RE.match(nonce):
        raise Rejected("缺少或非法的 timestamp/nonce")
    if not _same(sign(token, timestamp, nonce), args.get("signature", "")):
        raise Rejected("签名校验失败")
    if abs((now or time.time()) - int(timestamp)) > window:
        raise Rejected("请求时间戳超出允许范围（疑似重放）")


def check_xml(body: bytes) -> None:
    """WeChat sends plain elements and CDATA, nothing else: no DOCTYPE, no entity declarations (XXE and
    entity expansion are impossible before the parser sees anything), no oversized bodies."""
    if len(body) > MAX_BODY:
        raise BadMessage("消息过大")
    if b"<!" in CDATA_RE.sub(b"", body):
        raise BadMessage("不接受 DOCTYPE/ENTITY 声明")


def _xml_dict(body: bytes | str) -> dict:
    raw = body.encode() if isinstance(body, str) else body
    check_xml(raw)
    try:
        root = xmltodict.parse(raw, disable_entities=True)
    except Exception as exc:  # expat errors, entities
        raise BadMessage("XML 格式有误") from exc
    xml = root.get("xml") if isinstance(root, dict) else None
    if not isinstance(xml, dict):
        raise BadMessage("XML 根元素须为 <xml>")
    return xml


@dataclass
class Envelope:
    xml: str            # the message itself, decrypted if it came encrypted
    encrypted: bool


def open_envelope(body: bytes, args, crypto: WeChatCrypto | None, mode: str) -> Envelope:
    """Call after :func:`verify_query`. In AES mode ``msg_signature`` covers the ciphertext and is checked
    before decrypting; the safe mode accepts nothing else."""
    encrypted = args.get("encrypt_type", "raw") == "aes"
    if not encrypted:
        if mode == "safe":
            raise Rejected("安全模式只接受加密消息")
        _xml_dict(body)
        return Envelope(body.decode("utf-8", "replace"), False)
    if mode == "plain" or crypto is None:
        raise Rejected("明文模式不接受加密消息")
    outer = _xml_dict(body)
    ciphertext = outer.get("Encrypt")
    if not isinstance(ciphertext, str) or not ciphertext:
        raise BadMessage("缺少 Encrypt")
    if not _same(sign(crypto.token, args["timestamp"], args["nonce"], ciphertext), args.get("msg_signature", "")):
        raise Rejected("消息签名校验失败")
    try:
        xml = crypto.decrypt_message({"Encrypt": ciphertext}, args["msg_signature"], args["timestamp"],
                                     args["nonce"])
    except Exception as exc:  # bad padding, wrong AppID
        raise BadMessage("消息解密失败") from exc
    _xml_dict(xml)
    return Envelope(xml, True)


def parse(xml: str) -> BaseMessage:
    try:
        return parse_message(xml)
    except Exception as exc:
        raise BadMessage("无法识别的消息") from exc


def echo(args) -> str:
    """URL verification (GET, after :func:`verify_query`): the echostr goes back as it came, in every mode."""
    return args.get("echostr", "")


def cdata_safe(text: str) -> str:
    """wechatpy writes text inside CDATA unescaped: a ``]]>`` in it would end the section and let the rest
    be read as markup. Split it the standard way (]]]]><![CDATA[>), which parsers join back."""
    return XML_ILLEGAL_RE.sub("", text).replace("]]>", "]]]]><![CDATA[>")


def text_reply(message: BaseMessage, content: str, crypto: WeChatCrypto | None, encrypted: bool,
               nonce: str, timestamp: str) -> str:
    reply = TextReply(message=message, content=cdata_safe(content)).render()
    return crypto.encrypt_message(reply, nonce, timestamp) if encrypted else reply


# --- the WeChat side, for the simulator and tests --------------------------------------------------------
def signed_query(token: str, timestamp: int | None = None, nonce: str | None = None) -> dict:
    timestamp = str(int(timestamp if timestamp is not None else time.time()))
    nonce = nonce or str(secrets.randbelow(10 ** 10))
    return {"signature": sign(token, timestamp, nonce), "timestamp": timestamp, "nonce": nonce}


def wechat_request(xml: str, token: str, crypto: WeChatCrypto | None, mode: str,
                   timestamp: int | None = None, nonce: str | None = None) -> tuple[dict, bytes]:
    """Query and body as WeChat sends ``xml`` to the server in ``mode`` (plain | compatible | safe)."""
    query = signed_query(token, timestamp, nonce)
    if mode == "plain" or crypto is None:
        return query, xml.encode()
    sealed = _xml_dict(crypto.encrypt_message(xml, query["nonce"], query["timestamp"]))
    ciphertext = sealed["Encrypt"]
    query.update(encrypt_type="aes", msg_signature=sign(token, query["timestamp"], query["nonce"], ciphertext))
    if mode == "compatible":  # the plaintext fields and Encrypt side by side
        fields = _xml_dict(xml)
        fields["Encrypt"] = ciphertext
        return query, xmltodict.unparse({"xml": fields}, full_document=False).encode()
    to_user = _xml_dict(xml).get("ToUserName", "")
    return query, xmltodict.unparse({"xml": {"ToUserName": to_user, "Encrypt": ciphertext}},
                                    full_document=False).encode()


def read_reply(body: bytes, crypto: WeChatCrypto | None, token: str) -> dict | None:
    """What WeChat does with our answer: "success"/empty means nothing to show; else a (decrypted) reply."""
    text = body.decode("utf-8", "replace").strip()
    if not text or text == "success":
        return None
    outer = _xml_dict(text)
    if "Encrypt" in outer:
        if crypto is None:
            raise BadMessage("收到加密回复，但未配置 EncodingAESKey")
        expected = sign(token, outer["TimeStamp"], outer["Nonce"], outer["Encrypt"])
        if not _same(expected, outer.get("MsgSignature", "")):
            raise BadMessage("回复签名错误")
        outer = _xml_dict(crypto.decrypt_message({"Encrypt": outer["Encrypt"]}, outer["MsgSignature"],
                                                 outer["TimeStamp"], outer["Nonce"]))
    return outer
