"""spaCy's CNN token-to-vector network (`HashEmbedCNN`) run as a few whole-batch numpy steps.

Usage:
    tok2vec = NumpyTok2Vec.from_model(nlp.get_pipe("tok2vec").model)
    vectors = tok2vec.predict_flat(docs)     # (tokens of all docs, width) float32, docs end to end

Why: the tagger's and the NER's token vectors were ~45% of answer extraction. thinc runs the same
arithmetic as many small layer calls, and two of them are slow on a few hundred tokens: its maxout
takes the maximum over an interleaved pieces axis, and its layer norm reduces along rows. Here the
maxout weights are laid out piece by piece (the maximum of three contiguous blocks) and the layer
norm's mean and variance are matrix products. The results equal thinc's up to float rounding; a
test checks that tags and entities do not change.

The network (en_core_web_sm's tok2vec, and its NER's own): each token's hashed attributes (NORM,
PREFIX, SUFFIX, SHAPE, ...) pick rows of embedding tables; a maxout layer with layer norm mixes
them; then `depth` residual layers each see the token and its neighbours (window 1). The documents
of a batch are laid end to end with `pad` zero rows around each, as thinc does, so the edge tokens
of one sentence see the same context as in thinc.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from typing import Any

import numpy as np

_LAYER_NORM_EPS = 1e-8


@dataclass(frozen=True)
class _Maxout:
    """A maxout layer with layer norm; weights as (inputs, pieces * outputs), piece-major."""

    weights: np.ndarray
    bias: np.ndarray
    pieces: int
    gain: np.ndarray
    shift: np.ndarray

    @classmethod
    def from_layers(cls, maxout: Any, norm: Any) -> _Maxout:
        w, b = maxout.get_param("W"), maxout.get_param("b")  # (nO, nP, nI), (nO, nP)
        n_out, pieces, n_in = w.shape
        weights = np.ascontiguousarray(w.transpose(1, 0, 2).reshape(pieces * n_out, n_in).T)
        bias = np.ascontiguousarray(b.T.reshape(-1))
        return cls(weights, bias, pieces, norm.get_param("G"), norm.get_param("b"))

    def __call__(self, x: np.ndarray) -> np.ndarray:
        y = x @ self.weights
        y += self.bias
        width = y.shape[1] // self.pieces
        best = y[:, :width]
        for p in range(1, self.pieces):
            best = np.maximum(best, y[:, p * width : (p + 1) * width])
        return self._norm(best)

    def _norm(self, x: np.ndarray) -> np.ndarray:
        mean_of = np.full((x.shape[1], 1), 1.0 / x.shape[1], dtype=x.dtype)
        centred = x - x @ mean_of
        variance = (centred * centred) @ mean_of
        variance += _LAYER_NORM_EPS
        centred /= np.sqrt(variance)
        centred *= self.gain
        centred += self.shift
        return centred


class NumpyTok2Vec:
    """The forward pass of a trained spaCy `HashEmbedCNN` tok2vec, optionally followed by a linear
    projection (as in the NER's own tok2vec)."""

    def __init__(
        self,
        columns: list[Any],
        tables: list[tuple[int, int, np.ndarray]],
        mix: _Maxout,
        layers: list[_Maxout],
        pad: int,
        projection: tuple[np.ndarray, np.ndarray] | None = None,
    ) -> None:
        if not tables or not layers:
            raise ValueError("a tok2vec needs embedding tables and encoder layers")
        if pad < len(layers):
            # thinc pads each document by `pad` rows; fewer rows than layers would let neighbouring
            # documents see each other, which thinc's models are not built to do.
            raise ValueError(f"pad {pad} is smaller than the encoder depth {len(layers)}")
        self.columns = columns
        self.tables = tables
        self.mix = mix
        self.layers = layers
        self.pad = pad
        self.projection = projection
        from thinc.api import NumpyOps

        self._ops = NumpyOps()

    @classmethod
    def from_model(cls, model: Any) -> NumpyTok2Vec:
        """Read the weights of a thinc tok2vec model (refuses any other architecture)."""
        nodes = list(model.walk())
        names = [n.name for n in nodes]
        expected = {"extract_features", "list2ragged", "ragged2list", "hashembed", "maxout", "layernorm"}
        if not expected <= set(names) or not any(n.name == "expand_window" for n in nodes):
            raise ValueError(f"not a HashEmbedCNN tok2vec: {model.name[:80]}")
        if any(n.name.startswith(("static_vectors", "charembed", "lstm")) for n in nodes):
            raise ValueError(f"unsupported tok2vec layers: {model.name[:80]}")
        columns = next(n for n in nodes if n.name == "extract_features").attrs["columns"]
        tables = [
            (n.attrs["column"], n.attrs["seed"], n.get_param("E")) for n in nodes if n.name == "hashembed"
        ]
        maxouts = [n for n in nodes if n.name == "maxout"]
        norms = [n for n in nodes if n.name == "layernorm"]
        windows = {n.attrs["window_size"] for n in nodes if n.name == "expand_window"}
        width = tables[0][2].shape[1]
        if len(maxouts) != len(norms) or windows != {1}:
            raise ValueError(f"unexpected encoder layout: {model.name[:80]}")
        mixers = [
            (m, n) for m, n in zip(maxouts, norms, strict=True) if m.get_dim("nI") == len(tables) * width
        ]
        encoders = [(m, n) for m, n in zip(maxouts, norms, strict=True) if m.get_dim("nI") == 3 * width]
        if len(mixers) != 1 or len(mixers) + len(encoders) != len(maxouts):
            raise ValueError(f"unexpected maxout layers: {model.name[:80]}")
        pad = next(n.attrs["pad"] for n in nodes if n.name.startswith("with_array(residual"))
        linear = [n for n in nodes if n.name == "linear"]
        projection = (linear[0].get_param("W").T.copy(), linear[0].get_param("b")) if linear else None
        return cls(
            columns,
            tables,
            _Maxout.from_layers(*mixers[0]),
            [_Maxout.from_layers(m, n) for m, n in encoders],
            pad,
            projection,
        )

    def predict_flat(self, docs: list[Any]) -> np.ndarray:
        """All tokens' vectors, documents end to end: (total tokens, width)."""
        docs = [d for d in docs if len(d)]
        if not docs:
            return np.zeros((0, self._out_width()), dtype=np.float32)
        features = np.concatenate([d.to_array(self.columns).reshape(len(d), -1) for d in docs]).astype(
            np.uint64
        )
        embedded = np.concatenate(
            [
                self._ops.gather_add(
                    table, self._ops.hash(np.ascontiguousarray(features[:, column]), seed) % len(table)
                )
                for column, seed, table in self.tables
            ],
            axis=1,
        )
        mixed = self.mix(embedded)
        # Lay the documents end to end with `pad` zero rows before each and after the last (thinc's
        # `flatten`); the pad rows are computed like tokens and dropped at the end.
        lengths = np.array([len(d) for d in docs])
        starts = self.pad + np.concatenate([[0], np.cumsum(lengths + self.pad)[:-1]])
        rows = np.concatenate([np.arange(s, s + n) for s, n in zip(starts, lengths, strict=True)])
        h = np.zeros((int(lengths.sum()) + self.pad * (len(docs) + 1), mixed.shape[1]), dtype=mixed.dtype)
        h[rows] = mixed
        width = h.shape[1]
        window = np.zeros((h.shape[0], 3 * width), dtype=h.dtype)
        for layer in self.layers:
            window[1:, :width] = h[:-1]
            window[:, width : 2 * width] = h
            window[:-1, 2 * width :] = h[1:]
            h = h + layer(window)
        out = h[rows]
        if self.projection is not None:
            out = out @ self.projection[0] + self.projection[1]
        return out

    def _out_width(self) -> int:
        if self.projection is not None:
            return self.projection[0].shape[1]
        return self.layers[-1].gain.shape[0]


class BatchedComponent:
    """A spaCy pipeline component that annotates documents a batch at a time: subclasses write
    `_annotate(docs)`; `nlp(text)` and `nlp.pipe(texts)` go through `__call__` and `pipe`."""

    def __init__(self, batch_size: int = 64) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        self._batch_size = batch_size

    def __call__(self, doc: Any) -> Any:
        self._annotate([doc])
        return doc

    def pipe(self, docs: Iterable[Any], batch_size: int | None = None) -> Iterator[Any]:
        size = batch_size or self._batch_size
        stream = iter(docs)
        while batch := list(islice(stream, size)):
            self._annotate(batch)
            yield from batch

    def _annotate(self, docs: list[Any]) -> None:
        raise NotImplementedError


class NumpyTagger(BatchedComponent):
    """A spaCy pipeline component in place of `tok2vec` + `tagger`: the same tags from the same weights.

    Usage: see `SpacyParser.load`, which installs it as "newsqa_numpy_tagger". The shared tok2vec's
    only other listener in en_core_web_sm is the parser, which `SpacyParser` leaves out; so nothing
    else reads `doc.tensor`, and it is not set.
    """

    def __init__(self, tok2vec: Any, tagger: Any, batch_size: int = 64) -> None:
        super().__init__(batch_size)
        softmax = [n for n in tagger.model.walk() if n.name == "softmax"]
        listeners = [n for n in tagger.model.walk() if n.name == "tok2vec-listener"]
        if len(softmax) != 1 or len(listeners) != 1:
            raise ValueError(f"expected a tagger listening to a shared tok2vec: {tagger.model.name[:80]}")
        self._vectors = NumpyTok2Vec.from_model(tok2vec.model)
        self._weights = softmax[0].get_param("W").T.copy()
        self._bias = softmax[0].get_param("b")
        strings = tagger.vocab.strings
        self._tag_ids = np.array([strings.add(label) for label in tagger.labels], dtype=np.uint64)
        self._overwrite = bool(tagger.cfg.get("overwrite", False))

    def _annotate(self, docs: list[Any]) -> None:
        todo = [d for d in docs if len(d)]
        if not todo:
            return
        scores = self._vectors.predict_flat(todo) @ self._weights
        scores += self._bias
        tags = self._tag_ids[scores.argmax(axis=1)].tolist()
        offset = 0
        for doc in todo:
            for token, tag in zip(doc, tags[offset : offset + len(doc)], strict=True):
                if self._overwrite or token.tag == 0:  # spaCy's tagger keeps preset tags unless told
                    token.tag = tag
            offset += len(doc)
