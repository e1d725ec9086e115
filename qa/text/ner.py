"""spaCy's greedy named-entity decoder, run as numpy steps over a batch of sentences.

Usage:
    nlp.add_pipe("newsqa_greedy_ner", after="ner"); nlp.remove_pipe("ner")   # see SpacyParser.load
    doc = nlp("Joe Biden met Emmanuel Macron in Paris.")                      # doc.ents as before

Why: spaCy 3.8's compiled decoder re-takes the GIL on every token lookup inside its move-validity
checks (74 moves per state per token), and those round trips were ~40% of NER time in `perf`. The
decision is the same: the same network (tok2vec, run by `qa.text.tok2vec`; precomputed lower layer,
maxout, output layer) scores every move, the best valid move wins (first on ties), and the BILUO
validity rules below are spaCy's `ner.pyx` for documents without preset entities. What changes is
the order of work: a state with no entity open depends only on its token, so all such steps are
scored in one matrix product, and only tokens read inside an open entity are scored one by one.
Documents that arrive with entities already set go through spaCy's own decoder. A test checks that
both give the same entities on real sentences.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from qa.text.tok2vec import BatchedComponent, NumpyTok2Vec

# spaCy's BILUO move ids (spacy.pipeline._parser_internals.ner: MISSING, BEGIN, IN, LAST, UNIT, OUT).
_BEGIN, _IN, _LAST, _UNIT, _OUT = 1, 2, 3, 4, 5
# Move scores of states: (first buffer token, entity start, token before) -> scores, one row per state.
StateScorer = Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]


class GreedyEntityRecognizer(BatchedComponent):
    """A spaCy pipeline component that sets `doc.ents` with the weights of a trained `ner` pipe."""

    def __init__(self, ner: Any, batch_size: int = 64) -> None:
        super().__init__(batch_size)
        model = ner.model
        if not model.attrs.get("has_upper", False) or model.get_ref("lower").get_dim("nF") != 3:
            raise ValueError("expected spaCy's NER model (3 state features and an output layer)")
        self._ner = ner
        self._tok2vec, self._lower, self._upper = model.layers[0], model.layers[1], model.layers[-1]
        try:
            self._vectors = NumpyTok2Vec.from_model(self._tok2vec).predict_flat
        except ValueError:  # another architecture: thinc runs it
            self._vectors = lambda docs: self._tok2vec(docs, is_train=False)[0]
        moves = ner.moves
        names = [moves.get_class_name(i) for i in range(moves.n_moves)]
        kinds = {"B": _BEGIN, "I": _IN, "L": _LAST, "U": _UNIT, "O": _OUT}
        self._move = np.array([kinds[n.split("-", 1)[0]] for n in names])
        labels = [n.split("-", 1)[1] if "-" in n else "" for n in names]
        # A label id per move (0: none) so a state's open label compares as an int.
        ids = {name: i for i, name in enumerate(dict.fromkeys(x for x in labels if x), start=1)}
        self._label = np.array([ids.get(x, 0) for x in labels])
        self._label_of_id = {i: name for name, i in ids.items()}
        labelled = self._label > 0
        self._is_begin = (self._move == _BEGIN) & labelled
        self._is_unit = (self._move == _UNIT) & labelled
        self._is_in = (self._move == _IN) & labelled
        self._is_last = (self._move == _LAST) & labelled
        self._is_out = self._move == _OUT
        # spaCy scores moves never seen in training at the batch minimum; such a model (none of the
        # shipped ones) is left to spaCy's decoder.
        self._spacy_only = bool(model.attrs.get("unseen_classes"))
        from spacy.tokens import Span  # spaCy is imported by whoever built `ner`

        self._span = Span

    def _annotate(self, docs: list[Any]) -> None:
        if self._spacy_only or any(doc.has_annotation("ENT_IOB") for doc in docs):
            self._ner.set_annotations(docs, self._ner.predict(docs))
            return
        todo = [doc for doc in docs if len(doc)]
        for doc, spans in zip(todo, self._decode(todo), strict=True):
            doc.set_ents([self._span(doc, s, e, label=label) for s, e, label in spans], default="outside")
        for doc in docs:
            if not len(doc):
                doc.set_ents([], default="outside")

    def _decode(self, docs: list[Any]) -> list[list[tuple[int, int, str]]]:
        """(start, end, label) token spans of the entities of each doc."""
        scores_of, n = self._state_scorer(docs)
        continues, space = _token_flags(docs, n)
        # With no entity open (most tokens), a state's features are its first buffer token and
        # padding, so every such step of the batch is scored at once; a token read inside an open
        # entity is scored when the walk below reaches it.
        tokens = np.arange(n)
        none = np.full(n, -1)
        closed = scores_of(tokens, none, none)
        closed_valid = (
            self._is_out[None, :]
            | (self._is_begin[None, :] & (continues & ~space)[:, None])
            | (self._is_unit[None, :] & ~space[:, None])
        )
        closed_best = np.where(closed_valid, closed, -np.inf).argmax(axis=1).tolist()
        return self._walk(docs, scores_of, closed_best, continues)

    def _state_scorer(self, docs: list[Any]) -> tuple[StateScorer, int]:
        """The move scores of states given as flat token indices of the batch (first buffer token,
        entity start, token before it; -1: none), and the number of tokens in the batch."""
        tokvecs = self._vectors(docs)
        cached, _ = self._lower(tokvecs, False)  # (1 + tokens, nF, nO, nP); row 0 is the padding
        bias = self._lower.get_param("b")
        weights, out_bias = self._upper.get_param("W"), self._upper.get_param("b")

        def scores_of(first: np.ndarray, entity_start: np.ndarray, before: np.ndarray) -> np.ndarray:
            # Same order of float32 additions as spaCy's sum_state_features, then the bias;
            # -1 (no such token) reads the padding row.
            hidden = cached[first + 1, 0] + cached[entity_start + 1, 1]
            hidden += cached[before + 1, 2]
            hidden += bias
            out = hidden.max(axis=-1) @ weights.T
            out += out_bias
            return out

        return scores_of, cached.shape[0] - 1

    def _walk(
        self, docs: list[Any], scores_of: StateScorer, closed_best: list[int], continues: np.ndarray
    ) -> list[list[tuple[int, int, str]]]:
        """Each doc's entities, token by token: the best move with no entity open is `closed_best`;
        inside an open entity the state is scored here."""
        move, label = self._move.tolist(), self._label.tolist()
        found: list[list[tuple[int, int, str]]] = []
        offset = 0
        for doc in docs:
            spans: list[tuple[int, int, str]] = []
            open_label, start = 0, 0
            for i in range(len(doc)):
                t = offset + i
                if open_label:
                    row = scores_of(np.array([t]), np.array([offset + start]), np.array([t - 1]))[0]
                    valid = (self._is_last | (self._is_in & continues[t])) & (self._label == open_label)
                    best = int(np.where(valid, row, -np.inf).argmax())
                else:
                    best = closed_best[t]
                if move[best] == _BEGIN:
                    open_label, start = label[best], i
                elif move[best] == _LAST:
                    spans.append((start, i + 1, self._label_of_id[open_label]))
                    open_label = 0
                elif move[best] == _UNIT:
                    spans.append((i, i + 1, self._label_of_id[label[best]]))
            found.append(spans)
            offset += len(doc)
        return found


def _token_flags(docs: list[Any], n: int) -> tuple[np.ndarray, np.ndarray]:
    """Per token of the batch: may an entity go on past it (no sentence starts next), is it whitespace
    (no entity starts there)."""
    continues = np.zeros(n, dtype=bool)
    space = np.zeros(n, dtype=bool)
    offset = 0
    for doc in docs:
        starts, spaces = doc.to_array(["SENT_START", "IS_SPACE"]).T
        continues[offset : offset + len(doc) - 1] = starts[1:] != 1
        space[offset : offset + len(doc)] = spaces != 0
        offset += len(doc)
    return continues, space
