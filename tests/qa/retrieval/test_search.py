"""SearchPipeline over a real Chroma store with the real embedding model: modes, time, filters."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import date

import pytest

from index.embedder import Embedder, FakeEmbedder
from index.store import ArticleStore
from newsqa.errors import InvalidInput
from newsqa.types import Filters
from qa.question.timeparse import AS_OF_MAX, AS_OF_MIN, TimeWindow
from qa.retrieval.search import TIMING_KEYS, SearchPipeline, SearchResult, cut_off, within

AS_OF = date(2022, 12, 1)


@pytest.fixture(scope="module")
def pipelines(search_store: ArticleStore, search_embedder: Embedder) -> dict[str, SearchPipeline]:
    return {
        mode: SearchPipeline(search_store, search_embedder, mode=mode, candidates=20)  # type: ignore[arg-type]
        for mode in ("dense", "bm25", "hybrid", "ours")
    }


def articles(result: SearchResult) -> list[str]:
    return [h.chunk.article_id for h in result.hits]


class TestModes:
    @pytest.mark.parametrize("mode", ["dense", "bm25", "hybrid", "ours"])
    def test_every_mode_finds_the_article(self, pipelines: dict[str, SearchPipeline], mode: str) -> None:
        result = pipelines[mode].search("Which team did Maya Lindqvist play for?", as_of=AS_OF, k=3)
        assert articles(result)[0] == "final-game"
        assert len(result.hits) <= 3
        assert set(result.timings_ms) == set(TIMING_KEYS)

    def test_stage_scores_are_kept(self, pipelines: dict[str, SearchPipeline]) -> None:
        hit = pipelines["ours"].search("Which team did Maya Lindqvist play for?", as_of=AS_OF).hits[0]
        assert {"dense", "bm25", "fusion", "rerank", "time"} <= set(hit.scores)
        assert hit.score == hit.scores["rerank"]
        hybrid = pipelines["hybrid"].search("Which team did Maya Lindqvist play for?", as_of=AS_OF).hits[0]
        assert hybrid.score == pytest.approx(hybrid.scores["fusion"])

    def test_timings_are_measured(self, pipelines: dict[str, SearchPipeline]) -> None:
        timings = pipelines["ours"].search("Spokane power outage", as_of=AS_OF).timings_ms
        assert timings["embed"] > 0 and timings["dense"] > 0 and timings["lexical"] > 0
        assert pipelines["bm25"].search("Spokane power outage", as_of=AS_OF).timings_ms["embed"] == 0.0

    def test_config_checked(self, search_store: ArticleStore, search_embedder: Embedder) -> None:
        with pytest.raises(InvalidInput, match="search mode"):
            SearchPipeline(search_store, search_embedder, mode="magic")  # type: ignore[arg-type]
        with pytest.raises(InvalidInput, match="candidates"):
            SearchPipeline(search_store, search_embedder, candidates=0)
        with pytest.raises(InvalidInput, match="grace"):
            SearchPipeline(search_store, search_embedder, as_of_grace_days=-1)

    def test_bad_requests(self, pipelines: dict[str, SearchPipeline]) -> None:
        with pytest.raises(InvalidInput, match="empty"):
            pipelines["ours"].search("  ", as_of=AS_OF)
        with pytest.raises(InvalidInput, match="k must be"):
            pipelines["ours"].search("q", as_of=AS_OF, k=0)


class TestTime:
    def test_nothing_after_as_of(self, pipelines: dict[str, SearchPipeline]) -> None:
        for mode, pipeline in pipelines.items():
            result = pipeline.search(
                "Whitfield flood repair loan payment freeze extended", as_of=date(2022, 9, 10), k=10
            )
            assert "pause-new" not in articles(result), mode
            assert "pause-old" in articles(result), mode
            assert result.filters.published_to == "2022-09-11"  # one day of grace

    def test_newer_article_preferred_when_both_are_visible(
        self, pipelines: dict[str, SearchPipeline]
    ) -> None:
        result = pipelines["ours"].search("flood repair loan payment freeze", as_of=AS_OF, k=2)
        assert articles(result)[0] == "pause-new"

    def test_explicit_month_filters(self, pipelines: dict[str, SearchPipeline]) -> None:
        result = pipelines["ours"].search("What was extended in December 2021?", as_of=AS_OF, k=5)
        assert result.time_window == ("2021-12-01", "2021-12-31")
        assert result.time_strength == "filter"
        assert result.filters.published_from == "2021-12-01"
        assert set(articles(result)) == {"pause-old"}

    def test_explicit_window_without_articles_falls_back(self, pipelines: dict[str, SearchPipeline]) -> None:
        result = pipelines["ours"].search("Who played her final game in March 2020?", as_of=AS_OF, k=3)
        assert result.time_window == ("2020-03-01", "2020-03-31")
        assert result.time_strength == "boost"
        assert result.filters.published_from is None
        assert articles(result)[0] == "final-game"

    def test_explicit_dates_as_boost(self, search_store: ArticleStore, search_embedder: Embedder) -> None:
        pipeline = SearchPipeline(search_store, search_embedder, explicit_dates="boost")
        result = pipeline.search("What was extended in December 2021?", as_of=AS_OF, k=6)
        assert result.time_strength == "boost"
        assert result.filters.published_from is None
        assert len(set(articles(result))) > 1

    def test_relative_window_boosts_without_filtering(self, pipelines: dict[str, SearchPipeline]) -> None:
        result = pipelines["ours"].search("Who died this week?", as_of=date(2022, 9, 9), k=6)
        assert result.time_window == ("2022-09-03", "2022-09-09")
        assert result.time_strength == "boost"
        assert result.filters.published_from is None
        assert articles(result)[0] in {"monarch", "final-game"}
        assert "outage" in articles(result)  # outside the week, still visible

    def test_as_of_formats(self, pipelines: dict[str, SearchPipeline]) -> None:
        result = pipelines["bm25"].search("power", as_of="2022-09-01T12:00:00Z")
        assert result.filters.published_to == "2022-09-02"

    def test_no_grace(self, search_store: ArticleStore, search_embedder: Embedder) -> None:
        pipeline = SearchPipeline(search_store, search_embedder, mode="bm25", as_of_grace_days=0)
        result = pipeline.search("Queen Margit", as_of=date(2022, 9, 7))
        assert "monarch" not in articles(result)  # published 2022-09-08
        assert result.filters.published_to == "2022-09-07"


class TestFilters:
    @pytest.mark.parametrize("mode", ["dense", "bm25", "hybrid", "ours"])
    def test_sources(self, pipelines: dict[str, SearchPipeline], mode: str) -> None:
        result = pipelines[mode].search(
            "flood repair loans", as_of=AS_OF, filters=Filters(sources=["usatoday.com"])
        )
        assert result.hits
        assert {h.chunk.source for h in result.hits} == {"usatoday.com"}
        assert result.filters.sources == ["usatoday.com"]

    def test_callers_earlier_limit_wins(self) -> None:
        assert cut_off(Filters(published_to="2022-01-01"), AS_OF).published_to == "2022-01-01"
        assert cut_off(Filters(published_to="2023-01-01"), AS_OF).published_to == "2022-12-01"

    def test_window_intersection_and_lag(self) -> None:
        window = TimeWindow(date(2022, 11, 1), date(2022, 11, 1), "Nov. 1", "filter")
        narrowed = within(Filters(published_to="2022-12-01"), window, lag_days=2)
        assert (narrowed.published_from, narrowed.published_to) == ("2022-11-01", "2022-11-03")
        assert within(Filters(published_to="2022-10-01"), window) is None


class TestConcurrency:
    def test_concurrent_searches_match_sequential_ones(self, pipelines: dict[str, SearchPipeline]) -> None:
        pipeline = pipelines["ours"]
        requests = [
            ("Which team did Maya Lindqvist play for?", date(2022, 9, 9), None),
            ("flood repair loan payment freeze", date(2022, 1, 1), None),
            ("flood repair loan payment freeze", AS_OF, Filters(sources=["cnn.com"])),
            ("Who died this week?", date(2022, 9, 9), None),
        ] * 3

        def run(req: tuple[str, date, Filters | None]) -> list[str]:
            return articles(pipeline.search(req[0], as_of=req[1], filters=req[2], k=4))

        sequential = [run(r) for r in requests]
        with ThreadPoolExecutor(max_workers=4) as pool:
            assert list(pool.map(run, requests)) == sequential


class TestFakeEmbedderPlumbing:
    def test_ours_runs_on_a_fake_store(
        self, make_fake_store: Callable[..., tuple[ArticleStore, FakeEmbedder]]
    ) -> None:
        store, embedder = make_fake_store()
        result = SearchPipeline(store, embedder).search("Spokane power plant", as_of=AS_OF, k=2)
        assert articles(result)[0] == "outage"
        assert result.to_dict()["filters"] == {"published_to": "2022-12-02"}


class TestAsOfRange:
    """as_of outside qa.question.timeparse.AS_OF_MIN..AS_OF_MAX is refused before any date arithmetic."""

    @pytest.mark.parametrize("as_of", [date(9999, 12, 31), "0001-01-01", date(1899, 12, 31)])
    def test_off_the_range_is_invalid_input(
        self, make_fake_store: Callable[..., tuple[ArticleStore, FakeEmbedder]], as_of: date | str
    ) -> None:
        store, embedder = make_fake_store()
        with pytest.raises(InvalidInput, match="outside the supported range"):
            SearchPipeline(store, embedder).search("Who resigned last week?", as_of=as_of)

    @pytest.mark.parametrize("as_of", [AS_OF_MIN, AS_OF_MAX])
    def test_the_ends_of_the_range_search(
        self, make_fake_store: Callable[..., tuple[ArticleStore, FakeEmbedder]], as_of: date
    ) -> None:
        store, embedder = make_fake_store()
        result = SearchPipeline(store, embedder).search(
            "Which plant failed last week or in May?", as_of=as_of
        )
        assert result.filters.published_to is not None and result.filters.published_to > as_of.isoformat()

    def test_a_bad_as_of_string_is_invalid_input(
        self, make_fake_store: Callable[..., tuple[ArticleStore, FakeEmbedder]]
    ) -> None:
        store, embedder = make_fake_store()
        with pytest.raises(InvalidInput, match="not an ISO date"):
            SearchPipeline(store, embedder).search("Who won?", as_of="15/09/2022")
