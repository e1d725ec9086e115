"""Passage terms: the stems and sentences the reranker matches questions against."""

from __future__ import annotations

import numpy as np
import pytest

from index.terms import PassageTerms, TermTable, pair_code, passage_terms


class TestPassageTerms:
    def test_stems_by_sentence_with_stop_words_kept(self) -> None:
        terms = passage_terms("Nora Vale's team won.\nThe Herons played in Portland! Fans cheered.")
        assert terms.flat == (
            "nora",
            "vale",
            "team",
            "won",
            "the",
            "heron",
            "play",
            "in",
            "portland",
            "fan",
            "cheer",
        )
        assert terms.sentence_of == (0, 0, 0, 0, 1, 1, 1, 1, 1, 2, 2)
        assert terms.stems == frozenset(terms.flat)

    def test_empty_text(self) -> None:
        terms = passage_terms("")
        assert terms == PassageTerms((), (), frozenset())

    def test_every_stop_ends_a_sentence_abbreviations_included(self) -> None:
        # The reranker's sentences: lower-cased words, cut as every stored index was cut.
        terms = passage_terms("Gov. Ada Park spoke... then left. e.g. this")
        assert terms.flat == ("gov", "ada", "park", "spoke", "then", "left", "e.g", "this")
        assert terms.sentence_of == (0, 1, 1, 1, 2, 2, 3, 4)


class TestTermTable:
    VOCAB = {"nora": 0, "vale": 1, "heron": 2, "play": 3}

    def test_stored_ids_and_computed_terms_end_to_end(self) -> None:
        stored = (np.array([0, 1, 3, 2]), np.array([2, 2]))  # "Nora Vale. Play Herons."
        table = TermTable.build([stored, passage_terms("Vale flew")], self.VOCAB)
        assert table.n_passages == 2
        assert table.token_passage.tolist() == [0, 0, 0, 0, 1, 1]
        assert table.token_sentence.tolist() == [0, 0, 1, 1, 2, 2]
        assert table.sentence_passage.tolist() == [0, 0, 1]
        assert table.id_of("vale") == 1
        flew = table.id_of("flew")
        assert flew is not None and flew < 0  # not in the shared vocabulary: never one of its ids
        assert table.ids.tolist() == [0, 1, 3, 2, 1, flew]
        assert table.id_of("absent") is None

    def test_pairs_stay_within_a_passage(self) -> None:
        table = TermTable.build([passage_terms("Fans of Nora"), passage_terms("Vale played")], self.VOCAB)
        codes, passages = table.pair_codes()
        nora, vale = table.id_of("nora"), table.id_of("vale")
        assert pair_code(np.array([nora]), np.array([vale]))[0] not in codes.tolist()
        assert len(codes) == len(passages) == 3  # fan-of, of-nora, vale-play

    def test_refuses_ids_and_lengths_that_disagree(self) -> None:
        with pytest.raises(ValueError, match="disagree"):
            TermTable.build([(np.array([0, 1]), np.array([3]))], self.VOCAB)
