"""Hot-policy pushes over HTTP: publishers and admins preview, confirm and read delivery reports (editors and
other staff cannot); the mini-program user's region; and the `wechat-menu` command against the fake WeChat API."""

import hashlib
import json
from datetime import timedelta

import pytest
from click.testing import CliRunner

from channels.wechat.menu import MenuInvalid, load_menu, validate
from channels.wechat.models import MiniProgramSession
from hotline.clock import utcnow
from tests.wechat_fake import FakeWeChat
from webapp.cli import cli

APPID, SECRET, MP_APPID, MP_SECRET = "wx12328pushapi001", "oa-secret", "wx12328miniapi001", "mp-secret"
POLICY = {
    "title": "S227省道辉县段夜间禁止货车通行",
    "body": "12月5日起S227省道辉县段夜间22时至次日6时禁止货车通行，请绕行G107。",
    "domain": "公路",
    "region": "河南省新乡市",
    "urgent": True,
    "publish": True,
}
MP_TOKEN = "push-api-mini-program-token"


@pytest.fixture
def wechat():
    server = FakeWeChat({APPID: SECRET, MP_APPID: MP_SECRET})
    server.known_templates.update({"TPL-POLICY", "SUB-POLICY"})
    yield server
    server.close()


@pytest.fixture
def app(make_app, wechat):
    app = make_app(
        HOTLINE_SWEEP_INTERVAL="0",
        HOTLINE_WECHAT_API_BASE=wechat.url,
        HOTLINE_WECHAT_APPID=APPID,
        HOTLINE_WECHAT_SECRET=SECRET,
        HOTLINE_WECHAT_POLICY_TEMPLATE_ID="TPL-POLICY",
        HOTLINE_MINIPROGRAM_APPID=MP_APPID,
        HOTLINE_MINIPROGRAM_SECRET=MP_SECRET,
        HOTLINE_MINIPROGRAM_POLICY_TEMPLATE_ID="SUB-POLICY",
    )
    svc = app.extensions["hotline"]
    for name, roles in (("editor1", ["editor"]), ("pub1", ["publisher"]), ("root", ["admin"]), ("op", ["operator"])):
        svc.accounts.create_user(name, f"{name}-pass-12345", roles)
    svc.wechat.pushes.sleep = lambda _s: None
    svc.wechat.api.backoff = svc.wechat.mp_api.backoff = (0.01,)
    with svc.db.session() as s:
        s.add(
            MiniProgramSession(
                token_hash=hashlib.sha256(MP_TOKEN.encode()).hexdigest(),
                openid="oMiniDriver0001",
                created_at=utcnow(),
                expires_at=utcnow() + timedelta(days=1),
            )
        )
    return app


def staff(client, login, name):
    return login(client, name, f"{name}-pass-12345")


MP = {"Authorization": f"Bearer {MP_TOKEN}"}


def test_publishers_preview_confirm_and_read_the_delivery_report(app, login, wechat):
    client = app.test_client()
    svc = app.extensions["hotline"]
    pub, editor, admin, op = (staff(client, login, n) for n in ("pub1", "editor1", "root", "op"))
    article = client.post("/api/kb/articles", json=POLICY, headers=pub).get_json()

    # the driver in the mini-program: chooses Xinxiang, then accepts the hot-policy subscribe message
    assert client.get("/api/mp/region", headers=MP).get_json()["region"] == ""
    assert client.put("/api/mp/region", json={"region": "火星省"}, headers=MP).status_code == 422
    resp = client.put("/api/mp/region", json={"region": "河南省新乡市"}, headers=MP)
    assert resp.status_code == 200 and resp.get_json()["source"] == "chosen"
    subs = client.post("/api/mp/subscriptions", json={"results": {"SUB-POLICY": "accept"}}, headers=MP).get_json()
    assert subs["policy_template_id"] == "SUB-POLICY"
    svc.wechat.official.users.update("wechat:oFollower0001", region="河南省新乡市", last_message_at=utcnow())
    svc.wechat.official.users.update("wechat:oFollower0002", region="河南省郑州市", last_message_at=utcnow())

    url = f"/api/kb/articles/{article['id']}/push"
    for headers in (editor, op):
        assert client.get(url, headers=headers).status_code == 403
        assert client.post(url, json={"version": article["version"]}, headers=headers).status_code == 403
        assert client.get("/api/push/campaigns", headers=headers).status_code == 403
    assert client.get(url).status_code == 401
    preview = client.get(url, headers=pub).get_json()
    assert (preview["total"], preview["miniprogram"], preview["custom"], preview["template"]) == (2, 1, 1, 0)
    assert client.get(url, headers=admin).status_code == 200

    stale = client.post(url, json={"version": article["version"] - 1 or 99}, headers=pub)
    assert stale.status_code == 409 and stale.get_json()["error"]["code"] == "version_conflict"
    resp = client.post(url, json={"version": article["version"]}, headers=pub)
    assert resp.status_code == 201, resp.get_json()
    campaign = resp.get_json()
    assert campaign["created_by"] == "pub1" and campaign["counts"]["pending"] == 2
    again = client.post(url, json={"version": article["version"]}, headers=admin)
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "push_refused"

    assert svc.wechat.pushes.run() == {"sent": 2}
    assert [m["touser"] for m in wechat.subscribe] == ["oMiniDriver0001"]
    assert [m["touser"] for m in wechat.custom] == ["oFollower0001"]
    report = client.get(f"/api/push/campaigns/{campaign['id']}", headers=pub).get_json()
    assert report["counts"]["sent"] == 2 == preview["total"]
    listed = client.get("/api/push/campaigns", headers=admin).get_json()["items"]
    assert [c["id"] for c in listed] == [campaign["id"]] and listed[0]["counts"]["via_custom"] == 1
    assert client.get("/api/push/campaigns/999", headers=pub).status_code == 404


def test_a_non_urgent_article_cannot_be_pushed(app, login):
    client = app.test_client()
    pub = staff(client, login, "pub1")
    article = client.post("/api/kb/articles", json={**POLICY, "urgent": False}, headers=pub).get_json()
    resp = client.get(f"/api/kb/articles/{article['id']}/push", headers=pub)
    assert resp.status_code == 409 and "热点政策" in resp.get_json()["error"]["message"]
    assert client.get("/api/kb/articles/999999/push", headers=pub).status_code == 404


def test_a_shared_location_in_the_chat_sets_the_drivers_region(app, monkeypatch):
    svc = app.extensions["hotline"]
    seen = []
    monkeypatch.setattr(svc.conversation, "handle", lambda sender, text, meta: seen.append(meta) or _Reply())
    client = app.test_client()
    body = {
        "text": "这里有什么管制",
        "location": {"label": "河南省新乡市卫辉市唐庄镇", "latitude": 35.4, "longitude": 114.1},
    }
    assert client.post("/api/mp/chat", json=body, headers=MP).status_code == 200
    region = client.get("/api/mp/region", headers=MP).get_json()
    assert (region["region"], region["source"]) == ("河南省新乡市", "location")


class _Reply:
    def as_dict(self):
        return {"replies": [{"text": "好的"}]}


def test_the_menu_file_is_valid_and_has_a_hot_policy_entry():
    menu = load_menu(mp_appid="wxMini")
    assert len(menu["button"]) <= 3
    entries = [b for top in menu["button"] for b in top.get("sub_button", [top])]
    assert {"type": "click", "name": "本地热点政策", "key": "HOT_POLICIES"} in entries
    assert any(b["type"] == "miniprogram" and b["appid"] == "wxMini" for b in entries)
    no_mp = load_menu(mp_appid="")  # no mini-program configured: its button is left out
    assert all(b["type"] != "miniprogram" for top in no_mp["button"] for b in top.get("sub_button", [top]))
    with pytest.raises(MenuInvalid, match="无法响应"):
        validate({"button": [{"type": "click", "name": "乱按", "key": "NOTHING"}]})
    with pytest.raises(MenuInvalid, match="一级菜单"):
        validate({"button": [{"type": "click", "name": "投诉", "key": "COMPLAIN"}] * 4})


def test_the_menu_command_pushes_the_menu_through_wechats_api(wechat, tmp_path, monkeypatch):
    monkeypatch.setenv("HOTLINE_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("HOTLINE_DATABASE_URL", f"sqlite:///{tmp_path / 'menu.db'}")
    monkeypatch.setenv("HOTLINE_REDIS_URL", "")
    monkeypatch.setenv("HOTLINE_WECHAT_API_BASE", wechat.url)
    monkeypatch.setenv("HOTLINE_WECHAT_APPID", APPID)
    monkeypatch.setenv("HOTLINE_MINIPROGRAM_APPID", MP_APPID)
    runner = CliRunner()
    dry = runner.invoke(cli, ["wechat-menu", "--dry-run"])
    assert dry.exit_code == 0 and json.loads(dry.output)["button"][1]["name"] == "热点政策"
    assert wechat.menu is None
    monkeypatch.setenv("HOTLINE_WECHAT_SECRET", "wrong")
    failed = runner.invoke(cli, ["wechat-menu"])
    assert failed.exit_code != 0 and wechat.menu is None
    monkeypatch.setenv("HOTLINE_WECHAT_SECRET", SECRET)
    done = runner.invoke(cli, ["wechat-menu"])
    assert done.exit_code == 0, done.output
    assert "已提交公众号菜单" in done.output
    assert wechat.menu == load_menu(mp_appid=MP_APPID)
