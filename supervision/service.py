"""The supervision service: the one object the web app and the jobs use (webapp/services.py builds it).

- topics.py      ``HighFrequency``: high-frequency matters of a period (高频事项)
- problems.py    ``ProblemList``: the problem list and its 列入清单 → 督办 → 销号 workflow (第三十三条)
- surges.py      ``SurgeAlerts`` and the surge job (第三十四条 即报即查)
- duplicates.py  ``Duplicates``: duplicate groups handled together through the work-order service

The embedding model is the knowledge base's own (``embedder`` is asked for it on each use, so a model set later —
tests do — is the one used).
"""

from __future__ import annotations

from collections.abc import Callable

from hotline.db import Database

from .duplicates import Duplicates
from .problems import ProblemList
from .surges import SurgeAlerts
from .topics import HighFrequency


class Supervision:
    def __init__(self, db: Database, work_orders, embedder: Callable[[], object]):
        self.db = db
        self.work_orders = work_orders
        self.embedder = embedder
        self.problems = ProblemList(db)
        self.alerts = SurgeAlerts(db)

    @property
    def topics(self) -> HighFrequency:
        return HighFrequency(self.db, self.embedder())

    @property
    def duplicates(self) -> Duplicates:
        return Duplicates(self.db, self.work_orders, self.embedder())
