from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from qa.text.nlp import SpacyParser, TagToPos, split_sentences


@pytest.fixture(scope="module")
def seed_sentences(seed_eval_dir: Path) -> list[str]:
    out: list[str] = []
    with open(seed_eval_dir / "articles.jsonl", encoding="utf-8") as fh:
        for line in fh:
            text = json.loads(line)["text"]
            out += [text[s:e] for s, e in split_sentences(text)]
    return out[:400]


class TestSpacyParser:
    def test_same_tags_pos_and_entities_as_the_stock_pipeline(
        self, spacy_parser: SpacyParser, seed_sentences: list[str], stock_spacy: Any
    ) -> None:
        stock = stock_spacy
        assert "attribute_ruler" not in spacy_parser.nlp.pipe_names
        assert "ner" not in spacy_parser.nlp.pipe_names  # decoded by qa.text.ner.GreedyEntityRecognizer
        assert "tagger" not in spacy_parser.nlp.pipe_names  # run by qa.text.tok2vec.NumpyTagger
        assert len(seed_sentences) > 50
        for ours, theirs in zip(
            spacy_parser.parse_many(seed_sentences), stock.pipe(seed_sentences), strict=True
        ):
            assert [(t.tag_, t.pos_) for t in ours] == [(t.tag_, t.pos_) for t in theirs], ours.text
            assert [(e.start, e.end, e.label_) for e in ours.ents] == [
                (e.start, e.end, e.label_) for e in theirs.ents
            ], ours.text
            assert [t.ent_iob_ for t in ours] == [t.ent_iob_ for t in theirs], ours.text

    def test_parses_are_cached_and_bounded(self, spacy_parser: SpacyParser) -> None:
        parser = SpacyParser(spacy_parser.nlp, cache_size=2)
        first = parser.parse("The Senate passed the bill on Tuesday.")
        assert parser.parse("The Senate passed the bill on Tuesday.") is first
        parser.parse_many(["One.", "Two."])
        assert parser.parse("The Senate passed the bill on Tuesday.") is not first


class TestTagToPos:
    def test_later_rules_win_and_unnamed_words_share_one_entry(self) -> None:
        patterns = [
            {"patterns": [[{"TAG": "VBZ"}]], "attrs": {"POS": "VERB"}},
            {"patterns": [[{"TAG": "VBZ", "LOWER": {"IN": ["is", "has"]}}]], "attrs": {"POS": "AUX"}},
            {"patterns": [[{"TAG": "NN", "DEP": "nsubj"}]], "attrs": {"POS": "PRON"}},  # needs the parser
            {"patterns": [[{"TAG": "NN"}, {"TAG": "NN"}]], "attrs": {"POS": "X"}},  # multi-token
            {"patterns": [[{"TAG": "NN"}]], "attrs": {"POS": "NOUN", "MORPH": "Number=Sing"}},
        ]
        table = TagToPos(patterns)
        assert table.pos_of("VBZ", "is", False) == "AUX"
        assert table.pos_of("VBZ", "runs", False) == "VERB"
        assert table.pos_of("NN", "dog", False) == "NOUN"
        assert table.pos_of("JJ", "big", False) == ""
        assert table.pos_of("VBZ", "walks", False) == "VERB"
        assert len(table._memo) == 4  # "runs" and "walks" share the ("VBZ", "") entry


class TestSpacyLoad:
    def test_loads_without_importing_torch_and_leaves_torch_importable(self) -> None:
        code = (
            "import sys\n"
            "from qa.text.nlp import SpacyParser\n"
            "doc = SpacyParser.load().parse('The Senate met in Washington on Tuesday.')\n"
            "assert 'torch' not in sys.modules, 'spaCy pulled in torch'\n"
            "assert [e.label_ for e in doc.ents] == ['ORG', 'GPE', 'DATE'], doc.ents\n"
            "import torch\n"
            "assert torch.ones(2).sum().item() == 2.0\n"
        )
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr


class TestPhraseStem:
    def test_names_written_another_way(self) -> None:
        from qa.text.nlp import phrase_stem, stem

        assert phrase_stem("great  Britain") == stem("UK") == stem("British")
        assert phrase_stem("United States") is None  # "us" is also the pronoun
        assert phrase_stem("Kingdom") is None


class TestStemSynonyms:
    def test_the_pandemic_virus_under_its_names(self) -> None:
        from qa.text.nlp import stem, text_stems

        assert stem("Covid-19") == stem("COVID") == stem("coronavirus")
        assert stem("Covid-19") in text_stems("Kim Jong Un declared victory against the novel coronavirus.")
        assert stem("Covid-19") != stem("virus")  # not every virus
