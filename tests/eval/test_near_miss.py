"""Near-miss training questions: the articles that mention the answer are withheld from retrieval."""

from __future__ import annotations

import pytest

from eval.evalsets import EvalQuestion
from eval.near_miss import ArticlesWithheld, articles_mentioning, near_miss_rows
from eval.train import _row
from newsqa.types import Article
from qa.retrieval.search import SearchPipeline


def _question(qid: str, question: str, answers: list[str], answerable: bool = True) -> EvalQuestion:
    return EvalQuestion(qid, question, "2022-09-09", answers, [], answerable)


def test_an_article_mentions_an_answer_only_as_whole_words_in_any_case() -> None:
    texts = {
        "named": "Mayor Lena Ashby opened the bridge on Friday.",
        "longer-word": "The Ashbys moved to the harbour town last year.",
        "shouted": "ASHBY SAID NOTHING ABOUT THE BRIDGE.",
        "other": "The ferry to Port Elm was cancelled.",
    }
    assert articles_mentioning(["Ashby"], texts) == {"named", "shouted"}
    assert articles_mentioning(["Port Elm", "nobody"], texts) == {"other"}
    assert articles_mentioning(["  ", ""], texts) == set()


def test_withheld_articles_leave_the_results_only_while_withheld(fake_news_answerer) -> None:
    search = ArticlesWithheld(fake_news_answerer.search)
    query = "Who became king after Queen Margit of Norway died?"

    def articles() -> set[str]:
        return {h.chunk.article_id for h in search.search(query, as_of="2022-09-09", k=10).hits}

    assert "monarch" in articles()
    with search.withholding({"monarch"}):
        during = articles()
    assert "monarch" not in during and during
    assert "monarch" in articles()


def test_only_the_reranked_mode_can_withhold(make_fake_store) -> None:
    store, embedder = make_fake_store()
    with pytest.raises(ValueError, match="'ours'"):
        ArticlesWithheld(SearchPipeline(store, embedder, mode="bm25"))


def test_near_miss_rows_are_unanswerable_asks_without_the_answer(
    fake_news_answerer, search_articles: list[Article]
) -> None:
    texts = {a.id: f"{a.title}\n{a.text}" for a in search_articles}
    questions = [
        _question("king", "Who became king after Queen Margit died?", ["Peter III"]),
        _question("nowhere", "Who won the sailing regatta?", ["Ingrid Sol"]),  # no article names her
        _question("unanswerable", "Who is the mayor of Spokane?", [], answerable=False),
    ]
    original = fake_news_answerer.search
    rows = near_miss_rows(fake_news_answerer, questions, texts, _row)
    assert fake_news_answerer.search is original
    assert [r["id"] for r in rows] == ["king"]
    row = rows[0]
    assert row["near_miss"] and not row["answerable"] and row["label"] == 0 and row["kind"] == "free"
    assert "peter iii" not in row["candidate"].lower()
    assert set(row["features"]) >= {"extractor_confidence", "retrieval_support"}
