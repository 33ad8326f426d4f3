"""Answer, clarify or refuse (issue 16, item 3): the decision on the confidences of the hits."""

from types import SimpleNamespace

from knowledge_base.decision import ANSWER, CLARIFY, REFUSE, Policy, decide

POLICY = Policy(answer=0.8, margin=0.05, choice=0.3, clarify_total=0.6)


def hits(*confidences):
    return [SimpleNamespace(article_id=i + 1, score=0.0, confidence=c) for i, c in enumerate(confidences)]


def test_a_confident_leader_is_answered():
    d = decide(hits(0.93, 0.2, 0.1), POLICY)
    assert d.kind == ANSWER and [h.article_id for h in d.hits] == [1] and d.confidence == 0.93


def test_two_plausible_entries_are_offered_as_choices():
    d = decide(hits(0.55, 0.45, 0.1), POLICY)
    assert d.kind == CLARIFY and [h.article_id for h in d.hits] == [1, 2]
    # a strong leader with a close runner-up is a choice too, not a coin toss
    assert decide(hits(0.85, 0.83, 0.0), POLICY).kind == CLARIFY


def test_nothing_plausible_is_refused():
    assert decide(hits(0.4, 0.1), POLICY).kind == REFUSE
    assert decide([], POLICY).kind == REFUSE
    # one weak candidate alone is no choice
    assert decide(hits(0.5, 0.05), POLICY).kind == REFUSE


def test_a_small_kbs_policy_decides_on_the_score_as_before():
    """A small KB (knowledge_base.calibration.legacy_policy): the hybrid score against the threshold; never clarify."""
    legacy = Policy(answer=0.8, margin=0.0, choice=2.0, clarify_total=2.0)
    h = [
        SimpleNamespace(article_id=1, score=0.86, confidence=None),
        SimpleNamespace(article_id=2, score=0.85, confidence=None),
    ]
    assert decide(h, legacy).kind == ANSWER
    h[0].score = 0.79
    assert decide(h, legacy).kind == REFUSE
