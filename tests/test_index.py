"""VectorIndex with small synthetic vectors."""

import numpy as np
import pytest

from knowledge_base.index import IndexDamaged, VectorIndex


def unit(rows):
    v = np.asarray(rows, dtype="float32")
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def test_upsert_replaces_and_search_ranks_by_cosine():
    index = VectorIndex(3)
    index.upsert(np.array([10, 20]), unit([[1, 0, 0], [0, 1, 0]]))
    assert [i for i, _ in index.search(unit([[0.9, 0.1, 0]])[0], 2)] == [10, 20]
    index.upsert(np.array([10]), unit([[0, 0, 1]]))  # same id again = replace, not duplicate
    assert len(index) == 2
    hits = index.search(unit([[0, 0, 1]])[0], 5)
    assert hits[0][0] == 10 and hits[0][1] == pytest.approx(1.0, abs=1e-5)
    assert index.remove([20]) == 1 and len(index) == 1


def test_wrong_shape_is_rejected():
    with pytest.raises(ValueError):
        VectorIndex(3).upsert(np.array([1]), np.zeros((1, 4), dtype="float32"))


def test_save_load_roundtrip_and_damage(tmp_path):
    path = tmp_path / "kb.faiss"
    index = VectorIndex(3)
    index.upsert(np.array([7, 8]), unit([[1, 0, 0], [0, 1, 0]]))
    index.save(path, {"chunks": 2})
    loaded, state = VectorIndex.load(path)
    assert state["chunks"] == 2 and len(loaded) == 2
    assert loaded.similarity(unit([[1, 0, 0]])[0], 7) == pytest.approx(1.0, abs=1e-5)
    path.write_bytes(b"garbage" * 10)
    with pytest.raises(IndexDamaged):
        VectorIndex.load(path)
    with pytest.raises(FileNotFoundError):
        VectorIndex.load(tmp_path / "missing.faiss")


def test_large_index_switches_to_ivf_and_keeps_working(tmp_path, monkeypatch):
    import knowledge_base.index as idx

    monkeypatch.setattr(idx, "IVF_THRESHOLD", 2000)
    rng = np.random.default_rng(1)
    vecs = rng.standard_normal((3000, 16)).astype("float32")
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    index = VectorIndex(16)
    index.upsert(np.arange(100, 3100), vecs)
    assert index.optimize() and index.kind == "ivf"
    assert index.search(vecs[5], 1)[0][0] == 105
    assert index.similarity(vecs[5], 105) == pytest.approx(1.0, abs=1e-3)  # stored as float16
    assert index.similarities(vecs[5], [105, 106]) == pytest.approx(vecs[[5, 6]] @ vecs[5], abs=1e-3)
    index.upsert(np.array([105]), unit([[1] + [0] * 15]))  # replace by id
    assert len(index) == 3000 and index.search(unit([[1] + [0] * 15])[0], 1)[0][0] == 105
    assert index.remove([106, 107]) == 2 and len(index) == 2998
    assert sorted(index.ids().tolist())[:3] == [100, 101, 102]
    index.save(tmp_path / "ivf.faiss", {"x": 1})
    loaded, _ = VectorIndex.load(tmp_path / "ivf.faiss")
    assert loaded.kind == "ivf" and len(loaded) == 2998
    assert loaded.search(vecs[8], 1)[0][0] == 108


def test_keyword_scores_and_coverage():
    """BM25 over all of the question's terms at once; coverage = share of the question's word groups a chunk
    holds (a thesaurus group counts once however many of its words match), computed for the top chunks."""
    from knowledge_base.keyword import (
        KeywordIndex,
        LiveKeywordIndex,
        query_groups,
        tokenize,
    )

    texts = {1: "货车通行证在网上办理", 2: "货车夜间限行", 3: "客车站点调整", 4: "通行证有效期一个月"}
    index = KeywordIndex(list(texts), list(texts.values()))
    query = "货车通行证怎么办理"
    hits = index.search(query, 10)
    assert [h[0] for h in hits][0] == 1 and 3 not in [h[0] for h in hits]
    groups = query_groups(query)
    for chunk_id, score, coverage in hits:
        tokens = set(tokenize(texts[chunk_id]))
        assert coverage == pytest.approx(sum(any(t in tokens for t in g) for g in groups) / len(groups))
        assert score > 0
    # the same scores as adding up each group's BM25 and the bigrams' (a term in two groups counts twice)
    from hotline.text import normalize
    from knowledge_base.keyword import bigrams

    bm25, vocab = index._bm25, index._bm25.vocab_dict
    parts = [[vocab[t] for t in g if t in vocab] for g in groups]
    parts.append([vocab[t] for t in dict.fromkeys(bigrams(normalize(query))) if t in vocab])
    expected = sum(bm25.get_scores_from_ids(p) for p in parts if p)
    position = {chunk_id: i for i, chunk_id in enumerate(index.ids.tolist())}
    for chunk_id, score, _ in hits:
        assert score == pytest.approx(float(expected[position[chunk_id]]), rel=1e-5)
    live = LiveKeywordIndex([], [])
    live.apply([], {9: "货车通行证网上申领"})
    assert live.search(query, 5)[0][0] == 9


def test_top_k_keeps_only_positive_scores_best_first():
    from knowledge_base.keyword import top_k

    scores = np.array([0.0, 2.5, 0.0, 7.0, 1.0, 7.0], dtype=np.float32)
    assert top_k(scores, 3).tolist() == [3, 5, 1]
    assert top_k(scores, 10).tolist() == [3, 5, 1, 4]  # fewer positive scores than asked for
    assert top_k(np.zeros(4, dtype=np.float32), 2).tolist() == []
    # large inputs take the block-maxima shortcut: the same answer as a full stable sort, ties included
    rng = np.random.default_rng(7)
    for zeros in (0.0, 0.9, 0.9995):
        big = rng.integers(1, 50, 100_003).astype(np.float32) * (rng.random(100_003) > zeros)
        expected = [i for i in np.argsort(-big, kind="stable")[:40] if big[i] > 0]
        assert top_k(big, 40).tolist() == expected


def test_posting_sums_match_bm25s():
    from knowledge_base.keyword import KeywordIndex, posting_sums

    index = KeywordIndex([1, 2, 3], ["货车超载罚款", "客车超员", "货车通行证货车"])
    bm25 = index._bm25
    terms = [t for t in bm25.vocab_dict.values()][:5]
    terms = terms + terms[:2]  # a term asked twice counts twice
    got = posting_sums(
        bm25.scores["data"], bm25.scores["indices"], bm25.scores["indptr"], int(bm25.scores["num_docs"]), terms
    )
    assert got == pytest.approx(bm25.get_scores_from_ids(terms), rel=1e-6)
    assert got.any()


def test_pooled_article_scores():
    from knowledge_base.service import EVIDENCE_WEIGHTS, pool_scores

    w = np.asarray(EVIDENCE_WEIGHTS)
    scores = np.array(
        [
            0.5,
            0.9,
            0.7,
            0.1,  # article 0: 0.9, 0.7, 0.5 count
            0.8,  # article 1: one chunk stands in for all three
            -np.inf,
            0.6,  # article 2: an uncounted chunk counts as the best one
            -np.inf,  # article 3: nothing counted
            0.4,
            0.4,
        ]
    )  # article 4 (article 5 has no chunks): a tie picks the first
    lengths = np.array([4, 1, 2, 1, 2, 0])
    pooled, best_at = pool_scores(scores, lengths)
    assert pooled[0] == pytest.approx(w @ [0.9, 0.7, 0.5] / w.sum())
    assert pooled[1] == pytest.approx(0.8)
    assert pooled[2] == pytest.approx(0.6)
    assert pooled[4] == pytest.approx(0.4)
    assert np.isneginf(pooled[3]) and np.isneginf(pooled[5])
    assert best_at[[0, 1, 2, 4]].tolist() == [1, 0, 1, 0]
