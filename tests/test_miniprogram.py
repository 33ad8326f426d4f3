"""The mini-program's own API client (miniprogram/utils/api.js) in Node against a real `app` process: WeChat's
code2session answered by the fake WeChat API, the bot by the fake Rasa. A driver logs in, asks with a location,
reads the hot policies of the region, files a complaint with two photos (a retry files nothing new), reads it
back, consents to notices; after staff reply, an expired token logs in again once and the driver rates it.
The jest unit tests of the pages run in `make test` before pytest (Makefile: miniprogram-test)."""

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import select

from devtools.stack import free_ports
from hotline import procs
from hotline.db import Database
from hotline.settings import load_settings
from knowledge_base.editing import Editor
from knowledge_base.service import KnowledgeBase
from tests.fakes import FakeRasa
from tests.wechat_fake import FakeWeChat
from work_orders.models import Attachment, WorkOrder
from work_orders.service import System, WorkOrders

ROOT = Path(__file__).resolve().parent.parent
MP_APPID, MP_SECRET = "wx12328contract01", "contract-secret"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 300
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 300


@pytest.fixture
def fakes():
    wechat = FakeWeChat({MP_APPID: MP_SECRET})
    wechat.codes.update({"code-wang-1": "oWang", "code-wang-2": "oWang"})
    rasa = FakeRasa()
    yield wechat, rasa
    wechat.close()
    rasa.close()


@pytest.fixture
def app_process(seeded_dir, tmp_path, embedder, fakes):
    """A real app (webapp.cli serve) over a copy of the seeded var dir, with two urgent policies in the KB."""
    wechat, rasa = fakes
    var = tmp_path / "var"
    shutil.copytree(seeded_dir, var)
    app_port, action_port = free_ports(2)
    env = {
        "HOTLINE_WECHAT_API_BASE": wechat.url,
        "HOTLINE_MINIPROGRAM_APPID": MP_APPID,
        "HOTLINE_MINIPROGRAM_SECRET": MP_SECRET,
        "HOTLINE_MINIPROGRAM_TEMPLATE_ID": "SUB-ORDER",
        "HOTLINE_SWEEP_INTERVAL": "0",
    }
    settings = load_settings(
        {
            "HOTLINE_VAR_DIR": str(var),
            "HOTLINE_PORT": str(app_port),
            "HOTLINE_ACTION_PORT": str(action_port),
            "HOTLINE_RASA_URL": rasa.url,
            **env,
        }
    )
    db = Database(settings.database_url)
    editor = Editor(KnowledgeBase(db, embedder, settings.index_path))
    for title, region in (("新乡市区货车限行调整", "河南省新乡市"), ("郑州市区货车通行证办理", "河南省郑州市")):
        editor.create({"title": title, "body": f"{title}：详见正文。", "region": region, "urgent": True}, "li", True)
    proc = procs.start(procs.app_command(), {**procs.app_env(settings), **env}, var / "app.log")
    base = f"http://{settings.app_host}:{settings.app_port}"
    try:
        if not procs.wait_http(base + "/api/health", 120, proc):
            raise RuntimeError("app did not start:\n" + (var / "app.log").read_text()[-3000:])
        yield base, db
    finally:
        procs.stop(proc)
        db.engine.dispose()


def node(step: list[str], env: dict) -> dict:
    result = subprocess.run(
        ["node", "contract/contract.js", *step],
        cwd=ROOT / "miniprogram",
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr + result.stdout
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_the_miniprogram_client_against_a_real_app(app_process, fakes, tmp_path):
    base, db = app_process
    wechat, rasa = fakes
    photos = [tmp_path / "a.jpg", tmp_path / "b.png"]
    photos[0].write_bytes(JPEG)
    photos[1].write_bytes(PNG)
    env = {
        "PATH": os.environ["PATH"],
        "MP_BASE_URL": base,
        "MP_CODES": "code-wang-1",
        "MP_STORAGE": str(tmp_path / "storage.json"),
        "MP_PHOTOS": ",".join(map(str, photos)),
    }
    number = node(["file"], env)["number"]

    assert rasa.received[0]["sender"] == "miniprogram:oWang"
    assert rasa.received[0]["message"] == "投诉以后多久能有结果"
    assert rasa.received[0]["metadata"]["region"] == "河南省新乡市"
    assert wechat.used_codes == {"code-wang-1"}
    with db.session() as s:
        order = s.scalars(select(WorkOrder)).one()  # one order, though the client sent it twice
        assert (order.number, order.channel, order.caller_user) == (number, "miniprogram", "miniprogram:oWang")
        assert order.target == "豫G·T1234" and "新乡东站" in order.location and order.caller_name == "王师傅"
        types = s.scalars(select(Attachment.content_type).where(Attachment.order_id == order.id)).all()
    assert sorted(types) == ["image/jpeg", "image/png"]

    orders = WorkOrders(db)
    unit = orders.add_unit("新乡市交通运输综合行政执法支队", region="河南省新乡市", domains=["道路运输"])
    for action, params in (
        ("classify", {}),
        ("dispatch", {"unit_id": unit["id"]}),
        ("accept", {}),
        ("reply", {"reply": "已对驾驶员批评教育并处罚。"}),
    ):
        orders.act(number, action, System(), params)

    assert node(["rate", number], {**env, "MP_CODES": "code-wang-2"}) == {"number": number, "rating": "satisfied"}
    assert wechat.used_codes == {"code-wang-1", "code-wang-2"}
    with db.session() as s:
        order = s.scalars(select(WorkOrder)).one()
        assert order.rating == "satisfied" and order.rating_comment == "处理及时"
