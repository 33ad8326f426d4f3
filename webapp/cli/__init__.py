"""Command line: `python -m webapp.cli <command>` (`--help` lists them all). One module per kind of command:

- `app.py`    — run the product: `init`, `run`, `serve` (the app and the Rasa action listener), `bot`, `worker`
- `kb.py`     — the knowledge base: `ingest`, `reindex`, `import`, `calibrate`
- `staff.py`  — staff accounts: `user-add`
- `orders.py` — the work-order directory: `unit-add`
- `sync.py`   — the 12345 link: `sync-kb`, `sync-export`, `sync-orders-import`, `sync-outbox`, `sync-log`
- `supervision.py` — supervision: `topics` (high-frequency matters), `surge-check`
- `reports.py` — reports (月报/年报/专报): `report`, `report-due`
- `wechat.py` — WeChat: `wechat-menu` (push the official account's menu)

Every command gets its services from `webapp.services.build_services` and its jobs from `webapp.jobs`.
A new command goes into the module of its kind (or a new module listed in `MODULES`).
"""

from __future__ import annotations

import logging

import click

from . import app, kb, orders, reports, staff, supervision, sync, wechat

MODULES = (app, kb, staff, orders, sync, supervision, reports, wechat)


@click.group()
def cli() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")


for _module in MODULES:
    for _command in _module.COMMANDS:
        cli.add_command(_command)
