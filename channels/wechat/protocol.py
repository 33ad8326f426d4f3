"""WeChat's server protocol for the official account, both directions: what the endpoint checks before it
believes a request (signature, timestamp, size, harmless XML, then msg_signature and decryption in AES mode)
and what the simulator does to look like WeChat. Replies are built with wechatpy's reply classes.

Order of checks (wechatpy's ``examples/echo-encrypted``): signature → decrypt → parse → reply → encrypt.
"""

from __future__ import annotations

import hmac
import math
import re
import secrets
import time
from dataclasses import dataclass, field

import xmltodict
from wechatpy.crypto import WeChatCrypto
from wechatpy.replies import TextReply
from wechatpy.utils import WeChatSigner

from .errors import BadMessage, Rejected

MAX_BODY = 64 * 1024  # WeChat's messages are a few hundred bytes
TIMESTAMP_RE = re.compile(r"^\d{1,12}$")
NONCE_RE = re.compile(r"^[A-Za-z0-9_\-]{1,64}$")
CDATA_RE = re.compile(rb"<!\[CDATA\[.*?\]\]>", re.S)
# characters XML 1.0 cannot carry at all (a control character in a bot reply would break the reply)
XML_ILLEGAL_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


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
    xml: str  # the message itself, decrypted if it came encrypted
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
        xml = crypto.decrypt_message({"Encrypt": ciphertext}, args["msg_signature"], args["timestamp"], args["nonce"])
    except Exception as exc:  # bad padding, wrong AppID
        raise BadMessage("消息解密失败") from exc
    _xml_dict(xml)
    return Envelope(xml, True)


# --- the message itself: one typed value per field -----------------------------------------------------
OPENID_RE = re.compile(r"[A-Za-z0-9_\-]{1,64}")
ACCOUNT_RE = re.compile(r"[A-Za-z0-9_\-@.]{1,64}")  # ToUserName: gh_… (or an AppID)
WORD_RE = re.compile(r"[A-Za-z0-9_\-]{1,64}")  # MsgType, Event, Format
DIGITS_RE = re.compile(r"[0-9]{1,20}")
MAX_KEY = 1024  # EventKey, MediaId, PicUrl, Label: WeChat's are far shorter
# the fields this service reads, by the type of value; every one must occur at most once, as text
INT_FIELDS = {"CreateTime", "MsgId", "Scale"}
FLOAT_FIELDS = {"Location_X", "Location_Y", "Latitude", "Longitude", "Precision"}
FLOAT_BOUNDS = {"Location_X": 90, "Latitude": 90, "Location_Y": 180, "Longitude": 180, "Precision": 1e7}
WORD_FIELDS = {"MsgType", "Event", "Format"}
TEXT_FIELDS = {"ToUserName", "FromUserName", "Content", "Recognition", "MediaId", "PicUrl", "Label", "EventKey"}
REQUIRED = ("ToUserName", "FromUserName", "CreateTime", "MsgType")
REQUIRED_BY_TYPE = {
    "text": ("MsgId",),
    "image": ("MsgId", "MediaId"),
    "voice": ("MsgId", "MediaId"),
    "location": ("MsgId", "Location_X", "Location_Y"),
    "event": ("Event",),
}


@dataclass(frozen=True)
class Message:
    """One message or event from WeChat, every field a single value of its type (wechatpy's names)."""

    type: str  # text | image | voice | location | event | any other MsgType, lower case
    source: str  # FromUserName: the user's openid
    target: str  # ToUserName: our account
    time: int  # CreateTime
    id: int | None = None  # MsgId (messages; events have none)
    content: str = ""
    recognition: str = ""
    media_id: str = ""
    format: str = ""
    pic_url: str = ""
    label: str = ""
    location_x: float | None = None
    location_y: float | None = None
    scale: int | None = None
    event: str = ""  # lower case
    key: str = ""
    latitude: float | None = None
    longitude: float | None = None
    precision: float | None = None


@dataclass(frozen=True)
class Malformed:
    """A message that parsed as XML but is not a WeChat message in the shape we accept. ``source`` and
    ``target`` are kept when they themselves are well-formed, so the sender can still be answered."""

    reason: str
    source: str = ""
    target: str = ""
    fields: dict = field(default_factory=dict)


NAMES = {
    "MsgId": "id",
    "Content": "content",
    "Recognition": "recognition",
    "MediaId": "media_id",
    "Format": "format",
    "PicUrl": "pic_url",
    "Label": "label",
    "Location_X": "location_x",
    "Location_Y": "location_y",
    "Scale": "scale",
    "Event": "event",
    "EventKey": "key",
    "Latitude": "latitude",
    "Longitude": "longitude",
    "Precision": "precision",
}


def _value(name: str, raw):
    """The typed value of one field, or a reason why it has none. ``raw`` is what xmltodict made of the
    element: a str, None (empty element), a list (repeated) or a dict (nested elements or attributes)."""
    if isinstance(raw, list):
        return None, f"{name} 重复出现"
    if isinstance(raw, dict):
        return None, f"{name} 不是文本"
    text = (raw or "").strip() if name not in ("Content", "Label", "Recognition") else (raw or "")
    if name in INT_FIELDS:
        if not DIGITS_RE.fullmatch(text) or int(text) >= 2**64:
            return None, f"{name} 不是合法的整数"
        return int(text), None
    if name in FLOAT_FIELDS:
        try:
            number = float(text)
        except ValueError:
            return None, f"{name} 不是数字"
        if not math.isfinite(number) or abs(number) > FLOAT_BOUNDS[name]:
            return None, f"{name} 超出范围"
        return number, None
    if name in WORD_FIELDS:
        if not WORD_RE.fullmatch(text):
            return None, f"{name} 格式有误"
        return text.lower(), None
    if name == "FromUserName" and not OPENID_RE.fullmatch(text):
        return None, "FromUserName 无效"
    if name == "ToUserName" and not ACCOUNT_RE.fullmatch(text):
        return None, "ToUserName 无效"
    if name not in ("Content", "Label", "Recognition") and len(text) > MAX_KEY:
        return None, f"{name} 过长"
    return text, None


def parse(xml: str | bytes) -> Message | Malformed:
    """The message in ``xml`` (already checked by :func:`open_envelope`), or why it is not one. Never raises
    for a message body: every shape an outsider can sign is a value here, not an exception."""
    try:
        fields = _xml_dict(xml)
    except BadMessage as exc:
        return Malformed(exc.message)
    values, problems = {}, []
    for name in ("ToUserName", "FromUserName"):  # first, so that a reply stays possible
        if name in fields:
            value, problem = _value(name, fields[name])
            if problem:
                problems.append(problem)
            else:
                values[name] = value
    source, target = values.get("FromUserName", ""), values.get("ToUserName", "")
    for name in REQUIRED:
        if fields.get(name) in (None, ""):
            problems.append(f"缺少 {name}")
    for name, raw in fields.items():
        if name in values:
            continue
        known = name in INT_FIELDS | FLOAT_FIELDS | WORD_FIELDS | TEXT_FIELDS
        if not known:
            if isinstance(raw, list):  # WeChat never repeats a top-level element
                problems.append(f"{name} 重复出现")
            continue  # fields we do not read (and nested ones such as ScanCodeInfo) are left alone
        if raw is None and name not in REQUIRED:
            continue  # an empty optional element: the default
        value, problem = _value(name, raw)
        if problem:
            problems.append(problem)
        else:
            values[name] = value
    msg_type = values.get("MsgType", "")
    for name in REQUIRED_BY_TYPE.get(msg_type, ()):
        if fields.get(name) in (None, ""):
            problems.append(f"缺少 {name}")
    if problems:
        return Malformed(
            "；".join(dict.fromkeys(problems)), source, target, {k: v for k, v in values.items() if k in REQUIRED}
        )
    return Message(
        type=msg_type,
        source=source,
        target=target,
        time=values["CreateTime"],
        **{NAMES[k]: v for k, v in values.items() if k in NAMES},
    )


def echo(args) -> str:
    """URL verification (GET, after :func:`verify_query`): the echostr goes back as it came, in every mode."""
    return args.get("echostr", "")


def cdata_safe(text: str) -> str:
    """wechatpy writes text inside CDATA unescaped: a ``]]>`` in it would end the section and let the rest
    be read as markup. Split it the standard way (]]]]><![CDATA[>), which parsers join back."""
    return XML_ILLEGAL_RE.sub("", text).replace("]]>", "]]]]><![CDATA[>")


def text_reply(
    message: Message | Malformed, content: str, crypto: WeChatCrypto | None, encrypted: bool, nonce: str, timestamp: str
) -> str:
    """A passive text reply to the sender of ``message`` (from the account it was sent to)."""
    reply = TextReply(source=message.target, target=message.source, content=cdata_safe(content)).render()
    return crypto.encrypt_message(reply, nonce, timestamp) if encrypted else reply


# --- the WeChat side, for the simulator and tests --------------------------------------------------------
def signed_query(token: str, timestamp: int | None = None, nonce: str | None = None) -> dict:
    timestamp = str(int(timestamp if timestamp is not None else time.time()))
    nonce = nonce or str(secrets.randbelow(10**10))
    return {"signature": sign(token, timestamp, nonce), "timestamp": timestamp, "nonce": nonce}


def wechat_request(
    xml: str, token: str, crypto: WeChatCrypto | None, mode: str, timestamp: int | None = None, nonce: str | None = None
) -> tuple[dict, bytes]:
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
    return query, xmltodict.unparse(
        {"xml": {"ToUserName": to_user, "Encrypt": ciphertext}}, full_document=False
    ).encode()


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
        outer = _xml_dict(
            crypto.decrypt_message(
                {"Encrypt": outer["Encrypt"]}, outer["MsgSignature"], outer["TimeStamp"], outer["Nonce"]
            )
        )
    return outer
