"""`make bench`: latency and memory of the message path, printed as tables (and saved to var/bench/).

1. KB search on the seed KB and on a synthetic 100,000-chunk index, next to the bare model's encode time.
2. /api/chat sequentially and with 8 concurrent clients, next to a bare Rasa REST round trip on the same model.
3. Peak memory (VmHWM) of the bot and app processes.
4. Work orders at 1,000,000 rows in PostgreSQL: SLA sweep, console queues, create (benchmarks/work_orders.py).
5. KB sync of 20,000 articles from the 12345 simulator; a synced change answerable (benchmarks/sync.py).
6. FAQ benchmark at realistic scale: a public Q&A corpus and citizen questions, dev and holdout (benchmarks/faq.py;
   alone: python -m benchmarks.run faq).
7. The console's live pulse over 20,000 orders: per request, with and without the per-scope cache
   (benchmarks/console.py; alone: python -m benchmarks.console).
"""

from __future__ import annotations

import json
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import requests

from benchmarks.retrieval import bare_encode
from devtools.stack import live_stack
from hotline.db import Database
from hotline.settings import ROOT, load_settings
from hotline.text import normalize
from knowledge_base.embedder import Embedder
from knowledge_base.index import VectorIndex
from knowledge_base.seeds import load_seed_drafts
from knowledge_base.service import KnowledgeBase

QUESTIONS = [
    "投诉以后多久能有结果？",
    "哪些情况不予受理",
    "办理期限可以延长吗",
    "办结后会回访吗",
    "录音资料保存多久",
    "月度统计分析报告什么时候报送",
    "12328受理哪些业务",
    "承办单位不按时回复怎么办",
    "投訴以後多久能有結果",
    "层层加码怎么举报",
    "12328什么时候开通的",
    "货车司机投诉处理效率",
    "涉及两个地区的投诉谁来办",
    "安全生产的问题怎么处理",
    "12345转过来的工单多久转办",
    "能不能提意见建议",
]
CHAT_MESSAGES = ["你好", "投诉以后多久能有结果？", "哪些情况不予受理", "高铁票怎么退", "办理期限可以延长吗"]


def pct(samples: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(samples) * 1000, q))


def row(name: str, samples: list[float], note: str = "") -> list[str]:
    return [name, f"{pct(samples, 50):.1f}", f"{pct(samples, 95):.1f}", str(len(samples)), note]


def table(title: str, header: list[str], rows: list[list[str]]) -> str:
    widths = [max(_w(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    line = "+" + "+".join("-" * (w + 2) for w in widths) + "+"
    out = [f"\n{title}", line]
    for i, r in enumerate([header, *rows]):
        out.append("| " + " | ".join(str(c) + " " * (widths[j] - _w(str(c))) for j, c in enumerate(r)) + " |")
        if i == 0:
            out.append(line)
    out.append(line)
    return "\n".join(out)


def _w(text: str) -> int:  # display width: CJK characters take two columns
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


# Latency is measured twice: single queries after this idle gap (how a caller's message arrives on a quiet
# line) and back to back (a busy line). Both the bare encode and the full search are measured each way.
SINGLE_QUERY_GAP_S = 0.05


def timed(fn, n: int, gap: float = 0.0) -> list[float]:
    samples = []
    for i in range(n):
        if gap:
            time.sleep(gap)
        start = time.perf_counter()
        fn(i)
        samples.append(time.perf_counter() - start)
    return samples


def bench_kb(tmp: Path, results: dict) -> tuple[list[list[str]], Path]:
    settings = load_settings({"HOTLINE_VAR_DIR": str(tmp / "seeded")})
    db = Database(settings.database_url)
    db.migrate()
    embedder = Embedder(settings.embedding_model)
    kb = KnowledgeBase(db, embedder, settings.index_path, settings.kb_min_score)
    kb.upsert_articles(load_seed_drafts())
    kb.search("预热")
    n = 5 * len(QUESTIONS)
    encode = timed(lambda i: bare_encode(embedder, normalize(QUESTIONS[i % len(QUESTIONS)])), n)
    encode_one = timed(lambda i: embedder.encode_one(normalize(QUESTIONS[i % len(QUESTIONS)])), n)
    dense = timed(lambda i: kb.index.search(embedder.encode_one(normalize(QUESTIONS[i % len(QUESTIONS)])), 20), n)
    full = timed(lambda i: kb.search(QUESTIONS[i % len(QUESTIONS)], k=5), n)

    rng = np.random.default_rng(12328)
    big = VectorIndex(embedder.dim)
    for start in range(0, 100_000, 10_000):
        vecs = rng.standard_normal((10_000, embedder.dim)).astype("float32")
        vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
        big.upsert(np.arange(start, start + 10_000), vecs)
    big.optimize()  # as the KB itself does past IVF_THRESHOLD
    big_dense = timed(lambda i: big.search(embedder.encode_one(normalize(QUESTIONS[i % len(QUESTIONS)])), 20), n)
    faiss_only_q = embedder.encode_one("投诉以后多久能有结果")
    big_faiss = timed(lambda i: big.search(faiss_only_q, 20), n)

    base = pct(encode, 50)
    rows = [
        row("bare model encode (1 query; SentenceTransformer.encode)", encode, "1.00×"),
        row("the product's query embedding (Embedder.encode_one)", encode_one, f"{pct(encode_one, 50) / base:.2f}×"),
        row(f"seed KB ({len(kb.index)} chunks): embed + FAISS", dense, f"{pct(dense, 50) / base:.2f}×"),
        row("seed KB: full search (+BM25, fuse, DB)", full, f"{pct(full, 50) / base:.2f}×"),
        row(f"100,000 chunks ({big.kind}): embed + FAISS", big_dense, f"{pct(big_dense, 50) / base:.2f}×"),
        row(f"100,000 chunks ({big.kind}): FAISS only", big_faiss, ""),
    ]
    results["kb"] = {r[0]: {"p50_ms": float(r[1]), "p95_ms": float(r[2])} for r in rows}
    return rows, tmp / "seeded"


SWEEP_USERS = (1, 8, 32, 64)
SWEEP_SECONDS = 20.0
SWEEP_CLIENT_TIMEOUT = 30.0


def _load(post, users: int, seconds: float) -> dict:
    """`users` threads, each holding one conversation and sending its next message as soon as the last one is
    answered, for `seconds`. A 503 with Retry-After is counted as busy and the user waits that long, as the chat
    page does; a request without an answer within SWEEP_CLIENT_TIMEOUT is a time-out."""
    stats = {"ok": [], "busy": 0, "timeouts": 0, "errors": 0}
    lock = threading.Lock()
    start = time.perf_counter()
    end = start + seconds

    def user(u: int) -> None:
        sender = f"s{users}-{u}-{uuid.uuid4().hex[:6]}"
        with requests.Session() as http:
            i = 0
            while time.perf_counter() < end:
                t0 = time.perf_counter()
                try:
                    resp = post(http, sender, CHAT_MESSAGES[i % len(CHAT_MESSAGES)])
                except requests.Timeout:
                    with lock:
                        stats["timeouts"] += 1
                    continue
                except requests.RequestException:
                    with lock:
                        stats["errors"] += 1
                    time.sleep(0.5)
                    continue
                took = time.perf_counter() - t0
                i += 1
                with lock:
                    if resp.status_code == 200:
                        stats["ok"].append(took)
                    elif resp.status_code == 503 and resp.headers.get("Retry-After"):
                        stats["busy"] += 1
                    else:
                        stats["errors"] += 1
                if resp.status_code == 503:
                    time.sleep(float(resp.headers.get("Retry-After") or 1))

    with ThreadPoolExecutor(users) as pool:
        list(pool.map(user, range(users)))
    stats["elapsed"] = time.perf_counter() - start
    stats["rps"] = len(stats["ok"]) / stats["elapsed"]
    return stats


def bench_sweep(
    chat_url: str, rasa_url: str, results: dict, levels=SWEEP_USERS, seconds: float = SWEEP_SECONDS
) -> list[list[str]]:
    """The web chat against bare Rasa REST at the same number of concurrent users (target: no time-outs at 64
    users, throughput ≥ 90 % of bare Rasa's)."""

    def app_post(http, sender, text):
        return http.post(chat_url, json={"sender": sender, "text": text}, timeout=SWEEP_CLIENT_TIMEOUT)

    def rasa_post(http, sender, text):
        return http.post(rasa_url, json={"sender": f"web:{sender}", "message": text}, timeout=SWEEP_CLIENT_TIMEOUT)

    rows, out = [], {}
    for users in levels:
        bare = _load(rasa_post, users, seconds)
        app = _load(app_post, users, seconds)
        for name, st in (("bare Rasa REST", bare), ("/api/chat", app)):
            ok = st["ok"] or [float("nan")]
            share = f"{st['rps'] / bare['rps']:.0%}" if bare["rps"] else "-"
            rows.append(
                [
                    str(users),
                    name,
                    f"{pct(ok, 50):.0f}",
                    f"{pct(ok, 95):.0f}",
                    f"{st['rps']:.1f}",
                    str(len(st["ok"])),
                    str(st["busy"]),
                    str(st["timeouts"]),
                    str(st["errors"]),
                    "100%" if name.startswith("bare") else share,
                ]
            )
        out[str(users)] = {
            name: {
                "p50_ms": pct(st["ok"] or [0], 50),
                "p95_ms": pct(st["ok"] or [0], 95),
                "rps": st["rps"],
                "ok": len(st["ok"]),
                "busy": st["busy"],
                "timeouts": st["timeouts"],
                "errors": st["errors"],
            }
            for name, st in (("rasa", bare), ("app", app))
        }
    results["sweep"] = out
    return rows


def reasoning_cost(rounds: int = 200) -> list[float]:
    """What the turn adds before and around the bot's NLU for one message (ms each): the dialogue-act reframing,
    the places the question names, the 第十九条 refusal test and the complaint reading."""
    from hotline.acts import reframe
    from knowledge_base.regions import search_regions
    from work_orders import intake

    messages = CHAT_MESSAGES + [
        "明天去新乡卫辉 107国道能走吗",
        "汽修厂给我换了假配件还收高价",
        "公車轉公車有沒有比較便宜",
    ]
    parse = {"intent": {"name": "complain", "confidence": 0.9}, "intent_ranking": []}
    search_regions(messages[0], None)  # the gazetteer is built once, at start-up

    def one(i: int) -> None:
        text = messages[i % len(messages)]
        reframe(parse, text)
        search_regions(text, "河南省郑州市")
        intake.refusal(text)
        intake.reads_as_complaint(text)

    return timed(one, rounds)


def bench_chat(seeded: Path, tmp: Path, results: dict) -> tuple[list[list[str]], list[list[str]]]:
    stack = live_stack(seeded, tmp / "live")
    try:
        chat_url = stack.base + "/api/chat"
        rasa_url = stack.settings.rasa_url + "/webhooks/rest/webhook"
        http = requests.Session()

        def via_app(i: int, sender: str | None = None):
            r = http.post(chat_url, json={"sender": sender or f"b{i % 20}", "text": CHAT_MESSAGES[i % 5]}, timeout=60)
            r.raise_for_status()

        def via_rasa(i: int, sender: str | None = None):
            r = http.post(
                rasa_url, json={"sender": f"web:r{sender or i % 20}", "message": CHAT_MESSAGES[i % 5]}, timeout=60
            )
            r.raise_for_status()

        for i in range(10):  # warm up both paths
            via_app(i)
            via_rasa(i)
        n = 50
        seq_app = timed(via_app, n)
        seq_rasa = timed(via_rasa, n)

        def concurrent(fn, total=160, workers=8) -> tuple[list[float], float]:
            def one(i):
                start = time.perf_counter()
                fn(i, sender=f"c{i % workers}-{uuid.uuid4().hex[:4]}")
                return time.perf_counter() - start

            start = time.perf_counter()
            with ThreadPoolExecutor(workers) as pool:
                samples = list(pool.map(one, range(total)))
            return samples, total / (time.perf_counter() - start)

        conc_app, rps_app = concurrent(via_app)
        conc_rasa, rps_rasa = concurrent(via_rasa)

        def ratio(a, b):
            return f"{pct(a, 50) / pct(b, 50):.2f}×"

        chat_rows = [
            row("bare Rasa REST, sequential", seq_rasa, "1.00×"),
            row("/api/chat, sequential", seq_app, ratio(seq_app, seq_rasa)),
            row(f"bare Rasa REST, 8 clients ({rps_rasa:.1f} req/s)", conc_rasa, "1.00×"),
            row(f"/api/chat, 8 clients ({rps_app:.1f} req/s)", conc_app, ratio(conc_app, conc_rasa)),
        ]
        print(table("Chat latency (ms)", ["what", "p50", "p95", "n", "p50 vs bare Rasa"], chat_rows), flush=True)
        reasoning = reasoning_cost()
        share = pct(reasoning, 50) / pct(seq_app, 50)
        print(
            table(
                "Issue 15's added reasoning per message (dialogue acts, places, 第十九条, grievance test), in-process",
                ["what", "p50 ms", "p95 ms", "n", "share of /api/chat p50"],
                [row("acts + places + refusal + complaint reading", reasoning, f"{share:.1%}")],
            ),
            flush=True,
        )
        results["reasoning"] = {"p50_ms": pct(reasoning, 50), "share_of_chat_p50": share}
        print(f"\nConcurrency sweep: {SWEEP_SECONDS:.0f} s per level and path …", flush=True)
        sweep_rows = bench_sweep(chat_url, rasa_url, results)
        print(
            table(
                "Web chat under concurrent users (each user: a conversation, next turn as soon as answered)",
                [
                    "users",
                    "path",
                    "p50 ms",
                    "p95 ms",
                    "turns/s",
                    "OK",
                    "503 busy",
                    "time-outs",
                    "errors",
                    "vs bare Rasa",
                ],
                sweep_rows,
            ),
            flush=True,
        )
        mem_rows = [
            [name, f"{_peak_mb(proc.pid):.0f}"]
            for name, proc in (("bot (Rasa)", stack.bot), ("app (Flask)", stack.app))
        ]
        mem_rows.append(["benchmark process (model + 100k index)", f"{_peak_mb('self'):.0f}"])
        results["chat"] = {r[0]: {"p50_ms": float(r[1]), "p95_ms": float(r[2])} for r in chat_rows}
        results["memory_mb"] = {r[0]: float(r[1]) for r in mem_rows}
        return chat_rows, mem_rows
    finally:
        stack.stop()


def _peak_mb(pid) -> float:
    """Peak resident set (VmHWM) of a process and its children started in its group."""
    import psutil

    procs = [psutil.Process() if pid == "self" else psutil.Process(pid)]
    if pid != "self":
        procs += procs[0].children(recursive=True)
    total = 0.0
    for proc in procs:
        for line in Path(f"/proc/{proc.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                total = max(total, int(line.split()[1]) / 1024)
    return total


def bench_quality(seeded: Path, results: dict) -> None:
    from benchmarks.retrieval import HOLDOUT, quality, sts_spearman

    settings = load_settings({"HOTLINE_VAR_DIR": str(seeded)})
    embedder = Embedder(settings.embedding_model)
    kb = KnowledgeBase(Database(settings.database_url), embedder, settings.index_path, settings.kb_min_score)
    rows, res = quality(kb)
    results["quality"] = res
    print(
        table(
            "Retrieval quality on tests/data/kb_questions.yaml (seed KB)", ["mode", "hit@1", "hit@3", "MRR", "n"], rows
        )
    )
    t = res["threshold"]
    print(
        f"answer threshold {t['min_score']:.2f}: answers {t['answered']:.1%} of answerable questions, "
        f"refuses {t['rejected_unanswerable']:.1%} of unanswerable ones"
    )
    if HOLDOUT.exists():
        rows, res = quality(kb, HOLDOUT)
        results["quality_holdout"] = res
        print(
            table(
                "Retrieval quality on the held-out set tests/data/kb_questions_holdout.yaml",
                ["mode", "hit@1", "hit@3", "MRR", "n"],
                rows,
            )
        )
    rho = sts_spearman(embedder)
    results["sts_b_spearman"] = rho
    print(
        table(
            "Embedding model sanity check", ["data set", "Spearman ρ"], [["STS-B zh test (1,361 pairs)", f"{rho:.4f}"]]
        ),
        flush=True,
    )


def bench_scale(tmp: Path, results: dict) -> None:
    from benchmarks.retrieval import scale

    settings = load_settings({"HOTLINE_VAR_DIR": str(tmp / "x")})
    embedder = Embedder(settings.embedding_model)
    (encode, full), (encode_b2b, full_b2b), facts = scale(tmp, embedder, QUESTIONS, timed, SINGLE_QUERY_GAP_S)
    ratio = pct(full, 50) / pct(encode, 50)
    b2b = pct(full_b2b, 50) / pct(encode_b2b, 50)
    where = f"{facts['chunks']:,} chunks ({facts['kind']})"
    rows = [
        row(f"bare model encode, single queries ({SINGLE_QUERY_GAP_S * 1000:.0f} ms apart)", encode, "1.00×"),
        row(f"full search, {where}, single queries", full, f"{ratio:.2f}× (target ≤ 1.30×)"),
        row("bare model encode, back to back", encode_b2b, "1.00×"),
        row(f"full search, {where}, back to back", full_b2b, f"{b2b:.2f}×"),
    ]
    print(table("KB at 100,000 chunks (ms)", ["what", "p50", "p95", "n", "p50 vs bare encode"], rows))
    share = facts["index_rate"] / facts["bare_rate"]
    print(
        table(
            "Bulk indexing and memory",
            ["what", "value"],
            [
                [
                    "bare batch encode of the bodies alone",
                    f"{facts['bodies_rate']:.0f} articles/s",
                ],
                [
                    f"bare batch encode of what the import embeds ({facts['texts_per_article']:.0f} texts an article: "
                    "body, title as a question)",
                    f"{facts['bare_rate']:.0f} articles/s",
                ],
                [
                    "import (chunk + embed + DB + FAISS + BM25)",
                    f"{facts['index_rate']:.0f} articles/s ({share:.0%} of bare on the same texts; target ≥ 90%)",
                ],
                ["first build of the cache (FAISS + BM25) for 100k chunks", f"{facts['build_s']:.1f} s"],
                ["restart: load saved FAISS + BM25", f"{facts['reload_s']:.1f} s"],
                ["memory per 100k chunks (FAISS + BM25 + maps)", f"{facts['mem_mb']:.0f} MB"],
            ],
        ),
        flush=True,
    )
    results["scale"] = {
        **facts,
        "full_p50_ms": pct(full, 50),
        "encode_p50_ms": pct(encode, 50),
        "ratio": ratio,
        "full_b2b_p50_ms": pct(full_b2b, 50),
        "encode_b2b_p50_ms": pct(encode_b2b, 50),
        "ratio_b2b": b2b,
    }


def bench_hot_policy(seeded: Path, tmp: Path, results: dict, runs: int = 12) -> None:
    """Publish on one app process, measure until a second app process answers with it."""
    import shutil

    from accounts.service import Accounts
    from devtools.stack import app_ports_env
    from hotline import procs

    var = tmp / "hot"
    shutil.copytree(seeded, var)
    Accounts(Database(load_settings({"HOTLINE_VAR_DIR": str(var)}).database_url)).create_user(
        "bench-pub", "bench-publisher-1", ["publisher"]
    )
    apps = []
    try:
        for name in ("a", "b"):
            settings = load_settings(
                {"HOTLINE_VAR_DIR": str(var), **app_ports_env(), "HOTLINE_INDEX_PATH": str(var / f"kb-{name}.faiss")}
            )
            proc = procs.start(procs.app_command(), procs.app_env(settings), var / f"app-{name}.log")
            base = f"http://127.0.0.1:{settings.app_port}"
            if not procs.wait_http(base + "/api/health", 120, proc):
                raise RuntimeError((var / f"app-{name}.log").read_text()[-2000:])
            apps.append((proc, base))
        (_, a), (_, b) = apps
        token = requests.post(
            a + "/api/auth/login", json={"username": "bench-pub", "password": "bench-publisher-1"}, timeout=10
        ).json()["token"]
        auth = {"Authorization": f"Bearer {token}"}
        samples = []
        for i in range(runs):
            title = f"G{i + 301}国道第{i + 1}号临时交通管制通知"
            start = time.perf_counter()
            resp = requests.post(
                a + "/api/kb/articles",
                headers=auth,
                timeout=30,
                json={
                    "title": title,
                    "body": f"因道路施工，G{i + 301}国道K{i}处全天封闭，货车请绕行。",
                    "urgent": True,
                    "domain": "公路",
                    "publish": True,
                },
            )
            resp.raise_for_status()
            while time.perf_counter() - start < 10:
                hits = requests.get(b + "/api/kb/search", params={"q": title, "k": 3}, timeout=10).json()["hits"]
                if any(h["title"] == title for h in hits):
                    break
                time.sleep(0.02)
            samples.append(time.perf_counter() - start)
    finally:
        for proc, _ in apps:
            procs.stop(proc)
    print(
        table(
            "Hot-policy publish on app A → searchable on app B (ms)",
            ["what", "p50", "p95", "n", "target"],
            [row("publish → answerable on the other replica", samples, "p95 ≤ 2000")],
        ),
        flush=True,
    )
    results["hot_policy_ms"] = {"p50": pct(samples, 50), "p95": pct(samples, 95)}


def _seed(tmp: Path) -> Path:
    settings = load_settings({"HOTLINE_VAR_DIR": str(tmp / "seeded")})
    db = Database(settings.database_url)
    db.migrate()
    KnowledgeBase(db, Embedder(settings.embedding_model), settings.index_path).upsert_articles(load_seed_drafts())
    return tmp / "seeded"


def main(only_kb: bool = False, only_chat: bool = False, only_faq: bool = False, only_scale: bool = False) -> None:
    """Everything; with ``only_kb`` (python -m benchmarks.run kb) the knowledge-base sections only, with
    ``only_chat`` (python -m benchmarks.run chat) the chat latency and the concurrency sweep only, with
    ``only_faq`` (python -m benchmarks.run faq) the FAQ benchmark only, with ``only_scale``
    (python -m benchmarks.run scale) the 100,000-chunk search and bulk indexing only."""
    from benchmarks.faq import bench_faq

    results: dict = {}
    if only_faq:
        bench_faq(results)
        return
    if only_scale:
        with tempfile.TemporaryDirectory(prefix="hotline-bench-") as tmpdir:
            print("Building a 100,000-chunk KB …", flush=True)
            bench_scale(Path(tmpdir), results)
        return
    with tempfile.TemporaryDirectory(prefix="hotline-bench-") as tmpdir:
        tmp = Path(tmpdir)
        if only_chat:
            print("Starting bot and app for the chat benchmark …", flush=True)
            bench_chat(_seed(tmp), tmp, results)
            return
        print("Benchmarking knowledge-base search …", flush=True)
        kb_rows, seeded = bench_kb(tmp, results)
        print(table("KB search latency (ms)", ["what", "p50", "p95", "n", "p50 vs bare encode"], kb_rows), flush=True)
        bench_quality(seeded, results)
        bench_faq(results)
        print("\nBuilding a 100,000-chunk KB …", flush=True)
        bench_scale(tmp, results)
        print("\nStarting two app processes for the hot-policy benchmark …", flush=True)
        bench_hot_policy(seeded, tmp, results)
        if only_kb:
            print(json.dumps({k: results[k] for k in ("quality", "scale", "hot_policy_ms")}, ensure_ascii=False))
            return
        print("\nStarting bot and app for the chat benchmark …", flush=True)
        chat_rows, mem_rows = bench_chat(seeded, tmp, results)
    from benchmarks.faq_chat import bench_faq_chat

    print("\nThe FAQ benchmark through the chat …", flush=True)
    bench_faq_chat(results)
    print(table("Peak memory (MB, VmHWM)", ["process", "MB"], mem_rows))

    # --- work orders at 1,000,000 rows in PostgreSQL (its own module; alone: python -m benchmarks.work_orders)
    from benchmarks.work_orders import bench_work_orders

    print("\nWork orders: 1,000,000 orders in PostgreSQL …", flush=True)
    bench_work_orders(results)

    # --- statistics over the same 1,000,000 orders (its own module; alone: python -m benchmarks.stats)
    from benchmarks.stats import bench_stats

    print("\nStatistics: metrics, scores and dashboard over 1,000,000 orders …", flush=True)
    bench_stats(results)

    # --- a monthly report over the same orders (its own module; alone: python -m benchmarks.reports)
    from benchmarks.reports import bench_reports

    print("\nReports: a monthly report (DOCX, PDF, XLSX) over 1,000,000 orders …", flush=True)
    bench_reports(results)

    # --- KB sync with the 12345 simulator (its own module; alone: python -m benchmarks.sync)
    from benchmarks.sync import bench_sync

    print("\nKB sync: 20,000 articles from the 12345 simulator …", flush=True)
    with tempfile.TemporaryDirectory(prefix="hotline-bench-sync-") as tmpdir:
        bench_sync(Path(tmpdir), results)

    # --- high-frequency matters: grouping a period (its own module; alone: python -m benchmarks.topics [N])
    from benchmarks.topics import bench_topics

    print("\nHigh-frequency matters: grouping 3,000 complaints and consultations …", flush=True)
    bench_topics(results)
    # --- the console's live pulse (its own module; alone: python -m benchmarks.console)
    from benchmarks.console import bench_console

    print("\nConsole pulse: 20,000 orders, polled as 50 open consoles would …", flush=True)
    bench_console(results)

    out = ROOT / "var" / "bench"
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(results, ensure_ascii=False, indent=2))
    print(f"\nsaved {out / 'results.json'}")


if __name__ == "__main__":
    import sys

    main(
        only_kb=sys.argv[1:] == ["kb"],
        only_chat=sys.argv[1:] == ["chat"],
        only_faq=sys.argv[1:] == ["faq"],
        only_scale=sys.argv[1:] == ["scale"],
    )
