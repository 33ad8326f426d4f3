"""`python -m sim12345`: run the simulated 12345 hotline system (not part of the product)."""

from __future__ import annotations

import argparse
import logging
import threading
import time

from .server import Simulator, transfer


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="sim12345", description="模拟 12345 政务服务便民热线（知识库与工单接口）")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8345, help="0 = any free port (printed at start)")
    parser.add_argument("--articles", type=int, default=3000, help="generated KB articles")
    parser.add_argument("--seed", type=int, default=12345)
    parser.add_argument("--token", default="sim-token", help="bearer token 12328 must present")
    parser.add_argument(
        "--fail-rate",
        type=float,
        default=0.0,
        help="share of API requests that fail at random (timeouts, 500s, duplicated/reordered pages)",
    )
    parser.add_argument("--edit-every", type=float, default=0.0, help="edit a random article every N seconds")
    parser.add_argument(
        "--transfer-to", default="", help="12328 transfer endpoint, e.g. http://127.0.0.1:8000/api/sync/12345/orders"
    )
    parser.add_argument("--transfer-secret", default="", help="HMAC secret shared with 12328 (HOTLINE_SYNC_SECRET)")
    parser.add_argument("--transfer-every", type=float, default=0.0, help="transfer one order every N seconds")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s sim12345 %(message)s")
    sim = Simulator(args.host, args.port, args.articles, args.seed, args.token)
    sim.store.fail_rate = args.fail_rate
    print(f"sim12345 listening on {sim.url} ({args.articles} articles, feed {sim.store.feed_id})", flush=True)

    def every(seconds, fn):
        def loop():
            while True:
                time.sleep(seconds)
                try:
                    fn()
                except Exception as exc:  # keep simulating
                    logging.warning("%s", exc)

        threading.Thread(target=loop, daemon=True).start()

    if args.edit_every > 0:
        every(args.edit_every, lambda: logging.info("edited %s", sim.store.edit(count=1)))
    if args.transfer_to and args.transfer_every > 0:
        every(
            args.transfer_every,
            lambda: logging.info("transferred %s", transfer(sim.store, 1, args.transfer_to, args.transfer_secret)),
        )
    try:
        sim.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        sim.server_close()


if __name__ == "__main__":
    main()
