"""The one attachment store: files are what their bytes are (never what the client declares), limited in size,
stored under random names atomically, and served only as downloads with the sniffed type and nosniff."""

import io
import re
import struct

import pytest
from sqlalchemy import select

from tests.test_work_orders_api import ORDER
from work_orders.attachments import ALL_TYPES, PHOTOS, AttachmentStore, safe_name, sniff
from work_orders.errors import AttachmentRejected, AttachmentTooLarge
from work_orders.models import Attachment

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
SAMPLES = {
    "image/jpeg": b"\xff\xd8\xff\xe0\x00\x10JFIF" + b"\x00" * 64,
    "image/png": PNG,
    "image/webp": b"RIFF" + struct.pack("<I", 72) + b"WEBPVP8 " + b"\x00" * 64,
    "audio/amr": b"#!AMR\n" + b"\x3c" * 64,
    "audio/mpeg": b"ID3\x04\x00\x00\x00\x00\x00\x00" + b"\x00" * 64,
    "audio/silk": b"\x02#!SILK_V3" + b"\x00" * 64,
    "audio/wav": b"RIFF" + struct.pack("<I", 72) + b"WAVEfmt " + b"\x00" * 64,
    "application/pdf": b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n" + b"0" * 64,
}
KINDS = {
    "image/jpeg": "photo",
    "image/png": "photo",
    "image/webp": "photo",
    "audio/amr": "voice",
    "audio/mpeg": "voice",
    "audio/silk": "voice",
    "audio/wav": "recording",
    "application/pdf": "file",
}
HTML = b"<!doctype html><html><script>alert(document.cookie)</script></html>"
REJECTED = [
    HTML,
    b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>",
    b"GIF89a" + b"\x00" * 20,
    b"MZ\x90\x00",
    b"PK\x03\x04zip",
    b"",
    b"RIFF\x00\x00\x00\x00AVI ",
    b"\xff\xd8",
    b"#!SIL",
]


@pytest.mark.parametrize("mime", list(SAMPLES))
def test_every_allowed_type_is_recognised_by_its_bytes(mime):
    found = sniff(SAMPLES[mime])
    assert (found.mime, found.kind) == (mime, KINDS[mime])
    assert sniff(b"\xff\xfb\x90\x64" + b"\x00" * 64).mime == "audio/mpeg"  # a bare MPEG frame, no ID3 tag


@pytest.mark.parametrize("data", REJECTED)
def test_anything_else_is_refused(tmp_path, data):
    with pytest.raises(AttachmentRejected):
        AttachmentStore(tmp_path).check(data)
    assert list(tmp_path.iterdir()) == []


def test_size_limit_and_photo_only_callers(tmp_path):
    store = AttachmentStore(tmp_path, max_size=100)
    with pytest.raises(AttachmentTooLarge):
        store.save(PNG + b"\x00" * 100)
    with pytest.raises(AttachmentRejected, match="JPG/PNG/WEBP"):
        store.save(SAMPLES["application/pdf"], allowed=PHOTOS)
    assert list(tmp_path.iterdir()) == []


def test_names_are_random_writes_atomic_and_references_cannot_escape(tmp_path):
    store = AttachmentStore(tmp_path / "att")
    stored = store.save(PNG, "../../etc/passwd")
    assert re.fullmatch(r"file:[0-9a-f]{32}\.png", stored.ref)
    assert stored.name == "passwd.png"
    assert [p.name for p in (tmp_path / "att").iterdir()] == [stored.ref[5:]]  # no temporary file left
    assert store.path(stored.ref).read_bytes() == PNG
    for ref in (
        "file:../secret",
        "file:.hidden",
        "file:a/b",
        "file:a\\b",
        "file:",
        "wechat-media:abc",
        "file:" + "a" * 101,
        "file:x\x00y",
    ):
        assert store.path(ref) is None
    store.delete("file:../att")  # nothing outside, nothing but plain names
    assert (tmp_path / "att").exists()


@pytest.mark.parametrize(
    "name, mime, expected",
    [
        ("现场.jpg", "image/jpeg", "现场.jpg"),
        ("现场.JPEG", "image/jpeg", "现场.JPEG"),
        ("evil.html", "image/png", "evil.html.png"),
        ("C:\\Users\\a\\报告.pdf", "application/pdf", "报告.pdf"),
        ("\u202egnp.exe", "image/png", "gnp.exe.png"),
        ("", "audio/amr", "附件.amr"),
        ("..", "image/png", "附件.png"),
        ("a" * 300 + ".wav", "audio/wav", "a" * 196 + ".wav"),
    ],
)
def test_download_names_are_safe_and_end_in_the_real_type(name, mime, expected):
    file_type = next(t for t in ALL_TYPES if t.mime == mime)
    assert safe_name(name, file_type) == expected


@pytest.fixture
def app_env():
    return {"HOTLINE_SWEEP_INTERVAL": "0"}


@pytest.fixture
def app(app):
    app.extensions["hotline"].accounts.create_user("op", "operator-pass-1", ["operator"], "李座席")
    return app


def upload(client, headers, number, data, name, declared):
    return client.post(
        f"/api/orders/{number}/attachments", headers=headers, data={"file": (io.BytesIO(data), name, declared)}
    )


def test_staff_uploads_are_checked_by_content_not_by_the_declared_type(app, login):
    client = app.test_client()
    op = login(client, "op", "operator-pass-1")
    number = client.post("/api/orders", json=ORDER, headers=op).get_json()["number"]
    resp = upload(client, op, number, HTML, "photo.png", "image/png")  # HTML claiming to be a PNG
    assert resp.status_code == 415 and "按文件内容识别" in resp.get_json()["error"]["message"]
    for mime, data in SAMPLES.items():  # every allowed type, declared as something else
        resp = upload(client, op, number, data, "证据", "application/octet-stream")
        assert resp.status_code == 201 and resp.get_json()["kind"] == KINDS[mime], mime
    with app.extensions["hotline"].db.session() as s:
        rows = s.execute(select(Attachment.content_type, Attachment.ref, Attachment.name)).all()
    assert sorted(r.content_type for r in rows) == sorted(SAMPLES)
    assert all(re.fullmatch(r"file:[0-9a-f]{32}\.[a-z0-9]+", r.ref) for r in rows)
    assert {r.name for r in rows} >= {"证据.jpg", "证据.pdf", "证据.silk"}


def test_downloads_are_attachments_with_the_sniffed_type_and_nosniff(app, tmp_path, login):
    client = app.test_client()
    op = login(client, "op", "operator-pass-1")
    number = client.post("/api/orders", json=ORDER, headers=op).get_json()["number"]
    att = upload(client, op, number, SAMPLES["application/pdf"], "报告.pdf", "image/png").get_json()
    resp = client.get(f"/api/orders/{number}/attachments/{att['id']}", headers=op)
    assert resp.status_code == 200 and resp.data == SAMPLES["application/pdf"]
    assert resp.mimetype == "application/pdf"
    assert resp.headers["Content-Disposition"].startswith("attachment;")
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in resp.headers["Content-Security-Policy"]
    # a file stored before the store existed, recorded as image/png but really HTML: served as plain bytes
    (tmp_path / "attachments" / "legacy").write_bytes(HTML)
    wo = app.extensions["hotline"].work_orders
    from work_orders.service import System

    legacy = wo.add_attachment(number, System("test"), "photo", "file:legacy", "x.png", "image/png", len(HTML))
    resp = client.get(f"/api/orders/{number}/attachments/{legacy['id']}", headers=op)
    assert resp.status_code == 200 and resp.mimetype == "application/octet-stream"
    assert resp.headers["Content-Disposition"].startswith("attachment;")
    assert resp.headers["X-Content-Type-Options"] == "nosniff"


def test_mini_program_photos_go_through_the_same_store(app):
    complaints = app.extensions["hotline"].wechat.complaints
    assert complaints.store is app.extensions["hotline"].attachments
