"""Questions about several stories: the overview detector, the furniture filter and TimelineBuilder
(dedup, date order, citations), then end to end with the real models over articles written here."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from newsqa.types import Article, Chunk, Hit, QueryInfo
from qa.answering.extract import CitationBuilder, SentenceIndex
from qa.answering.sentences import Passage
from qa.answering.timeline import TimelineBuilder, TimelineWeights, date_range
from qa.question.overview import Overview, OverviewDetector, looks_like_name
from qa.text.furniture import FurnitureFilter
from qa.text.nlp import split_sentences


@pytest.fixture(scope="module")
def detector() -> OverviewDetector:
    return OverviewDetector.load()


@pytest.fixture(scope="module")
def furniture() -> FurnitureFilter:
    return FurnitureFilter.load()


class TestOverviewDetector:
    @pytest.mark.parametrize(
        ("question", "topic"),
        [
            ("What happened with the Harbor Bridge closure this week?", "the Harbor Bridge closure"),
            ("what's the latest on the ferry strike?", "the ferry strike"),
            ("Any updates on the Elwin county budget lately?", "the Elwin county budget"),
            ("Give me a timeline of the river flooding", "the river flooding"),
            ("What has been happening in Port Elwin over the past week?", "Port Elwin"),
        ],
    )
    def test_timeline_questions(self, detector: OverviewDetector, question: str, topic: str) -> None:
        assert detector.detect(question) == Overview("timeline", topic)

    @pytest.mark.parametrize(
        ("question", "topic"),
        [("Who is Mara Ellison?", "Mara Ellison"), ("Who was the Earl of Elwin", "the Earl of Elwin")],
    )
    def test_profile_of_a_name(self, detector: OverviewDetector, question: str, topic: str) -> None:
        assert detector.detect(question) == Overview("profile", topic)

    @pytest.mark.parametrize(
        "question",
        [
            "Who is the mayor of Port Elwin?",  # a role: one name answers it
            "Who is Mara Ellison's deputy?",
            "When did the Harbor Bridge close?",
            "What happened?",
            "How many lanes does the bridge have?",
        ],
    )
    def test_other_questions_are_not_overviews(self, detector: OverviewDetector, question: str) -> None:
        assert detector.detect(question) is None

    def test_a_rule_of_unknown_kind_is_refused(self) -> None:
        with pytest.raises(ValueError, match="summary"):
            OverviewDetector([("summary", r"^sum up (?P<topic>.+)$")])

    def test_names(self) -> None:
        assert looks_like_name("Bank of Elwin")
        assert not looks_like_name("the new mayor")


class TestFurnitureFilter:
    @pytest.mark.parametrize(
        "sentence",
        [
            "JUST WATCHED Engineers inspect the cracked span Replay More Videos ...",
            "MUST WATCH Engineers inspect the cracked span 02:14",
            "Commuters wait for the ferry in Port Elwin on Monday. Jane Roe/AFP/Getty Images",
            "Hide Caption 3 of 12 Photos: The bridge at night",
            "Read more: How the harbor was built",
            "Related: Ferry fares rise again",
            "Sign up for our daily newsletter to get the news delivered to your inbox.",
            "By Tom Example, Elwin Gazette",
            "Follow Tom Example on Twitter @tomexample.",
            "BRIDGE WATCH:Why the span cracked in the cold",
        ],
    )
    def test_page_furniture(self, furniture: FurnitureFilter, sentence: str) -> None:
        assert furniture.is_furniture(sentence)

    @pytest.mark.parametrize(
        "sentence",
        [
            "By Tuesday the bridge had reopened to buses.",
            "Port Elwin: The city council voted to repair the bridge.",
            "Elwin: Officials said the harbor would stay open.",
            "The mayor said the video showed cracks in two beams.",
            "Engineers related the cracks to the cold snap.",
        ],
    )
    def test_story_sentences(self, furniture: FurnitureFilter, sentence: str) -> None:
        assert not furniture.is_furniture(sentence)

    def test_strip_keeps_offsets_and_stems_aligned(self, furniture: FurnitureFilter) -> None:
        text = (
            "The Harbor Bridge closed on Monday after engineers found cracks.\n\n"
            "JUST WATCHED Engineers inspect the span Replay More Videos ...\n\n"
            "Buses now take the long way around the harbor."
        )
        passage = _passage(_article("a", text, "2022-03-01"))
        stripped = furniture.strip(passage)
        assert len(passage.sentences) == 3
        assert [text[s:e][:5] for s, e in stripped.sentences] == ["The H", "Buses"]
        assert stripped.sentence_stems == [passage.sentence_stems[0], passage.sentence_stems[2]]

    def test_a_caption_goes_with_its_credit(self, furniture: FurnitureFilter) -> None:
        text = (
            "Ferries ran all night. Crews inspect the beams in Port Elwin. Jane Roe/Elwin Gazette\n\n"
            "The bridge stays shut. Jane Roe wrote the report."
        )
        spans = split_sentences(text)
        assert [text[s:e] for s, e in spans][2] == "Jane Roe/Elwin Gazette"
        assert furniture.furniture_indexes(text, spans) == {1, 2}


BRIDGE_ARTICLES = [
    (
        "gazette-0302",
        "elwingazette.com",
        "2022-03-02",
        "Port Elwin's Harbor Bridge reopened to buses on Wednesday after crews braced the cracked beams. "
        "Cars must still wait.",
    ),
    (
        "wire-0228",
        "wire.example",
        "2022-02-28",
        "Officials closed the Harbor Bridge in Port Elwin on Monday after engineers found cracks in two "
        "steel beams. Commuters crowded the ferries.",
    ),
    (
        "reprint-0228",
        "dailyelwin.com",
        "2022-02-28",
        "Officials closed the Harbor Bridge in Port Elwin on Monday after engineers found cracks in two "
        "of its steel beams. Ferries were crowded.",
    ),
    (
        "council-0301",
        "elwingazette.com",
        "2022-03-01",
        "The city council approved two million dollars for Harbor Bridge repairs at a late meeting. "
        "The vote was unanimous.",
    ),
    (
        "bakery",
        "elwingazette.com",
        "2022-03-01",
        "A new bakery opened on Main Street in Port Elwin, selling rye bread and pastries every morning.\n\n"
        "Crews inspect the cracked Harbor Bridge beams in Port Elwin. Jane Roe/Elwin Gazette\n\n"
        "The owners plan a second shop.",
    ),
]


def _article(aid: str, text: str, published: str | None, source: str = "elwingazette.com") -> Article:
    return Article(
        id=aid,
        title=f"Story {aid}",
        text=text,
        source=source,
        url=f"https://{source}/{aid}",
        published=published,
    )


def _passage(article: Article, rank: int = 0) -> Passage:
    chunk = Chunk(
        f"{article.id}:0",
        article.id,
        0,
        article.text,
        0,
        len(article.text),
        article.title,
        article.source,
        article.url,
        article.published,
    )
    return SentenceIndex().passage(Hit(chunk, 1.0), article, rank)


def _bridge_passages() -> list[Passage]:
    """The articles' passages as the Answerer reads them: page furniture left out."""
    furniture = FurnitureFilter.load()
    return [
        furniture.strip(_passage(_article(a, t, d, s), i)) for i, (a, s, d, t) in enumerate(BRIDGE_ARTICLES)
    ]


_QUERY = QueryInfo("What happened with the Harbor Bridge?", "2022-03-05")


class TestTimelineBuilder:
    def test_dated_distinct_developments_with_exact_quotes(self) -> None:
        passages = _bridge_passages()
        answer = TimelineBuilder(CitationBuilder()).answer(
            Overview("timeline", "the Harbor Bridge"), passages, _QUERY
        )
        assert not answer.abstained
        days = [c.published for c in answer.citations]
        assert days == sorted(days) and len(days) == 3  # the reprint merged, the bakery left out
        texts = {p.article.id: p.article.text for p in passages}
        for c in answer.citations:
            assert c.quote == texts[c.article_id][c.start : c.end]
        closing = answer.citations[0]
        assert "closed" in closing.quote
        assert {closing.source, *closing.also_reported_by} == {"wire.example", "dailyelwin.com"}
        assert answer.answer == "3 developments, Feb. 28 – March 2, 2022"
        lines = answer.answer_text.splitlines()
        assert lines[0] == answer.answer + ":"
        assert lines[1].startswith("- Feb. 28, 2022 (") and lines[1].endswith("[1]")
        assert lines[3].startswith("- March 2, 2022 (elwingazette.com): “Port Elwin's Harbor Bridge reopened")

    def test_a_threshold_above_one_merges_nothing(self) -> None:
        strict = TimelineBuilder(CitationBuilder(), TimelineWeights(duplicate_jaccard=1.01))
        entries = strict.entries(Overview("timeline", "the Harbor Bridge"), _bridge_passages())
        assert len(entries) == 4  # the reprint kept as its own entry

    def test_time_window(self) -> None:
        builder = TimelineBuilder(CitationBuilder())
        entries = builder.entries(
            Overview("timeline", "the Harbor Bridge"), _bridge_passages(), ("2022-03-01", "2022-03-07")
        )
        assert [e.published for e in entries] == [date(2022, 3, 1), date(2022, 3, 2)]

    def test_abstains_when_nothing_is_on_topic(self) -> None:
        answer = TimelineBuilder(CitationBuilder()).answer(
            Overview("timeline", "the Elwin ferry strike"), _bridge_passages(), _QUERY
        )
        assert answer.abstained and answer.citations == []
        assert "the Elwin ferry strike" in answer.answer

    def test_profile_puts_the_defining_sentence_first(self) -> None:
        passages = [
            _passage(
                _article(
                    "m1", "Mara Ellison cut the ribbon at the new ferry terminal in Port Elwin.", "2022-01-10"
                )
            ),
            _passage(
                _article(
                    "m2",
                    "The harbor board met on Friday. Mara Ellison, the harbor master of "
                    "Port Elwin, said the ferries would run all night.",
                    "2022-03-01",
                )
            ),
        ]
        answer = TimelineBuilder(CitationBuilder()).answer(
            Overview("profile", "Mara Ellison"), passages, _QUERY
        )
        assert [c.article_id for c in answer.citations] == ["m2", "m1"]
        assert answer.answer == "Mara Ellison: 2 articles, Jan. 10 – March 1, 2022"


def test_date_range() -> None:
    assert date_range([date(2022, 8, 30)]) == "Aug. 30, 2022"
    assert date_range([date(2022, 9, 2), date(2022, 8, 29)]) == "Aug. 29 – Sept. 2, 2022"
    assert date_range([date(2021, 12, 30), date(2022, 1, 2)]) == "Dec. 30, 2021 – Jan. 2, 2022"


# --- end to end: real embedder, real Chroma, real spaCy -------------------------------------------

CAPTIONED = (
    "Officials closed the Harbor Bridge in Port Elwin on Monday after engineers found cracks in two "
    "steel beams.\n\nJUST WATCHED Engineer explains what cracked the Harbor Bridge beams Replay More "
    "Videos ...\n\nMUST WATCH Engineer explains what cracked the Harbor Bridge beams 02:14\n\n"
    "Commuters crowded the ferries across the harbor."
)


@pytest.fixture(scope="module")
def bridge_answerer(tmp_path_factory: pytest.TempPathFactory, search_embedder, spacy_parser):
    from index.store import ArticleStore
    from qa.retrieval.search import SearchPipeline
    from qa.service import Answerer
    from tests.stores import _fill

    articles = [_article(a, t, d, s) for a, s, d, t in BRIDGE_ARTICLES if a != "wire-0228"]
    articles.append(_article("wire-0228", CAPTIONED, "2022-02-28", "wire.example"))
    path: Path = tmp_path_factory.mktemp("bridge_store")
    store = ArticleStore(path, dim=search_embedder.dim, model_id=search_embedder.model_id)
    _fill(store, search_embedder, articles)
    return Answerer(store, search_embedder, SearchPipeline(store, search_embedder), nlp=spacy_parser)


class TestEndToEnd:
    def test_timeline_across_outlets(self, bridge_answerer) -> None:
        answer = bridge_answerer.ask("What happened with the Harbor Bridge this week?", as_of="2022-03-03")
        assert not answer.abstained, answer.answer
        assert answer.answer.startswith("3 developments")
        days = [c.published for c in answer.citations]
        assert days == sorted(days)
        for c in answer.citations:
            assert c.quote == bridge_answerer.store.get_article(c.article_id).text[c.start : c.end]
            assert "WATCH" not in c.quote and "Crews inspect" not in c.quote  # video block, photo caption
        assert answer.to_dict()["answer_text"].count("\n- ") == 3

    def test_a_video_caption_never_answers(self, bridge_answerer) -> None:
        answer = bridge_answerer.ask("What did the engineer explain?", as_of="2022-03-03")
        assert "WATCH" not in answer.answer
        assert not any("WATCH" in c.quote for c in answer.citations)

    def test_profile_abstains_for_an_unknown_name(self, bridge_answerer) -> None:
        answer = bridge_answerer.ask("Who is Quentin Zabrowski?", as_of="2022-03-03")
        assert answer.abstained and answer.citations == []
