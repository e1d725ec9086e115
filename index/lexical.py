"""BM25 over chunk texts (bm25s over `textkit.search_terms`), a cache derived from Chroma.

Usage:
    lexical = LexicalIndex(data_dir / "lexical" / "newsqa.json.gz")
    lexical.load()                                   # False when missing or unreadable
    if lexical.fingerprint != versions_fingerprint(store_versions): ...rebuild from Chroma...
    lexical.replace_article("a1", "hash", chunks, published_ts=1656633600)
    lexical.save()                          # atomic; stamped with the (id, version) set and textkit.VERSION
    lexical.search("senate vote", k=10, sources=["cnn.com"], ts_from=0, ts_to=None)

Each chunk keeps its stemmed tokens (as int32 ids into one vocabulary: as Python strings they were
most of a large index's memory, ~600 MB at 98k chunks), so adding or removing an article re-indexes
without re-tokenising the corpus. Edits mark the index dirty; the BM25 model is rebuilt on the next
search, so a batch of edits costs one rebuild. A built model is kept beside the file
(`<file>.bm25/`, stamped with the same fingerprint): a restart loads it instead of re-indexing
(3.6 s for 24k chunks here, 30 ms to load).

It also keeps each chunk's `PassageTerms` (stems with stop words, by sentence; ids into a second
vocabulary), computed here at ingest so that the reranker does not re-tokenise its candidates at
every query: `lexical.stored_terms(["a1:0"])` gives the ids (what the reranker's `TermTable` reads),
`lexical.passage_terms(["a1:0"])` the stems.

Tokens and terms come from the text kernel (`textkit`): a file or kept model made by another kernel
version (`textkit.VERSION`) is not loaded, so the store rebuilds the index from Chroma.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import logging
import os
import shutil
import tempfile
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

import textkit
from index.terms import PassageTerms, passage_terms
from newsqa.types import Chunk
from textkit import search_terms

# 4: stamped with the text kernel's version. Earlier files (1: tokens as strings, 2: no passage terms,
# 3: no stamp) were tokenised by earlier kernels: not loaded, rebuilt from Chroma.
_FORMAT = 4
_MODEL_STAMP = "fingerprint"

logger = logging.getLogger(__name__)


def _check_ids(article_id: str, ids: list[np.ndarray], chunks: list[Chunk], vocab_size: int) -> None:
    if len(ids) != len(chunks) or any(len(t) and int(t.max()) >= vocab_size for t in ids):
        raise ValueError(f"article {article_id}: ids do not match its chunks or the vocabulary")


def versions_fingerprint(versions: Mapping[str, str]) -> str:
    """A stamp of the exact (article id, version) set an index was built from."""
    digest = hashlib.sha1()
    for article_id in sorted(versions):
        digest.update(f"{article_id}\x00{versions[article_id]}\n".encode())
    return f"{len(versions)}:{digest.hexdigest()}"


@dataclass
class _ArticleEntry:
    version: str
    published_ts: int
    chunks: list[Chunk]
    tokens: list[np.ndarray]  # per chunk: int32 ids into the index's vocabulary
    terms: list[np.ndarray]  # per chunk: `PassageTerms.flat` as int32 ids into the term vocabulary
    sentence_lengths: list[np.ndarray]  # per chunk: how many of its terms each sentence has


def _pack(tokens: list[np.ndarray]) -> dict[str, Any]:
    """One article's token ids for the file: base64 of the concatenated int32s, and each chunk's length."""
    flat = np.concatenate(tokens) if tokens else np.zeros(0, dtype=np.int32)
    return {
        "ids": base64.b64encode(flat.astype("<i4").tobytes()).decode("ascii"),
        "lengths": [len(t) for t in tokens],
    }


def _token_ids(tokens: list[list[str]], vocab: dict[str, int], words: list[str]) -> list[np.ndarray]:
    """Each chunk's tokens as int32 ids; new words are appended to `words` and `vocab`."""
    out = []
    for chunk_tokens in tokens:
        ids = []
        for word in chunk_tokens:
            i = vocab.get(word)
            if i is None:
                i = vocab[word] = len(words)
                words.append(word)
            ids.append(i)
        out.append(np.array(ids, dtype=np.int32))
    return out


def _term_ids(
    computed: list[PassageTerms], vocab: dict[str, int], words: list[str]
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Each chunk's terms as (term ids, terms per sentence); new terms extend the vocabulary."""
    ids = _token_ids([list(t.flat) for t in computed], vocab, words)
    lengths = [np.bincount(np.array(t.sentence_of, dtype=np.int64)).astype(np.int32) for t in computed]
    return ids, lengths


def _unpack(packed: dict[str, Any]) -> list[np.ndarray]:
    flat = np.frombuffer(base64.b64decode(packed["ids"]), dtype="<i4").astype(np.int32)
    bounds = np.cumsum([0, *packed["lengths"]])
    if bounds[-1] != len(flat):
        raise ValueError("token ids and lengths disagree")
    return [flat[a:b] for a, b in zip(bounds[:-1], bounds[1:], strict=True)]


class LexicalIndex:
    """BM25 over the chunks of the current article versions, filtered by source and date."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._articles: dict[str, _ArticleEntry] = {}
        # Only grows (a word of a removed article keeps its id); saved with the index.
        self._words: list[str] = []
        self._vocab: dict[str, int] = {}
        self._term_words: list[str] = []
        self._term_vocab: dict[str, int] = {}
        self._dirty = True
        self._model: Any = None
        self._chunks: list[Chunk] = []
        self._position: dict[str, int] = {}
        self._terms: list[tuple[np.ndarray, np.ndarray]] = []  # by position, like `_chunks`
        self._sources = np.zeros(0, dtype=object)
        self._ts = np.zeros(0, dtype=np.int64)
        # Searches may run on server threads while an ingest edits: one build at a time.
        self._guard = threading.RLock()

    # -- contents -----------------------------------------------------------------------------

    @property
    def versions(self) -> dict[str, str]:
        return {aid: entry.version for aid, entry in self._articles.items()}

    @property
    def fingerprint(self) -> str:
        return versions_fingerprint(self.versions)

    def __len__(self) -> int:
        return sum(len(e.chunks) for e in self._articles.values())

    @property
    def model_stamp(self) -> str:
        """What a kept BM25 model must have been built from: these contents, by this text kernel."""
        return f"{self.fingerprint} text-kernel {textkit.VERSION}"

    def replace_article(self, article_id: str, version: str, chunks: list[Chunk], published_ts: int) -> None:
        tokens = [search_terms(c.text) for c in chunks]
        computed = [passage_terms(c.text) for c in chunks]
        with self._guard:
            ids = _token_ids(tokens, self._vocab, self._words)
            terms, lengths = _term_ids(computed, self._term_vocab, self._term_words)
            self._articles[article_id] = _ArticleEntry(
                version, published_ts, list(chunks), ids, terms, lengths
            )
            self._dirty = True

    def remove_article(self, article_id: str) -> bool:
        with self._guard:
            removed = self._articles.pop(article_id, None) is not None
            self._dirty = self._dirty or removed
        return removed

    def clear(self) -> None:
        self._articles.clear()
        self._words, self._vocab = [], {}
        self._term_words, self._term_vocab = [], {}
        self._dirty = True

    def article_ids(self) -> set[str]:
        return set(self._articles)

    # -- persistence --------------------------------------------------------------------------

    def load(self) -> bool:
        """Read the persisted index; False when it is missing, unreadable, of another format or made
        by another version of the text kernel (its tokens and terms would not be today's)."""
        try:
            with gzip.open(self.path, "rt", encoding="utf-8") as fh:
                data = json.load(fh)
        except (OSError, ValueError, EOFError):
            return False
        if data.get("format") != _FORMAT or data.get("text_kernel") != textkit.VERSION:
            return False
        try:
            articles = self._read_articles(data)
        except (KeyError, TypeError, ValueError):
            return False
        if versions_fingerprint({a: e.version for a, e in articles.items()}) != data.get("fingerprint"):
            return False  # a torn or hand-edited file: treat as missing
        words, term_words = list(data["vocab"]), list(data["term_vocab"])
        with self._guard:
            self._articles = articles
            self._words, self._vocab = words, {w: i for i, w in enumerate(words)}
            self._term_words, self._term_vocab = term_words, {w: i for i, w in enumerate(term_words)}
            self._dirty = True
        return True

    @staticmethod
    def _read_articles(data: dict[str, Any]) -> dict[str, _ArticleEntry]:
        articles: dict[str, _ArticleEntry] = {}
        n_words, n_terms = len(data["vocab"]), len(data["term_vocab"])
        for aid, entry in data["articles"].items():
            chunks = [Chunk(**c) for c in entry["chunks"]]
            tokens = _unpack(entry["tokens"])
            _check_ids(aid, tokens, chunks, n_words)
            terms, lengths = _unpack(entry["terms"]), _unpack(entry["sentence_lengths"])
            _check_ids(aid, terms, chunks, n_terms)
            if any(int(n.sum()) != len(t) for t, n in zip(terms, lengths, strict=False)):
                raise ValueError(f"article {aid}: sentence lengths do not add up to its terms")
            published_ts = int(entry["published_ts"])
            articles[aid] = _ArticleEntry(entry["version"], published_ts, chunks, tokens, terms, lengths)
        return articles

    def save(self) -> None:
        """Write atomically (temp file + rename): a killed writer leaves the previous file intact."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._guard:
            data = self._snapshot()
        fd, tmp = tempfile.mkstemp(prefix=self.path.name + ".", suffix=".tmp", dir=self.path.parent)
        try:
            with os.fdopen(fd, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=1) as fh:
                fh.write(json.dumps(data, separators=(",", ":")).encode("utf-8"))
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def _snapshot(self) -> dict[str, Any]:
        return {
            "format": _FORMAT,
            "text_kernel": textkit.VERSION,
            "fingerprint": self.fingerprint,
            "vocab": list(self._words),
            "term_vocab": list(self._term_words),
            "articles": {
                aid: {
                    "version": e.version,
                    "published_ts": e.published_ts,
                    "chunks": [c.to_dict() for c in e.chunks],
                    "tokens": _pack(e.tokens),
                    "terms": _pack(e.terms),
                    "sentence_lengths": _pack(e.sentence_lengths),
                }
                for aid, e in self._articles.items()
            },
        }

    # -- search -------------------------------------------------------------------------------

    @property
    def model_dir(self) -> Path:
        return self.path.with_name(self.path.name + ".bm25")

    def _load_model(self, fingerprint: str) -> Any:
        """The persisted BM25 model when it was built under exactly this stamp (`model_stamp`), else None."""
        import bm25s

        stamp = self.model_dir / _MODEL_STAMP
        try:
            if stamp.read_text(encoding="utf-8") != fingerprint:
                return None
            model = bm25s.BM25.load(str(self.model_dir))
            # Another process may have swapped in a model of other contents while we read this one.
            return model if stamp.read_text(encoding="utf-8") == fingerprint else None
        except Exception:  # missing, torn or from another bm25s version: rebuild
            return None

    def _save_model(self, model: Any, fingerprint: str) -> None:
        """Write the model to a fresh folder, stamp it, then swap it in; failures only cost a rebuild."""
        staging: str | None = None
        try:
            self.model_dir.parent.mkdir(parents=True, exist_ok=True)
            staging = tempfile.mkdtemp(prefix=self.model_dir.name + ".", dir=self.model_dir.parent)
            model.save(staging)
            Path(staging, _MODEL_STAMP).write_text(fingerprint, encoding="utf-8")
            old = None
            if self.model_dir.exists():
                old = tempfile.mkdtemp(prefix=self.model_dir.name + ".old.", dir=self.model_dir.parent)
                os.replace(self.model_dir, Path(old, "model"))
            os.replace(staging, self.model_dir)
            staging = None
            if old is not None:
                shutil.rmtree(old, ignore_errors=True)
        except OSError as exc:
            logger.warning("lexical index: cannot keep the BM25 model in %s: %s", self.model_dir, exc)
        finally:
            if staging is not None:
                shutil.rmtree(staging, ignore_errors=True)

    def _build(self) -> None:
        import bm25s

        chunks: list[Chunk] = []
        tokens: list[np.ndarray] = []
        terms: list[tuple[np.ndarray, np.ndarray]] = []
        sources: list[str] = []
        ts: list[int] = []
        for aid in sorted(self._articles):
            entry = self._articles[aid]
            chunks.extend(entry.chunks)
            tokens.extend(entry.tokens)
            terms.extend(zip(entry.terms, entry.sentence_lengths, strict=True))
            sources.extend(c.source for c in entry.chunks)
            ts.extend([entry.published_ts] * len(entry.chunks))
        self._chunks = chunks
        self._position = {c.id: i for i, c in enumerate(chunks)}
        self._terms = terms
        self._sources = np.array(sources, dtype=object)
        self._ts = np.array(ts, dtype=np.int64)
        self._model = None
        if chunks:
            fingerprint = self.model_stamp
            model = self._load_model(fingerprint)
            if model is None:
                model = bm25s.BM25()
                model.index((tokens, dict(self._vocab)), show_progress=False)
                self._save_model(model, fingerprint)
            self._model = model
        self._dirty = False

    def lookup(self, chunk_ids: Iterable[str]) -> list[tuple[Chunk, int] | None]:
        """(chunk, published_ts) of each id among the current versions, None for any other id."""
        with self._guard:
            if self._dirty:
                self._build()
            position, chunks, ts = self._position, self._chunks, self._ts
        out: list[tuple[Chunk, int] | None] = []
        for cid in chunk_ids:
            i = position.get(cid)
            out.append(None if i is None else (chunks[i], int(ts[i])))
        return out

    def passage_terms(self, chunk_ids: Iterable[str]) -> list[PassageTerms | None]:
        """The `PassageTerms` of each id among the current chunks (None for any other id), from the
        ids stored at ingest: ~9x cheaper than `passage_terms(text)`."""
        with self._guard:
            if self._dirty:
                self._build()
            position, stored, words = self._position, self._terms, self._term_words
        out: list[PassageTerms | None] = []
        for cid in chunk_ids:
            i = position.get(cid)
            if i is None:
                out.append(None)
                continue
            ids, lengths = stored[i]
            flat = tuple(map(words.__getitem__, ids.tolist()))
            sentence_of = tuple(np.repeat(np.arange(len(lengths)), lengths).tolist())
            out.append(PassageTerms(flat, sentence_of, frozenset(flat)))
        return out

    def stored_terms(
        self, chunk_ids: Iterable[str]
    ) -> tuple[list[tuple[np.ndarray, np.ndarray] | None], Mapping[str, int]]:
        """Each id's stored terms as (stem ids, stems per sentence), None for an id not among the
        current chunks; and the vocabulary the ids index (for `TermTable.build`)."""
        with self._guard:
            if self._dirty:
                self._build()
            position, stored, vocab = self._position, self._terms, self._term_vocab
        out: list[tuple[np.ndarray, np.ndarray] | None] = []
        for cid in chunk_ids:
            i = position.get(cid)
            out.append(None if i is None else stored[i])
        return out, vocab

    def chunk_ids(
        self,
        *,
        sources: Iterable[str] | None = None,
        ts_from: int | None = None,
        ts_to: int | None = None,
    ) -> list[str]:
        """Ids of the current chunks passing the filters, in table order."""
        with self._guard:
            if self._dirty:
                self._build()
            mask = self._mask(sources, ts_from, ts_to)
            chunks = self._chunks
        return [chunks[i].id for i in np.flatnonzero(mask)]

    def _mask(self, sources: Iterable[str] | None, ts_from: int | None, ts_to: int | None) -> np.ndarray:
        mask = np.ones(len(self._chunks), dtype=bool)
        if sources:
            mask &= np.isin(self._sources, list(sources))
        if ts_from is not None:
            mask &= self._ts >= ts_from
        if ts_to is not None:
            mask &= self._ts <= ts_to
        return mask

    def search(
        self,
        query: str,
        k: int,
        *,
        sources: Iterable[str] | None = None,
        ts_from: int | None = None,
        ts_to: int | None = None,
    ) -> list[tuple[Chunk, float]]:
        """Top-k chunks by BM25 (score > 0) among those passing the filters."""
        query_tokens = search_terms(query)
        with self._guard:
            if self._dirty:
                self._build()
            if self._model is None or k <= 0 or not query_tokens:
                return []
            scores = self._model.get_scores(query_tokens)
            chunks = self._chunks
            mask = self._mask(sources, ts_from, ts_to)
        scores = np.where(mask & (scores > 0), scores, 0.0)
        k = min(k, int((scores > 0).sum()))
        if k == 0:
            return []
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.lexsort((top, -scores[top]))]
        return [(chunks[i], float(scores[i])) for i in top]
