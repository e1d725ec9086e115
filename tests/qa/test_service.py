"""`Answerer.ask`/`ask_stream`: input checks, time, abstentions, debug output, the answer shape."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from index.embedder import FakeEmbedder
from index.store import ArticleStore
from newsqa.errors import InvalidInput, LLMNotConfigured
from newsqa.settings import Settings
from newsqa.types import AnswerEvent, Filters, TokenEvent
from qa.build import build_answerer
from qa.question.timeparse import parse_as_of
from qa.retrieval.rerank import retrieval_support
from qa.retrieval.search import SearchPipeline
from qa.service import Answerer

AS_OF = "2021-08-28"


class TestInputChecks:
    @pytest.mark.parametrize("question", ["", "   ", "\n\t", "\x00\x01"])
    def test_empty_question(self, seed_answerer: Answerer, question: str) -> None:
        with pytest.raises(InvalidInput, match="empty"):
            seed_answerer.ask(question, as_of=AS_OF)

    def test_too_long_question(self, seed_answerer: Answerer) -> None:
        with pytest.raises(InvalidInput, match="limit is 2000"):
            seed_answerer.ask("Who " + "x" * 2100 + "?", as_of=AS_OF)

    @pytest.mark.parametrize("value", ["28/08/2021", "2021-13-01", "yesterday", "2021-8-28"])
    def test_bad_as_of_names_the_value(self, seed_answerer: Answerer, value: str) -> None:
        with pytest.raises(InvalidInput, match=value.replace("/", ".")):
            seed_answerer.ask("Who is the spokesman?", as_of=value)

    def test_as_of_forms(self) -> None:
        assert parse_as_of("2021-08-28") == date(2021, 8, 28)
        assert parse_as_of(date(2021, 8, 28)) == date(2021, 8, 28)
        assert isinstance(parse_as_of(None), date)

    def test_bad_top_k(self, seed_answerer: Answerer) -> None:
        with pytest.raises(InvalidInput, match="top_k"):
            seed_answerer.ask("Who is the spokesman?", as_of=AS_OF, top_k=0)

    def test_control_characters_are_stripped(self, seed_answerer: Answerer) -> None:
        answer = seed_answerer.ask("Who is the spokesman\x00 for US Central\x07 Command?", as_of=AS_OF)
        assert answer.query.rewritten == "Who is the spokesman for US Central Command?"
        assert answer.answer == "Bill Urban"


class TestAbstentions:
    def test_other_language_abstains_clearly(self, seed_answerer: Answerer) -> None:
        for question in ("¿Quién llevó a cabo el ataque con drones?", "谁发动了无人机袭击？"):
            answer = seed_answerer.ask(question, as_of=AS_OF)
            assert answer.abstained
            assert "English" in answer.answer

    def test_empty_index(self, tmp_path: Path, spacy_parser) -> None:
        embedder = FakeEmbedder(dim=32)
        store = ArticleStore(tmp_path, dim=embedder.dim, model_id=embedder.model_id)
        answerer = Answerer(store, embedder, SearchPipeline(store, embedder), nlp=spacy_parser)
        answer = answerer.ask("Who won?", as_of=AS_OF)
        assert answer.abstained
        assert answer.answer.startswith("The index is empty")

    def test_filter_matching_nothing(self, seed_answerer: Answerer) -> None:
        answer = seed_answerer.ask(
            "Who is the spokesman?", as_of=AS_OF, filters=Filters(sources=["nowhere.example"])
        )
        assert answer.abstained
        assert "filters" in answer.answer

    def test_as_of_before_the_article(self, seed_answerer: Answerer) -> None:
        answer = seed_answerer.ask("Who is the spokesman for US Central Command?", as_of="2020-01-01")
        assert answer.abstained

    def test_abstention_lists_related_passages(
        self, seed_answerer: Answerer, seed_store: ArticleStore
    ) -> None:
        answer = seed_answerer.ask("What does the New Energy Vehicle policy do?", as_of=AS_OF)
        assert answer.abstained
        assert answer.answer == "The indexed articles don't say what does the New Energy Vehicle policy do."
        assert 1 <= len(answer.related) <= 3
        text = seed_store.get_article(answer.related[0].article_id).text
        assert answer.related[0].quote == text[answer.related[0].start : answer.related[0].end]


class TestUndatedArticles:
    def test_raw_capture_without_a_date_still_answers_today(
        self, tmp_path: Path, search_embedder, spacy_parser
    ) -> None:
        # The demo corpus: the seed page capture has no date line, the other articles are dated.
        from index.pipeline import build_ingestor

        settings = Settings(data_dir=tmp_path)
        store = ArticleStore(tmp_path, dim=search_embedder.dim, model_id=search_embedder.model_id)
        demo = Path(__file__).resolve().parents[2] / "data" / "demo"
        dated = tmp_path / "dated.jsonl"
        dated.write_text("".join((demo / "articles.jsonl").read_text().splitlines(keepends=True)[:8]))
        summary = build_ingestor(settings, search_embedder, store).ingest(
            [str(demo / "dawn-us-drone-strike-nangarhar.txt"), str(dated)]
        )
        assert summary.added >= 8
        answerer = Answerer(store, search_embedder, SearchPipeline(store, search_embedder), nlp=spacy_parser)
        answer = answerer.ask("In which Afghan province did the unmanned airstrike take place?", debug=True)
        assert answer.retrieved and answer.retrieved[0].chunk.published is None
        assert not answer.abstained
        assert answer.answer == "Nangarhar"


class TestAnswerShape:
    def test_to_dict_shape(self, seed_answerer: Answerer) -> None:
        out = seed_answerer.ask("Who is the spokesman for US Central Command?", as_of=AS_OF).to_dict()
        assert set(out) == {
            "answer",
            "answer_text",
            "confidence",
            "abstained",
            "citations",
            "related",
            "query",
            "timings_ms",
        }
        assert out["answer_text"].startswith(out["answer"] + ": “") and out["answer_text"].endswith("[1]")
        assert 0.0 < out["confidence"] <= 1.0
        assert set(out["citations"][0]) == {
            "n",
            "article_id",
            "title",
            "source",
            "url",
            "published",
            "quote",
            "start",
            "end",
            "score",
            "also_reported_by",
            "passage",
            "passage_start",
        }
        assert out["query"]["as_of"] == AS_OF
        assert out["query"]["rewritten"] == "Who is the spokesman for US Central Command?"
        assert {"retrieve", "answer", "total"} <= set(out["timings_ms"])

    def test_debug_has_ranked_hits_and_confidence(self, seed_answerer: Answerer) -> None:
        out = seed_answerer.ask(
            "Who is the spokesman for US Central Command?", as_of=AS_OF, debug=True
        ).to_dict()
        assert len(out["retrieved"]) >= 5  # the seed article has 7 chunks; a big index gives >= 10
        assert all("scores" in h and h["scores"] for h in out["retrieved"])
        assert 0.0 <= out["confidence"] <= 1.0

    def test_history_rewrites_the_query(self, seed_answerer: Answerer) -> None:
        history = [
            {"role": "user", "content": "Who is the spokesperson for the US Central Command?"},
            {"role": "assistant", "content": "Bill Urban"},
        ]
        answer = seed_answerer.ask(
            "In which province did he say the airstrike occurred?", history=history, as_of=AS_OF
        )
        assert "Bill Urban" in answer.query.rewritten
        assert answer.answer == "Nangarhar"

    def test_readable_history_gives_its_short_answer_to_the_query(self, seed_answerer: Answerer) -> None:
        readable = (
            "Nangarhar: \u201cThe unmanned airstrike occurred in the Nangarhar province of Afghanistan,\u201d"
            " Captain Urban said. [1]\n\nSources:\n[1] US drone strike targets ISIS-K planner \u2014 dawn.com"
        )
        history = [
            {"role": "user", "content": "Where did the unmanned US strike on the ISIS-K planner land?"},
            {"role": "assistant", "content": readable},
        ]
        answer = seed_answerer.ask("Which country is it in?", history=history, as_of=AS_OF)
        assert answer.query.rewritten.startswith("Which country is Nangarhar in")
        assert "[" not in answer.query.rewritten and "Captain" not in answer.query.rewritten
        assert answer.answer == "Afghanistan"

    def test_threshold_decides_abstention(self, seed_answerer: Answerer) -> None:
        question = "Why has the Biden administration appeared to cooperate with the Taliban?"
        confidence = seed_answerer.ask(question, as_of=AS_OF, debug=True).confidence
        assert confidence is not None and 0.0 < confidence < 1.0
        for threshold, abstains in ((confidence - 0.01, False), (min(1.0, confidence + 0.01), True)):
            answerer = _same_services(seed_answerer, abstain_threshold=threshold)
            assert answerer.ask(question, as_of=AS_OF).abstained is abstains

    def test_weak_best_passage_decides_abstention(self, seed_answerer: Answerer) -> None:
        question = "Who is the spokesman for US Central Command?"
        answer = seed_answerer.ask(question, as_of=AS_OF, debug=True)
        assert not answer.abstained and answer.retrieved
        support = retrieval_support(answer.retrieved, timed=False)
        assert support is not None
        for minimum, abstains in ((support - 0.01, False), (support + 0.01, True)):
            result = _same_services(seed_answerer, min_retrieval_score=minimum).ask(question, as_of=AS_OF)
            assert result.abstained is abstains
            assert bool(result.citations) is not abstains
            assert bool(result.related) or not abstains  # an abstention shows the closest passages


def _same_services(answerer: Answerer, **options: Any) -> Answerer:
    """Another Answerer over the same store, embedder, search and spaCy, with other thresholds."""
    return Answerer(answerer.store, answerer.embedder, answerer.search, nlp=answerer.parser, **options)


class TestReadableAnswers:
    def test_a_relative_date_answer_reads_with_its_calendar_date(self, news_answerer: Answerer) -> None:
        # The story, published on Wednesday 2022-09-07, says the game was "on Tuesday".
        answer = news_answerer.ask("When did Maya Lindqvist play her final game?", as_of="2022-12-01")
        assert answer.answer == "Tuesday"
        assert answer.answer_text == f"Tuesday (Sept. 6, 2022): “{answer.citations[0].quote}” [1]"

    def test_generative_mode_without_an_llm_says_so(self, seed_answerer: Answerer) -> None:
        assert seed_answerer.llm is None
        with pytest.raises(LLMNotConfigured, match="NEWSQA_LLM_URL"):
            seed_answerer.ask("Who is the spokesman?", as_of=AS_OF, mode="generative")
        with pytest.raises(LLMNotConfigured):
            next(seed_answerer.ask_stream("Who is the spokesman?", as_of=AS_OF, mode="generative"))


class TestStream:
    def test_tokens_then_answer(self, seed_answerer: Answerer) -> None:
        events = list(seed_answerer.ask_stream("Who is the spokesman for US Central Command?", as_of=AS_OF))
        assert isinstance(events[-1], AnswerEvent)
        assert all(isinstance(e, TokenEvent) for e in events[:-1])
        tokens = [e.text for e in events[:-1] if isinstance(e, TokenEvent)]
        assert "".join(tokens).strip() == events[-1].answer.answer == "Bill Urban"


class _CountingEmbedder(FakeEmbedder):
    def __init__(self) -> None:
        super().__init__(dim=32)
        self.queries = 0

    def embed_query(self, text: str):
        self.queries += 1
        return super().embed_query(text)


class TestBuildAnswerer:
    def test_shares_the_given_embedder_and_store_and_warms_up(self, tmp_path: Path, spacy_parser) -> None:
        embedder = _CountingEmbedder()
        store = ArticleStore(tmp_path, dim=embedder.dim, model_id=embedder.model_id)
        answerer = build_answerer(
            Settings(data_dir=tmp_path), embedder=embedder, store=store, nlp=spacy_parser
        )
        assert answerer.store is store
        assert answerer.embedder is embedder
        assert answerer.search.store is store
        assert embedder.queries == 1  # the warm-up query: the first real question does not pay for it
        assert answerer.ask("Who won?", as_of=AS_OF).answer.startswith("The index is empty")


class TestAnswerCache:
    def test_repeated_question_is_served_from_the_cache_until_the_articles_change(
        self, make_fake_store, search_articles, spacy_parser
    ) -> None:
        store, _ = make_fake_store(search_articles[:3])
        embedder = _CountingEmbedder()
        answerer = Answerer(store, embedder, SearchPipeline(store, embedder), nlp=spacy_parser)
        question = "Who needed a medical timeout?"
        first = answerer.ask(question, as_of="2022-07-10")
        again = answerer.ask(question, as_of="2022-07-10")
        assert embedder.queries == 1
        assert again.to_dict()["answer"] == first.to_dict()["answer"]
        assert again.citations == first.citations
        assert "cache_lookup" in again.timings_ms and "cache_lookup" not in first.timings_ms
        again.citations.clear()  # callers get copies
        assert answerer.ask(question, as_of="2022-07-10").citations == first.citations

        answerer.ask(question, as_of="2022-07-11")  # another as-of date: asked anew
        answerer.ask(question, as_of="2022-07-10", choices=["Marsh", "Brook"])
        answerer.ask(question, as_of="2022-07-10", debug=True)  # debug output is never cached
        assert embedder.queries == 4

        assert store.delete_article(search_articles[2].id)  # a write: every cached answer is stale
        answerer.ask(question, as_of="2022-07-10")
        assert embedder.queries == 5

    def test_size_zero_turns_it_off(self, make_fake_store, spacy_parser) -> None:
        store, _ = make_fake_store()
        embedder = _CountingEmbedder()
        answerer = Answerer(
            store, embedder, SearchPipeline(store, embedder), nlp=spacy_parser, answer_cache_size=0
        )
        for _ in range(2):
            answerer.ask("Who needed a medical timeout?", as_of="2022-07-10")
        assert embedder.queries == 2
