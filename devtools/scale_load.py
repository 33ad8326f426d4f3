"""Concurrent citizens filing complaints through one URL (nginx in scale mode), for tests/test_scale_live.py and
the scale benchmark. Runs in a process of its own (`python -m devtools.scale_load BASE N`): it prints `turn` for
every answered turn (the caller kills replicas when enough have passed) and, at the end, one JSON line with every
conversation's sender, answered messages, retries, order and error. Its threads never share a process with pytest.

A turn that fails (connection error, 502/503/504, timeout) is sent again after a second, as the web page does;
each next message is chosen from the bot's last answer."""

from __future__ import annotations

import json
import sys
import threading
import time
import uuid

import requests


class Caller:
    def __init__(self, base: str, i: int, tag: str):
        self.base = base
        self.sender = f"sc-{tag}-{i}"
        self.first = f"我要投诉豫G·T{1000 + i}出租车，昨天晚上8点在新乡东站拒载还骂人，电话1381234{i:04d}，要求处理司机"
        self.answered: list[str] = []
        self.latencies: list[float] = []
        self.retries = 0
        self.order: dict | None = None
        self.error = ""

    def say(self, message: str, deadline: float, out) -> dict:
        while time.monotonic() < deadline:
            start = time.monotonic()
            try:
                resp = requests.post(self.base + "/api/chat", json={"sender": self.sender, "text": message}, timeout=45)
                if resp.status_code == 200:
                    self.answered.append(message)
                    self.latencies.append(time.monotonic() - start)
                    out("turn")
                    return resp.json()
            except requests.RequestException:
                pass
            self.retries += 1
            time.sleep(1)
        raise TimeoutError(f"{message!r} never answered")

    def run(self, deadline: float, out) -> None:
        try:
            message = self.first
            for _ in range(6):
                body = self.say(message, deadline, out)
                said = "\n".join(r["text"] for r in body["replies"])
                if body["work_order"]:
                    self.order = body["work_order"]
                    return
                if "请核对您的投诉内容" in said:
                    message = "确认"
                elif "实名" in said:
                    message = "匿名"
                else:
                    self.error = f"unexpected answer to {message!r}: {said[:200]!r}"
                    return
            self.error = "no order after 6 turns"
        except Exception as exc:
            self.error = repr(exc)


def run(base: str, conversations: int, seconds: float, out) -> dict:
    tag = uuid.uuid4().hex[:8]
    callers = [Caller(base, i, tag) for i in range(conversations)]
    deadline = time.monotonic() + seconds
    started = time.monotonic()
    threads = [threading.Thread(target=c.run, args=(deadline, out)) for c in callers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return {
        "seconds": round(time.monotonic() - started, 2),
        "conversations": [
            {
                "sender": c.sender,
                "answered": c.answered,
                "latencies": [round(x, 3) for x in c.latencies],
                "retries": c.retries,
                "order": c.order,
                "error": c.error,
            }
            for c in callers
        ],
    }


def main() -> None:
    base, conversations = sys.argv[1], int(sys.argv[2])
    seconds = float(sys.argv[3]) if len(sys.argv) > 3 else 150
    lock = threading.Lock()

    def out(line: str) -> None:
        with lock:
            print(line, flush=True)

    out(json.dumps(run(base, conversations, seconds, out), ensure_ascii=False))


if __name__ == "__main__":
    main()
