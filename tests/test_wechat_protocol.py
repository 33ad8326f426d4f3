"""WeChat's server protocol: the official crypto sample vectors, signatures, replay window, hostile XML,
the three modes as the simulator produces them, and replies as WeChat text."""

import base64
import time

import pytest
import xmltodict
from wechatpy.crypto import PrpCrypto, WeChatCrypto

from channels.wechat import protocol, text
from channels.wechat.protocol import BadMessage, Rejected
from channels.wechat.users import region_of
from devtools.wechat_sim import _message

# WeChat's published sample (消息加解密 sample code: token spamtest, AppID wx2c2769f8efd9abc2)
TOKEN, AES_KEY, APPID = "spamtest", "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG", "wx2c2769f8efd9abc2"
SAMPLE_TIMESTAMP, SAMPLE_NONCE = "1409735669", "1320562132"
SAMPLE_MSG_SIGNATURE = "5d197aaffba7e9b25a30732f161a50dee96bd5fa"
SAMPLE_ENCRYPT = (
    "hyzAe4OzmOMbd6TvGdIOO6uBmdJoD0Fk53REIHvxYtJlE2B655HuD0m8KUePWB3+LrPXo87wzQ1QLvbeUgmBM4x6F8PGHQHFVAFmOD2LdJF9"
    "FrXpbUAh0B5GIItb52sn896wVsMSHGuPE328HnRGBcrS7C41IzDWyWNlZkyyXwon8T332jisa+h6tEDYsVticbSnyU8dKOIbgU6ux5VTjg3y"
    "t+WGzjlpKn6NPhRjpA912xMezR4kw6KWwMrCVKSVCZciVGCgavjIQ6X8tCOp3yZbGpy0VxpAe+77TszTfRd5RJSVO/HTnifJpXgCSUdUue1v"
    "6h0EIBYYI1BD1DlD+C0CR8e6OewpusjZ4uBl9FyJvnhvQl+q5rv1ixrcpCumEPo5MJSgM9ehVsNPfUM669WuMyVWQLCzpu9GhglF2PE="
)
SAMPLE_BODY = (
    f"<xml><ToUserName><![CDATA[gh_10f6c3c3ac5a]]></ToUserName><Encrypt><![CDATA[{SAMPLE_ENCRYPT}]]></Encrypt></xml>"
).encode()
SAMPLE_QUERY = {
    "signature": protocol.sign(TOKEN, SAMPLE_TIMESTAMP, SAMPLE_NONCE),
    "timestamp": SAMPLE_TIMESTAMP,
    "nonce": SAMPLE_NONCE,
    "encrypt_type": "aes",
    "msg_signature": SAMPLE_MSG_SIGNATURE,
}


@pytest.fixture
def crypto():
    return WeChatCrypto(TOKEN, AES_KEY, APPID)


def test_official_sample_msg_signature_and_decryption(crypto):
    assert protocol.sign(TOKEN, SAMPLE_TIMESTAMP, SAMPLE_NONCE, SAMPLE_ENCRYPT) == SAMPLE_MSG_SIGNATURE
    envelope = protocol.open_envelope(SAMPLE_BODY, SAMPLE_QUERY, crypto, "safe")
    assert envelope.encrypted
    msg = protocol.parse(envelope.xml)
    assert (msg.type, msg.content, msg.source, msg.id) == (
        "text",
        "abcdteT",
        "oyORnuP8q7ou2gfYjqLzSIWZf0rs",
        6054768590064713728,
    )


def test_official_sample_query_signature_and_replay_window():
    protocol.verify_query(TOKEN, SAMPLE_QUERY, window=300, now=int(SAMPLE_TIMESTAMP) + 299)
    with pytest.raises(Rejected, match="时间戳"):
        protocol.verify_query(TOKEN, SAMPLE_QUERY, window=300, now=int(SAMPLE_TIMESTAMP) + 301)
    with pytest.raises(Rejected, match="签名"):
        protocol.verify_query(TOKEN, {**SAMPLE_QUERY, "nonce": "1320562133"}, window=10**10)
    with pytest.raises(Rejected):
        protocol.verify_query("other-token", SAMPLE_QUERY, window=10**10)
    with pytest.raises(Rejected):  # nonce must look like WeChat's before anything is compared
        protocol.verify_query(TOKEN, {**SAMPLE_QUERY, "nonce": "<x>"}, window=10**10)


def test_official_sample_tampered_ciphertext_or_wrong_appid_is_refused(crypto):
    tampered = SAMPLE_BODY.replace(b"hyzAe4", b"hyzAe5")
    with pytest.raises(Rejected, match="消息签名"):
        protocol.open_envelope(tampered, SAMPLE_QUERY, crypto, "safe")
    with pytest.raises(BadMessage, match="解密"):
        protocol.open_envelope(SAMPLE_BODY, SAMPLE_QUERY, WeChatCrypto(TOKEN, AES_KEY, "wx0000000000000000"), "safe")


def test_official_sample_encryption_vector():
    """WeChat's Java sample: random "aaaabbbbccccdddd", AppID wxb11529c136998cb6, same EncodingAESKey."""

    class FixedRandom(PrpCrypto):
        def get_random_string(self):
            return "aaaabbbbccccdddd"

    key = base64.b64decode(AES_KEY + "=")
    expected = b"jn1L23DB+6ELqJ+6bruv21Y6MD7KeIfP82D6gU39rmkgczbWwt5+3bnyg5K55bgVtVzd832WzZGMhkP72vVOfg=="
    assert FixedRandom(key).encrypt("我是中文abcd123", "wxb11529c136998cb6") == expected
    assert FixedRandom(key).decrypt(expected, "wxb11529c136998cb6") == "我是中文abcd123"


@pytest.mark.parametrize("mode", ["plain", "compatible", "safe"])
def test_simulator_messages_open_in_every_mode(crypto, mode):
    xml = _message("oSim-1", "gh_x", "text", Content="投诉以后多久能有结果？")
    query, body = protocol.wechat_request(xml, TOKEN, crypto, mode)
    protocol.verify_query(TOKEN, query, window=60)
    envelope = protocol.open_envelope(body, query, crypto, mode)
    assert envelope.encrypted == (mode != "plain")
    assert protocol.parse(envelope.xml).content == "投诉以后多久能有结果？"
    if mode == "compatible":  # plaintext fields next to Encrypt, as WeChat's 兼容模式 sends them
        assert b"Content" in body and b"Encrypt" in body
    if mode == "safe":
        assert b"Content" not in body


def test_mode_downgrades_are_refused(crypto):
    xml = _message("oSim-1", "gh_x", "text", Content="hi")
    query, body = protocol.wechat_request(xml, TOKEN, None, "plain")
    with pytest.raises(Rejected, match="安全模式"):
        protocol.open_envelope(body, query, crypto, "safe")
    query, body = protocol.wechat_request(xml, TOKEN, crypto, "safe")
    with pytest.raises(Rejected):
        protocol.open_envelope(body, query, crypto, "plain")


BILLION_LAUGHS = b"""<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">
<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;"><!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<xml><ToUserName>gh</ToUserName><FromUserName>o</FromUserName><CreateTime>1</CreateTime><MsgType>text</MsgType>
<Content>&lol3;</Content></xml>"""
XXE = b"""<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<xml><ToUserName>gh</ToUserName><FromUserName>o</FromUserName><CreateTime>1</CreateTime><MsgType>text</MsgType>
<Content>&xxe;</Content></xml>"""


@pytest.mark.parametrize(
    "body",
    [
        BILLION_LAUGHS,
        XXE,
        b"<xml><Content>unclosed</xml>",
        b"<nothing/>",
        b"not xml at all",
        b"<xml>" + b"a" * (protocol.MAX_BODY + 1) + b"</xml>",
    ],
)
def test_hostile_or_malformed_xml_is_refused_before_use(body):
    with pytest.raises(BadMessage):
        protocol.open_envelope(body, {}, None, "plain")


def test_cdata_lookalikes_inside_content_are_fine():
    xml = _message("o1", "gh", "text", Content="<!-- 不是注释 --> <![CDATA[x]]>")
    protocol.check_xml(xml.encode())  # escaped by the XML writer: no markup
    msg = protocol.parse(protocol.open_envelope(xml.encode(), {}, None, "plain").xml)
    assert msg.content == "<!-- 不是注释 --> <![CDATA[x]]>"


def test_reply_cannot_break_out_of_cdata(crypto):
    msg = protocol.parse(_message("o1", "gh", "text", Content="hi"))
    hostile = "好的]]></Content><MsgType><![CDATA[news]]></MsgType><Content><![CDATA[\x01"
    for encrypted in (False, True):
        out = protocol.text_reply(msg, hostile, crypto, encrypted, "123", str(int(time.time())))
        reply = protocol.read_reply(out.encode(), crypto, TOKEN)
        assert reply["MsgType"] == "text"
        assert reply["Content"] == hostile.replace("\x01", "")
        assert (reply["ToUserName"], reply["FromUserName"]) == ("o1", "gh")


def test_buttons_become_numbered_choices_and_links():
    body, choices = text.render(
        [
            {
                "text": "请评价：",
                "buttons": [
                    {"title": "满意", "payload": '/rate{"rating":"satisfied"}'},
                    {"title": "不满意", "payload": '/rate{"rating":"dissatisfied"}'},
                ],
            },
            {
                "text": "详情",
                "buttons": [
                    {"title": "办事指南", "payload": "https://example.gov.cn/guide"},
                    {"title": "继续", "payload": "继续"},
                ],
            },
        ]
    )
    assert body == (
        '请评价：\n回复1：满意\n回复2：不满意\n\n详情\n<a href="https://example.gov.cn/guide">办事指南</a>\n回复3：继续'
    )
    assert choices == ['/rate{"rating":"satisfied"}', '/rate{"rating":"dissatisfied"}', "继续"]
    assert text.choice("2", choices) == '/rate{"rating":"dissatisfied"}'
    assert text.choice("３", choices) == "继续"
    assert text.choice("4", choices) is None and text.choice("12328", choices) is None
    assert text.choice("1", []) is None


def test_long_text_is_split_at_paragraphs_then_sentences_within_2048_bytes():
    paragraph = "根据《12328交通运输服务监督热线管理办法》第二十三条，承办单位应当在规定期限内办结。" * 8
    long_text = "\n".join([paragraph] * 6)
    pieces = text.split(long_text)
    assert len(pieces) > 1
    assert all(len(p.encode()) <= 2048 for p in pieces)
    assert "".join(pieces).replace("\n", "") == long_text.replace("\n", "")
    assert all(p.endswith("。") for p in pieces)  # never cut inside a sentence when one fits
    one_sentence = "长" * 3000  # no boundary at all: cut by characters, never inside a UTF-8 sequence
    assert "".join(text.split(one_sentence)) == one_sentence
    assert text.split("短") == ["短"] and text.split("") == []


@pytest.mark.parametrize(
    "label, region",
    [
        ("河南省新乡市红旗区新乡东站", "河南省新乡市"),
        ("北京市朝阳区建国路", "北京市"),
        ("广西壮族自治区南宁市青秀区", "广西壮族自治区南宁市"),
        # labels without their province (a station, a checkpoint, a service area) by the gazetteer
        ("郑州东站", "河南省郑州市"),
        ("卫辉检查站", "河南省新乡市卫辉市"),
        ("G4京港澳高速新乡服务区", "河南省新乡市"),
        ("腾讯大厦", ""),
        ("", ""),
    ],
)
def test_region_of_a_wechat_location_label(label, region):
    assert region_of(label) == region


def test_xml_writer_of_the_simulator_escapes_markup():
    xml = _message("o1", "gh", "text", Content="</Content><MsgType>event</MsgType>")
    assert xmltodict.parse(xml)["xml"]["MsgType"] == "text"
