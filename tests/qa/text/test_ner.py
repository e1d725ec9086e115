from __future__ import annotations

from typing import Any

import pytest

from qa.text.ner import GreedyEntityRecognizer
from qa.text.nlp import SpacyParser
from tests.qa.sentences import SPACY_SENTENCES as SENTENCES


@pytest.fixture(scope="module")
def stock(stock_spacy: Any) -> Any:
    return stock_spacy


def _ents(doc: Any) -> list[tuple[int, int, str]]:
    return [(e.start, e.end, e.label_) for e in doc.ents]


def _without_ner(stock: Any, texts: list[str]) -> list[Any]:
    with stock.select_pipes(disable=["ner"]):
        return list(stock.pipe(texts))


class TestGreedyEntityRecognizer:
    def test_same_entities_as_spacy_in_batches_of_uneven_length(self, stock: Any) -> None:
        ours = GreedyEntityRecognizer(stock.get_pipe("ner"))
        docs = list(ours.pipe(_without_ner(stock, SENTENCES), batch_size=4))
        theirs = list(stock.pipe(SENTENCES))
        assert [_ents(d) for d in docs] == [_ents(d) for d in theirs]
        assert [[t.ent_iob_ for t in d] for d in docs] == [[t.ent_iob_ for t in d] for d in theirs]
        assert ("David Okafor", "PERSON") in [(e.text, e.label_) for e in docs[0].ents]

    def test_entities_stop_at_a_sentence_start(self, stock: Any) -> None:
        text = "They met in New York City yesterday."
        ours_doc, their_doc = _without_ner(stock, [text, text])
        for doc in (ours_doc, their_doc):
            doc[4].is_sent_start = True  # "York" starts a sentence: "New York" may not span it
        GreedyEntityRecognizer(stock.get_pipe("ner"))(ours_doc)
        stock.get_pipe("ner")(their_doc)
        assert _ents(ours_doc) == _ents(their_doc)
        assert all(not (e.start < 4 < e.end) for e in ours_doc.ents)

    def test_preset_entities_go_through_spacys_decoder(self, stock: Any) -> None:
        from spacy.tokens import Span

        text = "Joe Biden spoke in Paris."
        ours_doc, their_doc = _without_ner(stock, [text, text])
        for doc in (ours_doc, their_doc):
            doc.set_ents([Span(doc, 4, 5, label="ORG")], default="unmodified")
        GreedyEntityRecognizer(stock.get_pipe("ner"))(ours_doc)
        stock.get_pipe("ner")(their_doc)
        assert ("Paris", "ORG") in [(e.text, e.label_) for e in ours_doc.ents]
        assert _ents(ours_doc) == _ents(their_doc)

    def test_refuses_a_model_of_another_shape(self) -> None:
        class Parser:
            class model:
                attrs = {"has_upper": False}

        with pytest.raises(ValueError, match="NER model"):
            GreedyEntityRecognizer(Parser())

    def test_installed_by_the_parser(self, spacy_parser: SpacyParser) -> None:
        assert "newsqa_greedy_ner" in spacy_parser.nlp.pipe_names
        doc = spacy_parser.parse("Prime Minister Liz Truss resigned on Thursday.")
        assert ("Liz Truss", "PERSON") in [(e.text, e.label_) for e in doc.ents]
