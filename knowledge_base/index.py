"""The FAISS cache: inner product (= cosine on normalised vectors) with int64 ids = kb_chunk keys.

Small KBs use an exact IndexIDMap2(IndexFlatIP). Past IVF_THRESHOLD vectors the index is rebuilt as
an inverted-file index (ids stored natively, a hash-table direct map for reconstruct/remove): an exact
scan of 100,000 vectors costs more than the query embedding itself on two cores. Its vectors are kept
as float16 (cosines off by about 1e-4): half the memory, and a search right after the model has run
(its caches cold) reads half as much (0.47 against 0.66 ms at 100,000 chunks, with 2·√n lists)."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import faiss
import numpy as np

from .errors import IndexDamaged

IVF_THRESHOLD = 20_000
NPROBE = 12

# One query at a time: FAISS's OpenMP workers would only spin after each search and steal the second
# core from the embedding model (measured: +50 % latency on the next encode).
faiss.omp_set_num_threads(1)


class VectorIndex:
    def __init__(self, dim: int):
        self.dim = dim
        self._index = faiss.IndexIDMap2(faiss.IndexFlatIP(dim))
        self._lock = threading.RLock()

    @property
    def kind(self) -> str:
        return "ivf" if isinstance(self._index, faiss.IndexIVF) else "flat"

    def optimize(self) -> bool:
        """Switch a large exact index to IVF (trained on its own vectors). Returns True if it switched."""
        with self._lock:
            n = len(self)
            if self.kind == "ivf" or n < IVF_THRESHOLD:
                return False
            ids = faiss.vector_to_array(self._index.id_map).copy()
            vectors = self._index.index.reconstruct_n(0, n)
            nlist = int(2 * np.sqrt(n))
            quantizer = faiss.IndexFlatIP(self.dim)
            ivf = faiss.IndexIVFScalarQuantizer(
                quantizer, self.dim, nlist, faiss.ScalarQuantizer.QT_fp16, faiss.METRIC_INNER_PRODUCT
            )
            ivf.by_residual = False  # the vectors themselves, not their offsets from a centroid
            rng = np.random.default_rng(0)
            sample = vectors[rng.choice(n, size=min(n, nlist * 40), replace=False)]
            ivf.train(sample)
            ivf.set_direct_map_type(faiss.DirectMap.Hashtable)
            ivf.add_with_ids(vectors, ids)
            ivf.nprobe = NPROBE
            self._quantizer = quantizer  # the IVF index does not own it: keep it alive
            self._index = ivf
            return True

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
            if self.kind == "flat":
                return faiss.vector_to_array(self._index.id_map).copy()
            lists = self._index.invlists
            parts = [
                faiss.rev_swig_ptr(lists.get_ids(i), lists.list_size(i)).copy()
                for i in range(lists.nlist)
                if lists.list_size(i)
            ]
            return np.concatenate(parts) if parts else np.zeros(0, dtype="int64")

    def similarity(self, vector: np.ndarray, chunk_id: int) -> float:
        with self._lock:
            try:
                stored = self._index.reconstruct(int(chunk_id))
            except RuntimeError:  # id not in the index
                return 0.0
        return float(np.dot(stored, vector))

    def vector(self, chunk_id: int) -> np.ndarray | None:
        """A stored chunk's vector (None if the id is not in the index)."""
        with self._lock:
            try:
                return np.asarray(self._index.reconstruct(int(chunk_id)), dtype="float32")
            except RuntimeError:
                return None

    def similarities(self, vector: np.ndarray, chunk_ids) -> np.ndarray:
        """Cosine of the query with each stored chunk (0 for ids not in the index), in one batch."""
        keys = np.asarray(chunk_ids, dtype="int64")
        if not len(keys):
            return np.zeros(0, dtype="float32")
        with self._lock:
            try:
                stored = self._index.reconstruct_batch(keys)
            except RuntimeError:  # some id is not in the index: look them up one by one
                return np.array([self.similarity(vector, c) for c in keys.tolist()], dtype="float32")
        return stored @ np.asarray(vector, dtype="float32")

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
    def load(cls, path: Path) -> tuple[VectorIndex, dict]:
        meta_path = path.with_suffix(".json")
        if not path.exists() or not meta_path.exists():
            raise FileNotFoundError(path)
        try:
            raw = faiss.read_index(str(path))
            state = json.loads(meta_path.read_text())
        except (RuntimeError, ValueError) as exc:
            raise IndexDamaged(str(exc)) from exc
        if not isinstance(raw, (faiss.IndexIDMap2, faiss.IndexIVF)) or raw.ntotal != state.get("ntotal"):
            raise IndexDamaged(f"{path}: unexpected index type or size")
        if isinstance(raw, faiss.IndexIVF):
            raw.nprobe = NPROBE
        index = cls(raw.d)
        index._index = raw
        return index, state
