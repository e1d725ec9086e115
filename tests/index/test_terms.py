"""Passage terms: the stems and sentences the reranker matches questions against."""

from __future__ import annotations

from index.terms import PassageTerms, passage_terms, stem_words


class TestPassageTerms:
    def test_stems_by_sentence_with_stop_words_kept(self) -> None:
        terms = passage_terms("Sue Bird's team won.\nThe Storm played in Seattle! Fans cheered.")
        assert terms.flat == (
            "sue",
            "bird",
            "team",
            "won",
            "the",
            "storm",
            "play",
            "in",
            "seattl",
            "fan",
            "cheer",
        )
        assert terms.sentence_of == (0, 0, 0, 0, 1, 1, 1, 1, 1, 2, 2)
        assert terms.stems == frozenset(terms.flat)

    def test_empty_text(self) -> None:
        terms = passage_terms("")
        assert terms == PassageTerms((), (), frozenset())
        assert terms.best_sentence({"storm": 1.0}) == 0.0
        assert terms.pairs_from({"storm"}) == set()

    def test_best_sentence_counts_distinct_question_stems_within_one_sentence(self) -> None:
        terms = passage_terms("Storm storm storm. Bird played for the Storm.")
        weights = {"storm": 1.0, "bird": 2.0, "play": 1.0, "seattl": 5.0}
        assert terms.best_sentence(weights) == 4.0  # the second sentence; repeats count once
        assert terms.best_sentence({"seattl": 5.0}) == 0.0

    def test_pairs_from_start_with_the_given_stems(self) -> None:
        terms = passage_terms("Sue Bird and Sue Wicks. Bird flew.")
        assert terms.pairs_from({"sue"}) == {("sue", "bird"), ("sue", "wick")}
        assert terms.pairs_from({"wick"}) == {("wick", "bird")}  # pairs run across sentences
        assert terms.pairs_from({"absent"}) == set()

    def test_stem_words_drops_possessives(self) -> None:
        assert stem_words(["bird's", "bird’s", "birds"]) == ["bird", "bird", "bird"]
