"""Shared pieces of the sync tests: a fast deterministic embedder, the 12345 simulator, a KB on a database."""
from __future__ import annotations

import hashlib
import json
import urllib.request

import numpy as np
import pytest

from hotline.db import Database
from knowledge_base.service import KnowledgeBase
from sim12345.server import Simulator
from sync.connectors import HttpConnector
from sync.kb import KbSync, SyncOptions


class HashEmbedder:
    """Stands in for the model where vectors only need to be stable per text (and counted)."""

    dim = 16

    def __init__(self):
        self.calls = 0
        self.texts = 0

    def encode(self, texts, progress=False):
        self.calls += 1
        self.texts += len(texts)
        out = np.zeros((len(texts), self.dim), dtype="float32")
        for i, text in enumerate(texts):
            digest = hashlib.sha256(text.encode("utf-8")).digest()[:self.dim]
            out[i] = np.frombuffer(digest, dtype="uint8").astype("float32") - 127.5
        out /= np.linalg.norm(out, axis=1, keepdims=True)
        return out

    def encode_one(self, text):
        return self.encode([text])[0]


def control(sim: Simulator, path: str, payload: dict | None = None, method: str | None = None) -> dict:
    data = json.dumps(payload or {}).encode() if payload is not None or method == "POST" else None
    req = urllib.request.Request(sim.url + path, data=data, method=method or ("POST" if data else "GET"),
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as resp:
        return json.loads(resp.read())


def faults(sim: Simulator, *specs: dict) -> None:
    control(sim, "/_sim/faults", {"faults": list(specs)})


@pytest.fixture
def sim():
    server = Simulator(articles=60, seed=2026).start()
    yield server
    server.stop()


@pytest.fixture
def hkb(db_url, tmp_path):
    db = Database(db_url)
    db.migrate()
    kb = KnowledgeBase(db, HashEmbedder(), tmp_path / "kb.faiss")
    yield kb
    db.engine.dispose()


def make_sync(kb, sim, **options) -> KbSync:
    opts = {"page_size": 25, "backoff": 0.0, "retries": 3, **options}
    return KbSync(kb, HttpConnector(sim.url, "sim-token", timeout=1.0), SyncOptions(**opts), sleep=lambda s: None)
