"""The FAISS cache: one IndexIDMap2 over inner product (= cosine on normalised vectors),
whose int64 ids are kb_chunk primary keys."""
from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import faiss
import numpy as np


class IndexDamaged(RuntimeError):
    pass


class VectorIndex:
    def __init__(self, dim: int):
        self.dim = dim
        self._index = faiss.IndexIDMap2(faiss.IndexFlatIP(dim))
        self._lock = threading.RLock()

    def __len__(self) -> int:
        return int(self._index.ntotal)

    def upsert(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        ids = np.asarray(ids, dtype="int64")
        vectors = np.ascontiguousarray(vectors, dtype="float32")
        if vectors.shape != (len(ids), self.dim):
            raise ValueError(f"expected {len(ids)}x{self.dim} vectors, got {vectors.shape}")
        with self._lock:
            if len(ids):
                self._index.remove_ids(ids)
                self._index.add_with_ids(vectors, ids)

    def remove(self, ids) -> int:
        with self._lock:
            return int(self._index.remove_ids(np.asarray(list(ids), dtype="int64")))

    def search(self, vector: np.ndarray, k: int) -> list[tuple[int, float]]:
        query = np.ascontiguousarray(vector, dtype="float32").reshape(1, -1)
        with self._lock:
            if not len(self):
                return []
            scores, ids = self._index.search(query, min(k, len(self)))
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0]) if i != -1]

    def ids(self) -> np.ndarray:
        with self._lock:
            return faiss.vector_to_array(self._index.id_map).copy()

    def similarity(self, vector: np.ndarray, chunk_id: int) -> float:
        with self._lock:
            try:
                stored = self._index.reconstruct(int(chunk_id))
            except RuntimeError:  # id not in the index
                return 0.0
        return float(np.dot(stored, vector))

    def save(self, path: Path, state: dict) -> None:
        """Write index and its state (which DB contents it reflects) atomically."""
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(path.suffix + ".tmp")
        with self._lock:
            faiss.write_index(self._index, str(tmp))
        meta_tmp = path.with_suffix(".json.tmp")
        meta_tmp.write_text(json.dumps({**state, "dim": self.dim, "ntotal": len(self)}))
        os.replace(tmp, path)
        os.replace(meta_tmp, path.with_suffix(".json"))

    @classmethod
    def load(cls, path: Path) -> tuple["VectorIndex", dict]:
        meta_path = path.with_suffix(".json")
        if not path.exists() or not meta_path.exists():
            raise FileNotFoundError(path)
        try:
            raw = faiss.read_index(str(path))
            state = json.loads(meta_path.read_text())
        except (RuntimeError, ValueError) as exc:
            raise IndexDamaged(str(exc)) from exc
        if not isinstance(raw, faiss.IndexIDMap2) or raw.ntotal != state.get("ntotal"):
            raise IndexDamaged(f"{path}: unexpected index type or size")
        index = cls(raw.d)
        index._index = raw
        return index, state
