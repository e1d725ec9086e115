from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from qa.text.nlp import SpacyParser
from qa.text.tok2vec import NumpyTagger, NumpyTok2Vec
from tests.qa.sentences import SPACY_SENTENCES as SENTENCES


def _docs(nlp: Any, texts: list[str]) -> list[Any]:
    return [nlp.make_doc(t) for t in texts]


class TestNumpyTok2Vec:
    def test_same_vectors_as_thinc_in_a_batch(self, stock_spacy: Any) -> None:
        model = stock_spacy.get_pipe("tok2vec").model
        docs = _docs(stock_spacy, SENTENCES)
        ours = NumpyTok2Vec.from_model(model).predict_flat(docs)
        theirs = np.concatenate(model.predict(docs))
        assert ours.shape == theirs.shape == (sum(len(d) for d in docs), 96)
        np.testing.assert_allclose(ours, theirs, atol=1e-4)

    def test_the_ners_own_tok2vec_with_its_projection(self, stock_spacy: Any) -> None:
        model = stock_spacy.get_pipe("ner").model.layers[0]
        docs = _docs(stock_spacy, SENTENCES)
        ours = NumpyTok2Vec.from_model(model).predict_flat(docs)
        theirs, _ = model(docs, is_train=False)
        assert ours.shape == theirs.shape == (sum(len(d) for d in docs), 64)
        np.testing.assert_allclose(ours, theirs, atol=1e-4)

    def test_a_sentence_reads_the_same_alone_as_beside_others(self, stock_spacy: Any) -> None:
        # Fails if documents laid end to end are not kept apart by thinc's padding rows.
        tok2vec = NumpyTok2Vec.from_model(stock_spacy.get_pipe("tok2vec").model)
        docs = _docs(stock_spacy, SENTENCES[:3])
        together = tok2vec.predict_flat(docs)
        alone = np.concatenate([tok2vec.predict_flat([doc]) for doc in docs])
        np.testing.assert_allclose(alone, together, atol=1e-5)

    def test_refuses_another_architecture(self, stock_spacy: Any) -> None:
        with pytest.raises(ValueError, match="HashEmbedCNN"):
            NumpyTok2Vec.from_model(stock_spacy.get_pipe("tagger").model)


class TestNumpyTagger:
    def test_same_tags_as_spacys_tagger(self, stock_spacy: Any) -> None:
        tagger = NumpyTagger(stock_spacy.get_pipe("tok2vec"), stock_spacy.get_pipe("tagger"))
        ours = list(tagger.pipe(_docs(stock_spacy, SENTENCES), batch_size=4))
        theirs = list(stock_spacy.pipe(SENTENCES))
        assert [[t.tag_ for t in d] for d in ours] == [[t.tag_ for t in d] for d in theirs]
        assert ours[2][1].tag_ == "NNP"  # "Truss"

    def test_keeps_tags_set_before_it(self, stock_spacy: Any) -> None:
        doc = stock_spacy.make_doc("Paris is big.")
        doc[0].tag_ = "NN"
        NumpyTagger(stock_spacy.get_pipe("tok2vec"), stock_spacy.get_pipe("tagger"))(doc)
        assert [t.tag_ for t in doc] == ["NN", "VBZ", "JJ", "."]

    def test_installed_by_the_parser(self, spacy_parser: SpacyParser) -> None:
        names = spacy_parser.nlp.pipe_names
        assert "newsqa_numpy_tagger" in names and "tok2vec" not in names and "tagger" not in names
        assert [t.pos_ for t in spacy_parser.parse("Truss resigned.")] == ["PROPN", "VERB", "PUNCT"]
