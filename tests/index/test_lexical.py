from __future__ import annotations

import gzip
import json
import shutil
from collections.abc import Callable
from pathlib import Path

import bm25s
import numpy as np
import pytest

import textkit
from index.chunker import SentenceChunker
from index.embedder import FakeEmbedder
from index.lexical import LexicalIndex, versions_fingerprint
from index.store import ArticleStore
from index.terms import passage_terms
from newsqa.types import Article, Chunk, Filters
from tests.index.conftest import WriteParts


def _chunk(aid: str, n: int, text: str, source: str = "a.com") -> Chunk:
    return Chunk(id=f"{aid}:v:{n}", article_id=aid, n=n, text=text, start=0, end=len(text), source=source)


FLOODS = "Floods in Pakistan displaced millions"
SENATORS = "The senators voted on the flood relief bill"
TWO_SENTENCES = "Floods in Pakistan displaced millions. Senators voted on relief."


def _index(path: Path, *texts: str, save: bool = True) -> LexicalIndex:
    """An index of one single-chunk article per text ("a", "b", ...), saved unless asked not to."""
    index = LexicalIndex(path)
    for aid, text in zip("abcdefgh", texts, strict=False):
        index.replace_article(aid, "v1", [_chunk(aid, 0, text)], 0)
    if save:
        index.save()
    return index


class TestLexicalIndex:
    def test_bm25_ranking_filters_and_stemming(self, tmp_path: Path) -> None:
        index = LexicalIndex(tmp_path / "lex.json.gz")
        index.replace_article("a", "v1", [_chunk("a", 0, "The senators voted on the climate bill")], 100)
        index.replace_article(
            "b", "v1", [_chunk("b", 0, "Floods in Pakistan displaced millions", "b.com")], 200
        )
        index.replace_article("c", "v1", [_chunk("c", 0, "A vote on floods relief")], 0)
        assert [c.article_id for c, _ in index.search("senator votes", k=5)] == ["a", "c"]
        assert [c.article_id for c, _ in index.search("floods", k=5, sources=["b.com"])] == ["b"]
        assert [c.article_id for c, _ in index.search("floods vote", k=5, ts_from=150)] == ["b"]
        assert index.search("the of and", k=5) == []
        assert index.search("zebra", k=5) == []

    def test_save_load_round_trip_and_stamp(self, tmp_path: Path) -> None:
        path = tmp_path / "lex.json.gz"
        index = LexicalIndex(path)
        index.replace_article("a", "v1", [_chunk("a", 0, "hello world")], 0)
        index.save()
        loaded = LexicalIndex(path)
        assert loaded.load() and loaded.fingerprint == versions_fingerprint({"a": "v1"})
        assert loaded.search("hello", k=1)[0][0].id == "a:v:0"
        assert loaded.remove_article("a") and loaded.search("hello", k=1) == []

    def test_built_model_is_kept_and_reused_only_for_the_same_contents(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        path = tmp_path / "lex.json.gz"
        index = _index(path, FLOODS, SENATORS)
        built = index.search("floods senators", k=5)
        assert (index.model_dir / "fingerprint").read_text() == index.model_stamp
        assert not [p for p in tmp_path.iterdir() if p.name not in ("lex.json.gz", "lex.json.gz.bm25")]

        def no_indexing(*args: object, **kwargs: object) -> None:
            raise AssertionError("the kept model should have been loaded")

        with monkeypatch.context() as m:
            m.setattr(bm25s.BM25, "index", no_indexing)
            reopened = LexicalIndex(path)
            assert reopened.load()
            assert reopened.search("floods senators", k=5) == built

        reopened.remove_article("a")  # other contents: the kept model no longer applies
        assert [c.article_id for c, _ in reopened.search("floods senators", k=5)] == ["b"]
        assert reopened.model_stamp.startswith(versions_fingerprint({"b": "v1"}))
        assert (reopened.model_dir / "fingerprint").read_text() == reopened.model_stamp

    def test_torn_kept_model_is_rebuilt(self, tmp_path: Path) -> None:
        path = tmp_path / "lex.json.gz"
        index = _index(path, FLOODS)
        expected = index.search("floods", k=1)
        for kept in index.model_dir.glob("*.npy"):
            kept.write_bytes(b"torn")
        reopened = LexicalIndex(path)
        assert reopened.load() and reopened.search("floods", k=1) == expected

    def test_files_of_another_text_kernel_or_an_older_format_are_not_loaded(self, tmp_path: Path) -> None:
        path = tmp_path / "lex.json.gz"
        _index(path, FLOODS, SENATORS)
        data = json.loads(gzip.decompress(path.read_bytes()))
        assert data["text_kernel"] == textkit.VERSION and LexicalIndex(path).load()
        for change in ({"text_kernel": textkit.VERSION - 1}, {"text_kernel": None}, {"format": 3}):
            path.write_bytes(gzip.compress(json.dumps({**data, **change}).encode()))
            assert LexicalIndex(path).load() is False, change

    def test_kept_model_of_another_text_kernel_is_not_reused(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        path = tmp_path / "lex.json.gz"
        _index(path, FLOODS, SENATORS).search("floods", k=1)  # builds and keeps the model
        monkeypatch.setattr(textkit, "VERSION", textkit.VERSION + 1)
        indexed: list[int] = []
        original = bm25s.BM25.index
        monkeypatch.setattr(bm25s.BM25, "index", lambda *a, **k: indexed.append(1) or original(*a, **k))
        index = _index(path, FLOODS, SENATORS)  # same contents, tokenised by the newer kernel
        assert index.search("floods", k=1)[0][0].article_id == "a" and indexed == [1]
        assert (index.model_dir / "fingerprint").read_text() == index.model_stamp

    def test_passage_terms_are_kept_saved_and_reloaded(self, tmp_path: Path) -> None:
        path = tmp_path / "lex.json.gz"
        texts = [TWO_SENTENCES, SENATORS, ""]
        index = _index(path, *texts)
        ids = ["a:v:0", "b:v:0", "c:v:0", "a:v:9"]
        expected = [*(passage_terms(t) for t in texts), None]
        assert index.passage_terms(ids) == expected
        assert expected[0].sentence_of[-1] == 1  # two sentences, whose numbers the round trip must keep
        reopened = LexicalIndex(path)
        assert reopened.load() and reopened.passage_terms(ids) == expected
        index.remove_article("a")
        assert index.passage_terms(["a:v:0"]) == [None]

    def test_stored_terms_are_ids_into_the_vocabulary(self, tmp_path: Path) -> None:
        index = _index(tmp_path / "lex.json.gz", TWO_SENTENCES, SENATORS)
        stored, vocab = index.stored_terms(["a:v:0", "x:v:0"])
        word_of = {i: w for w, i in vocab.items()}
        expected = passage_terms(TWO_SENTENCES)
        assert stored[0] is not None and stored[1] is None
        ids, lengths = stored[0]
        assert tuple(word_of[i] for i in ids.tolist()) == expected.flat
        assert lengths.tolist() == np.bincount(expected.sentence_of).tolist()

    def test_tokens_not_matching_chunks_or_vocabulary_are_not_loaded(self, tmp_path: Path) -> None:
        path = tmp_path / "lex.json.gz"
        _index(path, FLOODS)
        data = json.loads(gzip.decompress(path.read_bytes()))
        for broken in ({"lengths": [99]}, {"ids": ""}):
            bad = json.loads(json.dumps(data))
            bad["articles"]["a"]["tokens"].update(broken)
            path.write_bytes(gzip.compress(json.dumps(bad).encode()))
            assert LexicalIndex(path).load() is False
        data["vocab"] = data["vocab"][:1]  # ids beyond the vocabulary
        path.write_bytes(gzip.compress(json.dumps(data).encode()))
        assert LexicalIndex(path).load() is False

    def test_terms_not_matching_their_sentences_or_vocabulary_are_not_loaded(self, tmp_path: Path) -> None:
        path = tmp_path / "lex.json.gz"
        _index(path, TWO_SENTENCES)
        data = json.loads(gzip.decompress(path.read_bytes()))
        assert LexicalIndex(path).load() is True
        bad = json.loads(json.dumps(data))
        bad["articles"]["a"]["sentence_lengths"] = {"ids": "", "lengths": [0]}  # no sentences for the terms
        path.write_bytes(gzip.compress(json.dumps(bad).encode()))
        assert LexicalIndex(path).load() is False
        data["term_vocab"] = data["term_vocab"][:1]  # term ids beyond the vocabulary
        path.write_bytes(gzip.compress(json.dumps(data).encode()))
        assert LexicalIndex(path).load() is False

    def test_torn_or_missing_file_is_not_loaded(self, tmp_path: Path) -> None:
        path = tmp_path / "lex.json.gz"
        assert LexicalIndex(path).load() is False
        path.write_bytes(gzip.compress(b'{"format": 4, "fing'))
        assert LexicalIndex(path).load() is False


def _fill(
    store: ArticleStore, chunker: SentenceChunker, embedder: FakeEmbedder, make: Callable[..., Article]
) -> None:
    with store.batch():
        for i, text in enumerate(
            ["Senators voted on the climate bill.", "Pakistan floods displaced millions."]
        ):
            article = make(id=f"a{i}", text=text * 3, source=f"s{i}.com", published=f"2022-0{i + 1}-15")
            chunks = chunker.chunk(article)
            store.write_article(article, chunks, embedder.embed_texts([c.text for c in chunks]))


class TestLexicalInStore:
    def test_rebuilt_from_chroma_when_deleted_or_stale(
        self,
        fake_store: ArticleStore,
        write_parts: WriteParts,
    ) -> None:
        _fill(fake_store, write_parts.chunker, write_parts.embedder, write_parts.article)
        path = fake_store._lexical.path
        assert path.is_file()
        path.unlink()
        reopened = ArticleStore(
            fake_store.data_dir, write_parts.embedder.dim, model_id=write_parts.embedder.model_id
        )
        assert path.is_file()
        assert reopened.lexical_search("floods", k=3)[0].chunk.article_id == "a1"
        # A stale file (built from another version set) is detected by its stamp and rebuilt.
        stale = LexicalIndex(path)
        stale.replace_article("a0", "old-version", [_chunk("a0", 0, "floods floods floods")], 0)
        stale.save()
        again = ArticleStore(
            fake_store.data_dir, write_parts.embedder.dim, model_id=write_parts.embedder.model_id
        )
        assert [h.chunk.article_id for h in again.lexical_search("floods", k=3)] == ["a1"]
        assert again._lexical.fingerprint == versions_fingerprint(again.versions())
        # Same versions, but tokens of another text kernel (swapped here): only the kernel stamp tells.
        data = json.loads(gzip.decompress(path.read_bytes()))
        flood, senat = data["vocab"].index("flood"), data["vocab"].index("senat")
        data["vocab"][flood], data["vocab"][senat] = "senat", "flood"  # what another kernel might have made
        data["text_kernel"] = textkit.VERSION - 1
        path.write_bytes(gzip.compress(json.dumps(data).encode()))
        shutil.rmtree(again._lexical.model_dir)  # the kept model has its own vocabulary
        third = ArticleStore(
            fake_store.data_dir, write_parts.embedder.dim, model_id=write_parts.embedder.model_id
        )
        assert [h.chunk.article_id for h in third.lexical_search("floods", k=3)] == ["a1"]
        assert json.loads(gzip.decompress(path.read_bytes()))["text_kernel"] == textkit.VERSION

    def test_filters_and_batch_persists_once(
        self,
        fake_store: ArticleStore,
        write_parts: WriteParts,
        monkeypatch,
    ) -> None:
        saves: list[int] = []
        original = fake_store._lexical.save
        monkeypatch.setattr(fake_store._lexical, "save", lambda: saves.append(1) or original())
        _fill(fake_store, write_parts.chunker, write_parts.embedder, write_parts.article)
        assert len(saves) == 1
        assert fake_store.lexical_search("floods", k=3, filters=Filters(sources=["s0.com"])) == []
        hits = fake_store.lexical_search("climate floods", k=3, filters=Filters(published_to="2022-01-31"))
        assert {h.chunk.article_id for h in hits} == {"a0"} and hits[0].scores["bm25"] > 0
