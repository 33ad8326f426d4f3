"""Answer, clarify or refuse (issue 16, item 3): the decision on the scores of the hits (the score rule), or on
the ranker's probabilities (a ranked, large KB)."""

import dataclasses
from types import SimpleNamespace

from knowledge_base.calibration import legacy_policy
from knowledge_base.decision import ANSWER, CLARIFY, REFUSE, Policy, decide

POLICY = Policy(answer=0.8, margin=0.05, choice=0.3, clarify_total=0.6)


def hits(*scores):
    return [SimpleNamespace(article_id=i + 1, score=s, confidence=None) for i, s in enumerate(scores)]


RANKED = Policy(answer=0.7, margin=0.0, choice=0.8, clarify_total=0.0, certainty=0.8)


def ranked(*pairs):
    """Hits as the ranker leaves them: (score, probability of being the right one), best first."""
    return [SimpleNamespace(article_id=i + 1, score=s, confidence=p) for i, (s, p) in enumerate(pairs)]


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


def test_a_small_kbs_policy_answers_a_clear_leader_and_offers_close_ones():
    """A small KB (knowledge_base.calibration.legacy_policy): the hybrid score against the threshold, and the
    leader's lead: two entries at the threshold that score alike are offered ("车辆被扣了怎么处理" scored two clauses
    of 管理办法 0.828 and 0.826 and was answered with the first)."""
    small = legacy_policy(0.8)
    h = [SimpleNamespace(article_id=i, score=s, confidence=None) for i, s in enumerate((0.86, 0.85, 0.83, 0.81), 1)]
    d = decide(h, small)
    assert d.kind == CLARIFY and [x.article_id for x in d.hits] == [1, 2, 3]  # at most three
    assert decide(h[:1] + [SimpleNamespace(article_id=2, score=0.82, confidence=None)], small).kind == CLARIFY
    h[1].score = 0.80 - 1e-6  # a close runner-up under the threshold is no choice: the leader answers
    assert decide(h[:2], small).kind == ANSWER
    h[1].score = 0.80
    h[0].score = 0.86 + small.margin  # a clear lead answers
    assert decide(h[:2], small).kind == ANSWER
    h[0].score = 0.97  # as does a score beyond doubt, whatever the lead
    h[1].score = 0.96
    assert decide(h[:2], small).kind == ANSWER and "0.97≥0.95" in decide(h[:2], small).reason
    h[0].score = 0.79
    h[1].score = 0.78
    assert decide(h[:2], small).kind == REFUSE


def test_a_ranked_kb_answers_a_strong_and_likely_leader():
    d = decide(ranked((0.95, 0.9), (0.99, 0.05), (0.7, 0.05)), RANKED)
    # answered although the runner-up scores higher: the ranker weighed all the evidence and finds it unlikely
    assert d.kind == ANSWER and [h.article_id for h in d.hits] == [1] and d.confidence == 0.9
    assert "90%" in d.reason


def test_a_ranked_kb_offers_strong_entries_when_the_leader_is_not_likely_enough():
    d = decide(ranked((0.95, 0.5), (0.93, 0.4), (0.85, 0.08), (0.81, 0.02)), RANKED)
    assert d.kind == CLARIFY and [h.article_id for h in d.hits] == [1, 2, 3]  # at most three
    # one strong entry alone is no choice
    assert decide(ranked((0.95, 0.6), (0.75, 0.4)), RANKED).kind == REFUSE


def test_a_ranked_kbs_choices_are_its_first_three_in_its_order():
    """Two strong entries make a choice; the ranker's first three are then offered, none skipped for its score:
    the entry the ranker puts first is offered although its score is under the threshold."""
    d = decide(ranked((0.79, 0.3), (0.82, 0.2), (0.91, 0.1), (0.9, 0.05)), RANKED)
    assert d.kind == CLARIFY and [h.article_id for h in d.hits] == [1, 2, 3]
    d = decide(ranked((0.95, 0.5), (0.9, 0.3), (0.6, 0.1)), RANKED)
    assert [h.article_id for h in d.hits] == [1, 2, 3] and "2条得分≥0.80" in d.reason


def test_a_ranked_kb_refuses_a_likely_but_weak_leader():
    """A lone candidate is 'likely' among nothing: the score still has to show it answers at all."""
    d = decide(ranked((0.65, 0.99)), RANKED)
    assert d.kind == REFUSE and "0.65" in d.reason


def test_ranked_hits_under_a_score_policy_decide_on_their_scores():
    """A calibration stored before the ranker (no certainty) judges by the scores, never reading a probability
    as a score."""
    assert decide(ranked((0.9, 0.3), (0.6, 0.7)), POLICY).kind == ANSWER


def test_a_ranked_kb_asks_to_confirm_a_lone_strong_leader_it_is_not_sure_enough_of():
    confirming = Policy(answer=0.7, margin=0.0, choice=0.8, clarify_total=0.0, certainty=0.97, confirm=0.7)
    d = decide(ranked((0.9, 0.85), (0.75, 0.1)), confirming)
    assert d.kind == CLARIFY and [h.article_id for h in d.hits] == [1] and "确认" in d.reason
    # likely enough to answer, or two strong ones to choose between: as before
    assert decide(ranked((0.9, 0.98), (0.75, 0.01)), confirming).kind == ANSWER
    assert [h.article_id for h in decide(ranked((0.9, 0.6), (0.85, 0.3)), confirming).hits] == [1, 2]
    # too unlikely to put to the user, or too weak a match: refused
    assert decide(ranked((0.9, 0.6), (0.75, 0.3)), confirming).kind == REFUSE
    assert decide(ranked((0.65, 0.9), (0.5, 0.05)), confirming).kind == REFUSE
    # without a confirmation threshold (0) a lone leader short of the certainty is refused
    unconfirmed = Policy(answer=0.7, margin=0.0, choice=0.8, clarify_total=0.0, certainty=0.97)
    assert decide(ranked((0.9, 0.85), (0.75, 0.1)), unconfirmed).kind == REFUSE


FLOORED = Policy(
    answer=0.7,
    margin=0.0,
    choice=0.8,
    clarify_total=0.0,
    certainty=0.8,
    confirm=0.7,
    floor_question=0.8,
    floor_body=0.75,
)


def meant(*rows):
    """Ranked hits with their semantic evidence: (score, probability, best cosine, whether the entry has a question)."""
    return [
        SimpleNamespace(article_id=i + 1, score=s, confidence=p, cosine=c, has_questions=q)
        for i, (s, p, c, q) in enumerate(rows)
    ]


def test_a_score_made_of_shared_words_neither_answers_nor_offers():
    """'汽车贴膜有什么规定': regulation clauses that share 汽车 and 规定 score 0.93 on a cosine of 0.74; nothing there
    means what was asked, so the question is refused instead of answered or offered."""
    d = decide(meant((0.93, 0.9, 0.74, False), (0.91, 0.05, 0.73, False), (0.90, 0.05, 0.74, False)), FLOORED)
    assert d.kind == REFUSE and "语义相似度0.74低于0.75" in d.reason
    # the same scores on the meaning of the question: answered
    assert decide(meant((0.93, 0.9, 0.80, False), (0.91, 0.05, 0.79, False)), FLOORED).kind == ANSWER


def test_an_entry_with_a_question_is_held_to_the_higher_floor():
    # a FAQ entry whose title the question barely paraphrases (0.78) is no match; a clause at 0.78 is
    faq = meant((0.9, 0.9, 0.78, True), (0.5, 0.05, 0.6, True))
    law = meant((0.9, 0.9, 0.78, False), (0.5, 0.05, 0.6, False))
    assert decide(faq, FLOORED).kind == REFUSE and decide(law, FLOORED).kind == ANSWER


def test_only_entries_that_mean_it_count_towards_a_choice():
    # two strong scores, one of them from shared words: no choice, and the leader is not sure enough to confirm
    assert decide(meant((0.9, 0.6, 0.85, True), (0.88, 0.3, 0.70, True)), FLOORED).kind == REFUSE
    # both meant: the ranker's first three are offered, the weak third among them
    d = decide(meant((0.9, 0.6, 0.85, True), (0.88, 0.3, 0.82, True), (0.7, 0.1, 0.7, True)), FLOORED)
    assert d.kind == CLARIFY and [h.article_id for h in d.hits] == [1, 2, 3]
    # a lone leader that means it is put to the user to confirm; one that does not is refused
    assert decide(meant((0.9, 0.75, 0.85, True), (0.6, 0.1, 0.6, True)), FLOORED).kind == CLARIFY
    assert decide(meant((0.9, 0.75, 0.79, True), (0.6, 0.1, 0.6, True)), FLOORED).kind == REFUSE


def test_nearly_every_word_matched_lifts_the_floor():
    """A ranked policy may exempt a score at keyword_sure from its floors (a short query has a low cosine even to its
    own entry: "遊民滯留" 0.77 on the FAQ entry it names, score 1.04); the shipped one does not (the held-out split let
    unanswerable questions through), and lower scores stay floored either way."""
    policy = dataclasses.replace(FLOORED, keyword_sure=0.95)
    assert decide(meant((1.04, 0.999, 0.77, True), (0.885, 0.001, 0.85, True)), FLOORED).kind == REFUSE
    d = decide(meant((1.04, 0.999, 0.77, True), (0.885, 0.001, 0.85, True)), policy)
    assert d.kind == ANSWER and d.hits[0].article_id == 1
    assert decide(meant((0.93, 0.9, 0.74, False), (0.91, 0.05, 0.73, False)), policy).kind == REFUSE
    assert decide(meant((0.93, 0.999, 0.77, True), (0.885, 0.001, 0.85, True)), policy).kind == REFUSE


def test_a_question_entry_the_ranker_is_sure_of_is_put_to_the_user_whatever_its_cosine():
    """'遊民滯留' (4 characters) is at a cosine of 0.77 from the FAQ entry it names, under the floor of 0.80, at a
    probability of 1.00; '防走失手環' at 0.71 and a score of 0.70. Refused before; offered to confirm at
    confirm_question. Body text (a regulation clause: '深圳限行时间' put a Shenzhen clause first at 0.94) and a
    probability under the threshold are refused as before."""
    policy = dataclasses.replace(FLOORED, confirm_question=0.9)
    short = meant((1.04, 0.999, 0.77, True), (0.885, 0.001, 0.85, True))
    assert decide(short, FLOORED).kind == REFUSE
    d = decide(short, policy)
    assert d.kind == CLARIFY and [h.article_id for h in d.hits] == [1] and "确认" in d.reason and "0.77" in d.reason
    weak = meant((0.70, 0.92, 0.71, True), (0.70, 0.02, 0.70, True))
    assert decide(weak, policy).kind == CLARIFY and decide(weak, FLOORED).kind == REFUSE
    assert decide(meant((0.76, 0.94, 0.71, False), (0.7, 0.03, 0.7, False)), policy).kind == REFUSE
    assert decide(meant((0.88, 0.88, 0.79, True), (0.7, 0.05, 0.7, True)), policy).kind == REFUSE
    # what the rules before it decide stays: a sure answer is answered, two strong entries are offered
    assert decide(meant((0.95, 0.95, 0.9, True), (0.6, 0.01, 0.6, True)), policy).kind == ANSWER
    two = decide(meant((0.9, 0.92, 0.85, True), (0.88, 0.05, 0.84, True)), dataclasses.replace(policy, certainty=0.97))
    assert two.kind == CLARIFY and [h.article_id for h in two.hits] == [1, 2]


def test_a_policy_is_ranked_when_it_decides_on_probabilities():
    """Policy.ranked: the large KB's probability rule (the referral offers its choices after another hotline's
    number, hit testing shows its floors); the small KB's score rule is not."""
    from knowledge_base.calibration import LARGE_KB_POLICY

    assert LARGE_KB_POLICY.ranked and RANKED.ranked and not legacy_policy(0.8).ranked and not POLICY.ranked


def test_a_hit_of_unknown_meaning_is_not_floored():
    """An entry the user chose (score 1.0) or a hit without a cosine (keyword mode) is judged as before."""
    assert decide(ranked((0.9, 0.98), (0.75, 0.01)), FLOORED).kind == ANSWER
    assert decide(meant((1.0, 1.0, None, True)), FLOORED).kind == ANSWER


def small_hits(*rows):
    """Hits of a small KB (score rule): (score, best cosine)."""
    return [
        SimpleNamespace(article_id=i + 1, score=s, confidence=None, cosine=c, paraphrased=True)
        for i, (s, c) in enumerate(rows)
    ]


def test_a_small_kb_answers_only_what_it_means():
    """On the seed KB "公交卡丢了怎么办" scored 0.80 on 管理办法 第二条 (cosine 0.76) and was answered with it; under the
    score rule a direct answer needs the semantic evidence too (Policy.answer_floor) unless rare words lift its score
    (Policy.keyword_sure); its choices do not."""
    small = legacy_policy(0.8)
    assert small.answer_floor > 0.76
    d = decide(small_hits((0.80, 0.76), (0.70, 0.75)), small)
    assert d.kind == REFUSE and f"语义相似度0.76低于{small.answer_floor:.2f}" in d.reason
    assert decide(small_hits((0.80, 0.85), (0.70, 0.75)), small).kind == ANSWER
    assert decide(small_hits((0.81, 0.70), (0.5, 0.7)), small).kind == REFUSE  # a lone leader on common words
    # rare words matched lift the score well above the threshold: "涉及安全生产的问题怎么处理" 0.90 on 第二十一条 (0.78)
    assert small.keyword_sure <= 0.90 and decide(small_hits((0.90, 0.78), (0.7, 0.7)), small).kind == ANSWER
    two = decide(small_hits((0.84, 0.70), (0.83, 0.70)), small)  # offered to choose from, as before
    assert two.kind == CLARIFY and len(two.hits) == 2
    # a hit of unknown meaning (keyword mode, a chosen entry) is not floored, nor a notice without similar questions
    # matched on its body ("S227晚上货车能走吗" reaches 0.75 on the S227 notice)
    assert decide(hits(0.93, 0.2), small).kind == ANSWER
    notice = small_hits((0.895, 0.753), (0.6, 0.5))
    notice[0].paraphrased = False
    assert decide(notice, small).kind == ANSWER


def test_a_keyword_lifts_the_floor_only_when_most_of_the_question_is_matched():
    """ "公交车几点收班" scored 0.83 on 管理办法 第二条 ("出租车公交车的事12328管不管") from 公交车 alone — half the question's
    words — at a cosine of 0.75, and was answered with it: that is no strong keyword evidence, so the floor holds."""
    small = legacy_policy(0.8)
    half = small_hits((0.828, 0.753), (0.753, 0.767))
    half[0].coverage = 0.5
    d = decide(half, small)
    assert d.kind == REFUSE and "语义相似度0.75" in d.reason
    most = small_hits((0.828, 0.753), (0.753, 0.767))
    most[0].coverage = 2 / 3  # most words matched (a rare one among them): lifted, as before
    assert decide(most, small).kind == ANSWER


def test_a_small_kb_asks_to_confirm_an_entry_that_shares_few_of_the_questions_words():
    """ "网约车驾驶员证怎么办理" was answered with a 2022 news item on truck drivers' 通行证 (score 0.815, cosine 0.845,
    1 of its 5 words in the entry): a direct answer on so few shared words needs a higher score, else it is offered to
    confirm; a high score, or most words shared, still answers."""
    small = legacy_policy(0.8)
    thin = small_hits((0.815, 0.845), (0.5, 0.5))
    thin[0].coverage = 0.2
    d = decide(thin, small)
    assert d.kind == CLARIFY and [h.article_id for h in d.hits] == [1] and "20%" in d.reason
    thin[0].score = small.thin_sure + 0.01
    assert decide(thin, small).kind == ANSWER
    shared = small_hits((0.815, 0.845), (0.5, 0.5))
    shared[0].coverage = 0.6
    assert decide(shared, small).kind == ANSWER
    # a ranked (large) KB has its own calibrated certainty: the rule is the small KB's
    assert Policy().thin_coverage == 0 and decide(hits(0.9, 0.2), POLICY).kind == ANSWER
