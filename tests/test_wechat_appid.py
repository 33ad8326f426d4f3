"""No made-up AppID in production: without HOTLINE_WECHAT_APPID the official account is "not configured" and
its endpoint says so; only the local simulator (HOTLINE_WECHAT_SIMULATOR=1, set by `make run`) gets a local,
clearly fake AppID kept under var/."""

from __future__ import annotations

import time

import pytest

from channels.wechat import protocol
from hotline.settings import LOCAL_APPID_PREFIX
from tests.conftest import make_settings
from webapp import create_app


def test_no_appid_means_not_configured(tmp_path):
    wx = make_settings(tmp_path).wechat
    assert wx.appid == "" and wx.status == "not_configured"
    assert make_settings(tmp_path, HOTLINE_WECHAT_APPID="wx0123456789abcdef").wechat.status == "configured"


def test_the_simulator_gets_a_local_appid_kept_under_var(tmp_path):
    first = make_settings(tmp_path, HOTLINE_WECHAT_SIMULATOR="1").wechat
    assert first.appid.startswith(LOCAL_APPID_PREFIX) and len(first.appid) == 18 and first.status == "simulator"
    assert (tmp_path / "wechat_local_appid.secret").read_text() == first.appid
    # the app and the simulator (two processes) read the same one; a configured AppID always wins
    assert make_settings(tmp_path, HOTLINE_WECHAT_SIMULATOR="1").wechat.appid == first.appid
    assert (
        make_settings(tmp_path, HOTLINE_WECHAT_SIMULATOR="1", HOTLINE_WECHAT_APPID="wx0123456789abcdef").wechat.appid
        == "wx0123456789abcdef"
    )


def test_a_secret_for_wechats_real_api_with_the_simulator_appid_is_refused(tmp_path):
    with pytest.raises(ValueError, match="HOTLINE_WECHAT_APPID"):
        make_settings(tmp_path, HOTLINE_WECHAT_SIMULATOR="1", HOTLINE_WECHAT_SECRET="real-secret")
    # the simulator may play WeChat's API too (--api-port): then a secret for it is fine
    assert (
        make_settings(
            tmp_path,
            HOTLINE_WECHAT_SIMULATOR="1",
            HOTLINE_WECHAT_SECRET="sim",
            HOTLINE_WECHAT_API_BASE="http://127.0.0.1:8001",
        ).wechat.status
        == "simulator"
    )


def test_the_endpoint_of_an_unconfigured_account_answers_503_and_health_says_why(tmp_path, caplog):
    with caplog.at_level("WARNING", logger="channels.wechat"):
        app = create_app(make_settings(tmp_path))
    assert "HOTLINE_WECHAT_APPID" in caplog.text
    token = app.extensions["hotline"].settings.wechat.token
    timestamp, nonce = str(int(time.time())), "n1"
    query = {"signature": protocol.sign(token, timestamp, nonce), "timestamp": timestamp, "nonce": nonce}
    client = app.test_client()
    for resp in (
        client.get("/wechat/mp", query_string={**query, "echostr": "hello"}),
        client.post("/wechat/mp", query_string=query, data=b"<xml></xml>"),
    ):
        assert resp.status_code == 503 and resp.mimetype == "text/plain"
        assert resp.get_data(as_text=True) == "公众号未配置（HOTLINE_WECHAT_APPID）"
    assert client.get("/api/health").get_json()["wechat"] == "not_configured"


def test_with_an_appid_the_endpoint_answers_and_health_says_configured(tmp_path):
    app = create_app(make_settings(tmp_path, HOTLINE_WECHAT_APPID="wx0123456789abcdef"))
    token = app.extensions["hotline"].settings.wechat.token
    timestamp, nonce = str(int(time.time())), "n1"
    query = {
        "signature": protocol.sign(token, timestamp, nonce),
        "timestamp": timestamp,
        "nonce": nonce,
        "echostr": "hello",
    }
    client = app.test_client()
    assert client.get("/wechat/mp", query_string=query).get_data(as_text=True) == "hello"
    assert client.get("/api/health").get_json()["wechat"] == "configured"
