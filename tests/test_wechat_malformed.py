"""Signed WeChat messages in shapes WeChat never sends: repeated, nested, missing, empty, huge or mistyped
fields. Each is parsed into one typed value per field or recognised as malformed, logged, and answered politely
(a Chinese text, or "success" when there is nobody to answer) — never a 500, never an exception in the log."""

import itertools
import logging
import time

import pytest
import xmltodict

from channels.wechat import protocol, text
from channels.wechat.official import MALFORMED
from channels.wechat.protocol import Malformed, Message
from tests.fakes import FakeRasa
from tests.test_wechat_mp import OPENID, Bot, build

_ids = itertools.count(7_000_000_000_000_000_000)


def fields(msg_type: str, **extra) -> dict:
    body = {"ToUserName": "gh_12328", "FromUserName": OPENID, "CreateTime": str(int(time.time())), "MsgType": msg_type}
    if msg_type != "event":
        body["MsgId"] = str(next(_ids))
    body.update(extra)
    return body


def xml(body: dict) -> str:
    return xmltodict.unparse({"xml": body}, full_document=False)


# every MsgType WeChat documents for the official account, and events, with their fields
MESSAGES = [
    fields("text", Content="投诉以后多久能有结果？"),
    fields("image", PicUrl="http://mmbiz.qpic.cn/1", MediaId="media-1"),
    fields("voice", MediaId="voice-1", Format="amr", Recognition="投诉以后多久能有结果"),
    fields("video", MediaId="video-1", ThumbMediaId="thumb-1"),
    fields("shortvideo", MediaId="video-2", ThumbMediaId="thumb-2"),
    fields("location", Location_X="34.75", Location_Y="113.62", Scale="15", Label="河南省郑州市二七区郑州站"),
    fields("link", Title="标题", Description="描述", Url="https://example.gov.cn"),
    fields("file", Title="a.pdf", FileKey="k", FileMd5="m", FileTotalLen="10"),
    fields("event", Event="subscribe", EventKey="qrscene_1"),
    fields("event", Event="unsubscribe"),
    fields("event", Event="SCAN", EventKey="123", Ticket="t"),
    fields("event", Event="LOCATION", Latitude="23.13", Longitude="113.26", Precision="30"),
    fields("event", Event="CLICK", EventKey="COMPLAIN"),
    fields("event", Event="VIEW", EventKey="https://example.gov.cn"),
    fields("event", Event="scancode_push", EventKey="k", ScanCodeInfo={"ScanType": "qrcode", "ScanResult": "1"}),
    fields("event", Event="TEMPLATESENDJOBFINISH", MsgID="1", Status="success"),
]
WRONG = [
    "abc",
    "-1",
    "1.5",
    "1e999",
    "nan",
    "١٢٣",
    "18446744073709551616",
    " ",
    "<>&'\"",
    "\u202e",
    "😀" * 10,
    "9" * 5000,
]


def mutations(body: dict):
    """Each field duplicated, nested, given an attribute, emptied, dropped, made huge or of the wrong type."""
    for name, value in body.items():
        if not isinstance(value, str):
            continue
        yield {**body, name: [value, value]}
        yield {**body, name: [value, "另一个值"]}
        yield {**body, name: {"inner": value}}
        yield {**body, name: {"@type": "x", "#text": value}}
        yield {**body, name: None}
        yield {**body, name: ""}
        yield {k: v for k, v in body.items() if k != name}
        yield {**body, name: (value * 20000)[:15000]}  # huge, within the 64 KB a body may have
        for wrong in WRONG:
            yield {**body, name: wrong}
    yield {**body, "Extra": ["1", "2"]}  # an unknown element, repeated
    yield {**body, "Extra": {"Nested": {"Deeper": "x"}}}  # unknown and nested: not ours to judge
    for msg_type in ("text", "image", "voice", "location", "event", "video", "link", "unknown", "TEXT", "文本"):
        yield {**body, "MsgType": msg_type}  # the fields of one type under another type's name


def test_two_content_elements_are_malformed_but_the_sender_is_kept():
    msg = protocol.parse(xml(fields("text", Content=["你好", "再见"])))
    assert isinstance(msg, Malformed) and "Content 重复出现" in msg.reason
    assert (msg.source, msg.target) == (OPENID, "gh_12328")


@pytest.mark.parametrize(
    "change, reason",
    [
        ({"Content": {"b": "x"}}, "Content 不是文本"),
        ({"MsgType": None}, "缺少 MsgType"),
        ({"CreateTime": "yesterday"}, "CreateTime 不是合法的整数"),
        ({"MsgId": "12ab"}, "MsgId 不是合法的整数"),
        ({"MsgId": "1" * 21}, "MsgId 不是合法的整数"),
        ({"MsgId": None}, "缺少 MsgId"),
        ({"Location_X": "north"}, "Location_X 不是数字"),
        ({"FromUserName": "o/../x"}, "FromUserName 无效"),
        ({"ToUserName": ["gh_1", "gh_2"]}, "ToUserName 重复出现"),
    ],
)
def test_each_kind_of_malformed_field_is_named(change, reason):
    body = {**fields("location", Location_X="1", Location_Y="2", Label="x"), **change}
    msg = protocol.parse(xml({k: v for k, v in body.items() if v is not None}))
    assert isinstance(msg, Malformed) and reason in msg.reason


def test_a_well_formed_message_has_one_typed_value_per_field():
    msg = protocol.parse(xml(fields("location", Location_X="34.75", Location_Y="113.62", Scale="15", Label="郑州站")))
    assert isinstance(msg, Message)
    assert (msg.type, msg.location_x, msg.location_y, msg.scale, msg.label) == ("location", 34.75, 113.62, 15, "郑州站")
    assert isinstance(msg.id, int) and isinstance(msg.time, int)
    event = protocol.parse(xml(fields("event", Event="CLICK", EventKey="COMPLAIN")))
    assert (event.type, event.event, event.key, event.id) == ("event", "click", "COMPLAIN", None)
    # nested elements WeChat does send (menu scan events) are left alone, not mistaken for text
    scan = protocol.parse(xml(MESSAGES[14]))
    assert isinstance(scan, Message) and scan.event == "scancode_push"


@pytest.fixture
def rasa():
    server = FakeRasa(Bot())
    yield server
    server.close()


def _no_exception_logged(caplog):
    bad = [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert not bad, [r.getMessage() for r in bad]


@pytest.mark.parametrize("mode", ["plain", "safe"])
def test_a_signed_message_with_two_contents_gets_a_polite_reply(tmp_path, rasa, mode, caplog):
    harness = build(tmp_path, rasa, mode=mode)
    with caplog.at_level(logging.INFO):
        resp = harness.post(xml(fields("text", Content=["你好", "再见"])))
        assert resp.status_code == 200
        assert harness.reply(resp) == MALFORMED
    assert "malformed WeChat message" in caplog.text and "Content 重复出现" in caplog.text
    _no_exception_logged(caplog)
    assert rasa.received == []
    harness.official.drain()


def test_without_a_valid_sender_the_answer_is_success(tmp_path, rasa, caplog):
    harness = build(tmp_path, rasa, mode="safe")
    with caplog.at_level(logging.INFO):
        for body in (
            {**fields("text", Content="hi"), "FromUserName": ["o1", "o2"]},
            {k: v for k, v in fields("text", Content="hi").items() if k != "ToUserName"},
        ):
            resp = harness.post(xml(body))
            assert (resp.status_code, resp.data) == (200, b"success")
    _no_exception_logged(caplog)


def test_fuzzed_messages_never_fail(tmp_path, rasa, caplog):
    """~1,900 signed mutations of every message type: 200 with "success" or Chinese text, no exception."""
    harness = build(tmp_path, rasa, mode="plain")
    count = malformed = 0
    with caplog.at_level(logging.WARNING):
        for base in MESSAGES:
            for body in mutations(base):
                if "MsgId" in body and isinstance(body["MsgId"], str) and body["MsgId"].isdigit():
                    body["MsgId"] = str(next(_ids))  # a fresh id, so the de-duplication does not hide the turn
                count += 1
                resp = harness.post(xml(body))
                assert resp.status_code == 200, (body, resp.data)
                answer = harness.reply(resp)
                assert answer is None or any("\u4e00" <= ch <= "\u9fff" for ch in answer), (body, answer)
                malformed += answer == MALFORMED
    harness.official.drain()
    _no_exception_logged(caplog)
    assert count > 1500 and malformed > 500
    # the encrypted path sees the same parser: a sample of the mutations in safe mode
    safe = build(tmp_path / "safe", rasa, mode="safe")
    for body in itertools.islice(mutations(MESSAGES[0]), 0, None, 7):
        assert safe.post(xml(body)).status_code == 200
    safe.official.drain()
    _no_exception_logged(caplog)


def test_a_choice_is_never_a_huge_or_odd_number():
    assert text.choice("9" * 5000, ["a"]) is None  # int() of 5,000 digits raises ValueError
    assert text.choice("²", ["a", "b"]) is None  # a digit to isdigit(), not to int()
    assert text.choice("２", ["a", "b"]) == "b"
