"""Run by tests/test_sync_kb.py in a subprocess: sync from the simulator and SIGKILL ourselves inside the
transaction of page N, after its articles were written (flushed) and before it commits.

usage: python tests/sync_crash_helper.py DB_URL SIM_URL N
"""

from __future__ import annotations

import os
import signal
import sys

from hotline.db import Database
from knowledge_base.service import KnowledgeBase
from sync.connectors import HttpConnector
from sync.kb import KbSync, SyncOptions
from tests.fakes import HashEmbedder


def main() -> None:
    db_url, sim_url, kill_at = sys.argv[1], sys.argv[2], int(sys.argv[3])
    kb = KnowledgeBase(Database(db_url), HashEmbedder(), "/nonexistent/kb.faiss")
    pages = 0
    original = KbSync._link

    def link_then_die(self, session, links, now):
        nonlocal pages
        original(self, session, links, now)
        session.flush()
        pages += 1
        if pages == kill_at:
            os.kill(os.getpid(), signal.SIGKILL)

    KbSync._link = link_then_die
    KbSync(kb, HttpConnector(sim_url, "sim-token"), SyncOptions(page_size=25, push=False)).run("crash-test")


if __name__ == "__main__":
    main()
