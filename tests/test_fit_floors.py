"""devtools/fit_floors.py: the outcomes a policy gives on searched questions, and the grid that chooses the floors."""

from types import SimpleNamespace

from devtools.fit_floors import answer_floor_grid, grid, outcomes
from knowledge_base.decision import Policy

BASE = Policy(answer=0.8, margin=0.0, choice=0.8, clarify_total=0.0, certainty=0.9, confirm=0.7)


def hit(article_id, score, p, cosine, has_questions=True):
    return SimpleNamespace(article_id=article_id, score=score, confidence=p, cosine=cosine, has_questions=has_questions)


# an answerable question answered by its entry; one whose entry is among two strong ones; an unanswerable one whose
# strong scores come from shared words (cosine 0.74)
DATA = [
    (1, [hit(1, 0.95, 0.95, 0.9), hit(2, 0.7, 0.05, 0.7)]),
    (3, [hit(4, 0.9, 0.5, 0.85), hit(3, 0.88, 0.4, 0.84)]),
    (None, [hit(5, 0.93, 0.6, 0.74, False), hit(6, 0.9, 0.3, 0.73, False)]),
]


def test_outcomes_count_what_the_decision_does():
    without = outcomes(DATA, BASE)
    assert without == {"right": 0.5, "wrong": 0.0, "answered_or_offered": 1.0, "unanswerable_refused": 0.0}
    floored = outcomes(DATA, Policy(**{**BASE.as_dict(), "floor_question": 0.8, "floor_body": 0.75}))
    assert floored["answered_or_offered"] == 1.0 and floored["unanswerable_refused"] == 1.0
    # no hits at all is a refusal
    assert outcomes([(None, [])], BASE)["unanswerable_refused"] == 1.0


def test_the_grid_puts_the_floors_that_separate_first():
    best, policy = grid(DATA, BASE)[0]
    assert best["unanswerable_refused"] == 1.0 and best["answered_or_offered"] == 1.0
    assert 0.73 < policy.floor_body <= 0.84 and policy.floor_question <= 0.84


def test_the_small_kb_answer_floor_refuses_word_matches_and_keeps_meant_answers():
    small = Policy(answer=0.8, margin=0.05, choice=0.8, clarify_total=0.0, sure=0.95)

    def scored(article_id, score, cosine):
        return SimpleNamespace(article_id=article_id, score=score, confidence=None, cosine=cosine, paraphrased=True)

    data = [
        (frozenset({1, 9}), [scored(1, 0.9, 0.86), scored(2, 0.6, 0.7)]),  # several right entries: either counts
        (None, [scored(3, 0.82, 0.74), scored(4, 0.6, 0.7)]),  # a word match, unanswerable
    ]
    assert outcomes(data, small)["unanswerable_refused"] == 0.0
    best, policy = answer_floor_grid(data, small)[0]
    assert best == {"right": 1.0, "wrong": 0.0, "answered_or_offered": 1.0, "unanswerable_refused": 1.0}
    assert 0.74 < policy.answer_floor <= 0.86
