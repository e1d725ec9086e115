from __future__ import annotations

import math

import pytest

from eval.metrics import (
    QAEvaluator,
    QuestionOutcome,
    TurnOutcome,
    abstention_precision_recall,
    answer_in_texts,
    bootstrap_ci,
    capped_contains,
    contains_answer,
    dedupe_ranking,
    exact_match,
    f1_score,
    hits_at_k,
    ndcg_at_k,
    normalize_answer,
    percentile,
    recall_at_k,
    reciprocal_rank_at_k,
)


class TestRetrievalMetrics:
    def test_dedupe_keeps_first_rank(self) -> None:
        assert dedupe_ranking(["a", "b", "a", "c", "b"]) == ["a", "b", "c"]

    def test_duplicate_chunks_of_one_article_do_not_push_others_down(self) -> None:
        ranking = dedupe_ranking(["x", "x", "x", "rel"])
        assert reciprocal_rank_at_k(ranking, {"rel"}, 10) == pytest.approx(0.5)
        assert hits_at_k(ranking, {"rel"}, 2) == 1.0

    def test_hits(self) -> None:
        assert hits_at_k(["a", "b", "c"], {"c"}, 2) == 0.0
        assert hits_at_k(["a", "b", "c"], {"c"}, 3) == 1.0

    def test_empty_retrieval_scores_zero(self) -> None:
        assert hits_at_k([], {"a"}, 10) == 0.0
        assert reciprocal_rank_at_k([], {"a"}, 10) == 0.0
        assert ndcg_at_k([], {"a"}, 10) == 0.0
        assert recall_at_k([], {"a"}, 10) == 0.0

    def test_mrr_uses_first_relevant_within_cutoff(self) -> None:
        assert reciprocal_rank_at_k(["a", "r1", "r2"], {"r1", "r2"}, 10) == pytest.approx(0.5)
        assert reciprocal_rank_at_k(["a", "b", "r"], {"r"}, 2) == 0.0

    def test_ndcg_hand_computed(self) -> None:
        # relevant at ranks 2 and 3 of 2 relevant: (1/log2(3) + 1/log2(4)) / (1 + 1/log2(3))
        expected = (1 / math.log2(3) + 0.5) / (1 + 1 / math.log2(3))
        assert ndcg_at_k(["x", "r1", "r2"], {"r1", "r2"}, 10) == pytest.approx(expected)

    def test_ndcg_ideal_capped_at_k(self) -> None:
        # 3 relevant, k=1, relevant at rank 1: ideal DCG has one term only, so nDCG is 1.
        assert ndcg_at_k(["r1", "r2"], {"r1", "r2", "r3"}, 1) == pytest.approx(1.0)

    def test_recall(self) -> None:
        assert recall_at_k(["r1", "x", "r3"], {"r1", "r2", "r3", "r4"}, 10) == pytest.approx(0.5)

    def test_answer_in_texts_casefolds(self) -> None:
        assert answer_in_texts(["The NANGARHAR province"], ["Nangarhar"])
        assert not answer_in_texts(["Kabul"], ["Nangarhar"])
        assert not answer_in_texts([], ["Nangarhar"])


class TestAnswerMetrics:
    def test_normalize_squad(self) -> None:
        assert normalize_answer("The  Nangarhar, province!") == "nangarhar province"
        assert normalize_answer("Kabul’s collapse") == "kabuls collapse"
        assert normalize_answer("an apple a day") == "apple day"

    def test_exact_match_max_over_golds(self) -> None:
        assert exact_match("the Denver Falcons.", ["Tulsa Hawks", "Denver Falcons"]) == 1.0
        assert exact_match("Denver", ["Denver Falcons"]) == 0.0

    def test_f1_hand_computed(self) -> None:
        # pred tokens {bill, urban, said}, gold {bill, urban}: P=2/3, R=1 -> F1=0.8
        assert f1_score("Bill Urban said", ["Bill Urban"]) == pytest.approx(0.8)
        assert f1_score("Bill Urban said", ["x", "Bill Urban"]) == pytest.approx(0.8)
        assert f1_score("anything", []) == 0.0

    def test_f1_tie_between_golds_gives_that_score(self) -> None:
        assert f1_score("13 troops", ["13", "troops"]) == pytest.approx(2 / 3)

    def test_contains_is_whole_token(self) -> None:
        assert contains_answer("It was over 100 people.", ["Over 100"]) == 1.0
        assert contains_answer("1300 people", ["13"]) == 0.0
        assert contains_answer("", ["13"]) == 0.0

    def test_contains_cap_counts_words_of_the_answer(self) -> None:
        ten = "the ferry left the harbour at dawn for Lampedusa island"
        assert capped_contains(ten, ["Lampedusa"]) == 1.0
        assert capped_contains(ten + " again", ["Lampedusa"], max_words=10) == 0.0
        assert capped_contains(ten + " again", ["Lampedusa"], max_words=11) == 1.0


class TestAggregates:
    def test_percentile_interpolates(self) -> None:
        assert percentile([10.0, 20.0, 30.0, 40.0], 50) == pytest.approx(25.0)
        assert percentile([5.0, 5.0, 5.0], 95) == pytest.approx(5.0)
        assert percentile([], 50) is None

    def test_abstention_precision_recall(self) -> None:
        # (abstained, answerable)
        pairs = [(True, False), (True, True), (False, False), (False, True), (True, False)]
        precision, recall = abstention_precision_recall(pairs)
        assert precision == pytest.approx(2 / 3)
        assert recall == pytest.approx(2 / 3)

    def test_abstention_none_when_not_applicable(self) -> None:
        assert abstention_precision_recall([(False, True)]) == (None, None)


def outcome(qid: str, **kwargs: object) -> QuestionOutcome:
    base: dict[str, object] = {
        "question_id": qid,
        "answers": ["Nangarhar"],
        "relevant_article_ids": ["a"],
        "answerable": True,
        "retrieved_article_ids": [],
        "retrieved_texts": [],
    }
    base.update(kwargs)
    return QuestionOutcome(**base)  # type: ignore[arg-type]


class TestQAEvaluator:
    def test_primary_metric(self) -> None:
        assert QAEvaluator.primary_metric == "mrr@10"

    def test_retrieval_only_answers_are_none(self) -> None:
        row = QAEvaluator()(
            [outcome("q1", retrieved_article_ids=["b", "a"], retrieved_texts=["x", "in Nangarhar"])]
        )
        assert row["hits@1"] == 0.0
        assert row["hits@5"] == 1.0
        assert row["mrr@10"] == pytest.approx(0.5)
        assert row["answer_recall@10"] == 1.0
        for key in ("answer_em", "answer_f1", "citation_support", "citation_integrity", "mc_accuracy"):
            assert row[key] is None, key
        assert row["abstain_precision"] is None
        assert row["followup_accuracy"] is None

    def test_wrong_abstention_counts_as_wrong(self) -> None:
        row = QAEvaluator()(
            [
                outcome("q1", answer="Nangarhar", abstained=False, cited_quotes=["in Nangarhar province"]),
                outcome("q2", answer="Nangarhar", abstained=True),
            ]
        )
        assert row["answer_em"] == pytest.approx(0.5)
        assert row["citation_support"] == pytest.approx(0.5)
        assert row["abstain_precision"] == 0.0
        assert row["abstain_recall"] is None

    def test_unanswerable_questions_excluded_from_retrieval(self) -> None:
        row = QAEvaluator()(
            [outcome("u", answerable=False, answers=[], relevant_article_ids=[], answer="", abstained=True)]
        )
        assert row["hits@1"] is None
        assert row["answer_em"] is None
        assert row["abstain_precision"] == 1.0
        assert row["abstain_recall"] == 1.0

    def test_citation_integrity_over_all_citations(self) -> None:
        row = QAEvaluator()(
            [
                outcome("q1", answer="x", abstained=False, citations_checked=3, citations_exact=3),
                outcome("q2", answer="y", abstained=False, citations_checked=1, citations_exact=0),
            ]
        )
        assert row["citation_integrity"] == pytest.approx(0.75)

    def test_mc_accuracy_only_over_questions_with_choices(self) -> None:
        row = QAEvaluator()(
            [
                outcome("q1", answer="x", abstained=False, choice_correct=True),
                outcome("q2", answer="x", abstained=False, choice_correct=None),
            ]
        )
        assert row["mc_accuracy"] == 1.0

    def test_followup_accuracy(self) -> None:
        turns = [
            TurnOutcome("c1", 1, ["13"], "13 service members", False),
            TurnOutcome("c1", 2, [], "Not in the articles", True),
            TurnOutcome("c2", 1, ["22"], "22", True),
        ]
        assert QAEvaluator()([], turns)["followup_accuracy"] == pytest.approx(2 / 3)

    def test_contains_capped_at_ten_words_uncapped_beside_it(self) -> None:
        twelve = "officials said on Tuesday that the ferry was bound for Lampedusa island"
        assert len(twelve.split()) == 12
        row = QAEvaluator()(
            [
                outcome("q1", answers=["Lampedusa"], answer=twelve, abstained=False),
                outcome("q2", answers=["Lampedusa"], answer="Lampedusa", abstained=False),
            ]
        )
        assert row["answer_contains"] == pytest.approx(0.5)  # the long answer is not credited
        assert row["answer_contains_uncapped"] == 1.0
        assert (
            QAEvaluator(max_contains_words=12)(
                [outcome("q1", answers=["Lampedusa"], answer=twelve, abstained=False)]
            )["answer_contains"]
            == 1.0
        )


class TestBootstrapInterval:
    def test_same_seed_same_interval_and_narrower_with_more_data(self) -> None:
        few = [1.0, 0.0] * 5
        many = [1.0, 0.0] * 100
        assert bootstrap_ci(few) == bootstrap_ci(few)
        low_few, high_few = bootstrap_ci(few)  # type: ignore[misc]
        low_many, high_many = bootstrap_ci(many)  # type: ignore[misc]
        assert low_few < low_many < 0.5 < high_many < high_few

    def test_constant_values_have_no_spread(self) -> None:
        assert bootstrap_ci([1.0] * 7) == (1.0, 1.0)

    def test_bad_level_is_refused(self) -> None:
        with pytest.raises(ValueError, match="level"):
            bootstrap_ci([1.0], level=1.5)

    def test_latency_percentiles(self) -> None:
        row = QAEvaluator()([outcome("q1", latency_ms=10.0), outcome("q2", latency_ms=30.0)])
        assert row["latency_ms_p50"] == pytest.approx(20.0)

    def test_rejects_bad_cutoffs(self) -> None:
        with pytest.raises(ValueError):
            QAEvaluator(k_values=(0,))
