"""A cache of text embeddings in the database (sv_text_vector), keyed by the model and the normalised text.

Grouping a month embeds every complaint and consultation of it and of the month before; on CPU that is a few dozen
texts a second, so a report or a second look at the same period would take minutes again. The cache keeps each
text's vector (float32 bytes) once: a period grouped again embeds only the texts it has not seen. Safe with several
processes at once (a key written twice is the same vector: the second insert is skipped). Vectors not used for
``KEEP`` are purged by the nightly job.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import datetime, timedelta

import numpy as np
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from hotline.clock import utcnow
from hotline.db import Database

from .models import TextVector

log = logging.getLogger(__name__)
KEEP = timedelta(days=400)  # a year's comparison and then some
CHUNK = 500


def model_id(embedder) -> str:
    return str(getattr(embedder, "model_path", "") or type(embedder).__name__)


def text_key(model: str, text: str) -> str:
    return hashlib.sha256(f"{model}\n{text}".encode()).hexdigest()


class VectorCache:
    def __init__(self, db: Database):
        self.db = db

    def lookup(self, keys: list[str], now: datetime | None = None) -> dict[str, np.ndarray]:
        now = now or utcnow()
        found: dict[str, np.ndarray] = {}
        unique = list(dict.fromkeys(keys))
        with self.db.session() as s:
            for start in range(0, len(unique), CHUNK):
                part = unique[start : start + CHUNK]
                for key, blob in s.execute(select(TextVector.key, TextVector.vector).where(TextVector.key.in_(part))):
                    found[key] = np.frombuffer(blob, dtype="float32")
                if found:
                    s.execute(
                        update(TextVector)
                        .where(TextVector.key.in_([k for k in part if k in found]))
                        .values(used_at=now)
                        .execution_options(synchronize_session=False)
                    )
        return found

    def store(self, vectors: dict[str, np.ndarray], now: datetime | None = None) -> None:
        now = now or utcnow()
        rows = [
            {"key": k, "vector": np.asarray(v, dtype="float32").tobytes(), "used_at": now} for k, v in vectors.items()
        ]
        for start in range(0, len(rows), CHUNK):
            part = rows[start : start + CHUNK]
            try:
                with self.db.session() as s:
                    s.execute(TextVector.__table__.insert(), part)
            except IntegrityError:  # another process stored some of them meanwhile: keep theirs, add the rest
                with self.db.session() as s:
                    have = set(s.scalars(select(TextVector.key).where(TextVector.key.in_([r["key"] for r in part]))))
                    rest = [r for r in part if r["key"] not in have]
                    if rest:
                        s.execute(TextVector.__table__.insert(), rest)

    def purge(self, now: datetime | None = None) -> int:
        cutoff = (now or utcnow()) - KEEP
        with self.db.session() as s:
            deleted = s.execute(delete(TextVector).where(TextVector.used_at < cutoff)).rowcount or 0
        if deleted:
            log.info("text vectors purged: %d", deleted)
        return deleted
