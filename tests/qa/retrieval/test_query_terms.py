"""A question read for retrieval (`analyze_query`)."""

from __future__ import annotations

from qa.retrieval.query_terms import analyze_query
from tests.qa.retrieval.test_rerank import QUESTION


class TestAnalyzeQuery:
    def test_boilerplate_dropped_names_repeated(self) -> None:
        q = analyze_query(QUESTION)
        words = q.lexical_query.split()
        assert "week" not in words and "Which" not in words and "this" not in words
        assert words.count("Vale") == 2 and words.count("PBL") == 2 and words.count("team") == 1
        assert q.weights["vale"] == 2.0 and q.weights["team"] == 1.0

    def test_entities_are_name_runs_not_sentence_openers(self) -> None:
        q = analyze_query(QUESTION)
        assert ("nora", "vale") in q.entities
        assert all("veteran" not in run for run in q.entities)
        q = analyze_query("Ana Ruiz wore a gown at the Met Gala. Who designed it?")
        assert ("met", "gala") in q.entities  # the run stops at the sentence end, before "Who"

    def test_numbers_are_entities(self) -> None:
        q = analyze_query("Which of the following bakeries won the county bread prize in 2022?")
        assert ("2022",) in q.entities
        assert "following" not in q.lexical_query

    def test_bigrams_of_adjacent_content_words(self) -> None:
        q = analyze_query("the flood repair loan payment freeze")
        assert {("repair", "loan"), ("loan", "payment")} <= q.bigrams
