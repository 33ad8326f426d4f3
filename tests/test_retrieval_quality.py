"""Retrieval quality floors on the team's question set (tests/data/kb_questions.yaml) — deterministic:
the model and the seed KB are fixed. `make bench` prints the full table."""

from benchmarks.retrieval import load_questions, quality


def test_question_set_is_substantial():
    questions, unanswerable = load_questions()
    assert len(questions) >= 80 and len(unanswerable) >= 20


def test_hybrid_beats_both_alone_and_meets_floors(seeded_kb):
    _, results = quality(seeded_kb)
    hybrid, dense, keyword = results["hybrid"], results["dense"], results["keyword"]
    assert hybrid["hit@1"] > dense["hit@1"] and hybrid["hit@1"] > keyword["hit@1"]
    assert hybrid["mrr"] > dense["mrr"] and hybrid["mrr"] > keyword["mrr"]
    assert hybrid["hit@1"] >= 0.90 and hybrid["hit@3"] >= 0.95  # the target; measured 0.927 / 0.976
    # the answer threshold answers most real questions and refuses most questions the KB cannot answer
    assert results["threshold"]["answered"] >= 0.90
    assert results["threshold"]["rejected_unanswerable"] >= 0.80


def test_held_out_set_hybrid_still_beats_both(seeded_kb):
    """The held-out questions were written without seeing the thesaurus, the similar questions or the tuning;
    the numbers are lower (see README), but fusion must still beat each side alone."""
    from benchmarks.retrieval import HOLDOUT

    questions, _ = load_questions(HOLDOUT)
    assert len(questions) >= 60
    _, results = quality(seeded_kb, HOLDOUT)
    hybrid, dense, keyword = results["hybrid"], results["dense"], results["keyword"]
    assert hybrid["hit@1"] > dense["hit@1"] and hybrid["hit@1"] > keyword["hit@1"]
    assert hybrid["mrr"] > dense["mrr"] and hybrid["mrr"] > keyword["mrr"]
    assert hybrid["hit@3"] >= keyword["hit@3"] and hybrid["hit@3"] >= dense["hit@3"]
    assert hybrid["hit@1"] >= 0.82  # measured 0.857 (0.629 before the similar questions and pooled evidence)
