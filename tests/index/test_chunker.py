from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

import pytest
from llama_index.core import Document

from index.chunker import SentenceChunker
from index.embedder import Embedder, FakeEmbedder
from newsqa.errors import InvalidInput
from newsqa.types import Article
from textkit import split_sentences


class TestSentenceChunker:
    def test_offsets_ids_and_limits_on_dev_articles(
        self,
        onnx_embedder: Embedder,
        dev_articles: list[dict[str, Any]],
        make_test_article: Callable[..., Article],
    ) -> None:
        chunker = SentenceChunker(onnx_embedder, chunk_tokens=200, overlap_tokens=40)
        sample = random.Random(7).sample(dev_articles, 300)
        total = 0
        for record in sample:
            article = make_test_article(record)
            chunks = chunker.chunk(article)
            assert chunks or not article.text.strip()
            counts = onnx_embedder.count_tokens_batch([c.text for c in chunks]) if chunks else []
            assert max(counts, default=0) <= 200
            for n, chunk in enumerate(chunks):
                assert chunk.text == article.text[chunk.start : chunk.end]
                assert chunk.id == f"{article.id}:{article.content_hash[:8]}:{n}"
                assert chunk.n == n and chunk.article_id == article.id and chunk.title == article.title
            # chunks advance through the text and together cover every sentence
            starts = [c.start for c in chunks]
            assert starts == sorted(set(starts))
            covered = [False] * len(article.text)
            for c in chunks:
                covered[c.start : c.end] = [True] * (c.end - c.start)
            assert all(covered[a] and covered[b - 1] for a, b in split_sentences(article.text))
            total += len(chunks)
        assert total > 300

    def test_overlap_is_whole_trailing_sentences(
        self, fake_embedder: FakeEmbedder, make_test_article: Callable[..., Article]
    ) -> None:
        sentences = [f"Sentence number {i} has exactly seven words." for i in range(30)]
        article = make_test_article(id="a1", text=" ".join(sentences))
        chunker = SentenceChunker(fake_embedder, chunk_tokens=40, overlap_tokens=10)
        chunks = chunker.chunk(article)
        assert len(chunks) > 3
        for prev, nxt in zip(chunks, chunks[1:], strict=False):
            assert nxt.start < prev.end  # they overlap ...
            assert article.text[nxt.start : prev.end] in sentences  # ... by exactly one whole sentence
            assert fake_embedder.count_tokens(prev.text) <= 40

    def test_chunks_cut_between_sentences_are_not_tokenised_again(
        self, fake_embedder: FakeEmbedder, make_test_article: Callable[..., Article]
    ) -> None:
        recounted: list[str] = []

        class Counting:
            max_tokens = fake_embedder.max_tokens
            token_offsets = staticmethod(fake_embedder.token_offsets)

            @staticmethod
            def count_tokens_batch(texts: list[str]) -> list[int]:
                recounted.extend(texts)
                return fake_embedder.count_tokens_batch(texts)

        sentences = [f"Sentence number {i} has exactly seven words." for i in range(30)]
        chunks = SentenceChunker(Counting(), chunk_tokens=40, overlap_tokens=10).chunk(  # type: ignore[arg-type]
            make_test_article(id="a1", text=" ".join(sentences))
        )
        assert len(chunks) > 3 and recounted == []  # the whole text's word pieces already counted them
        long_word = make_test_article(id="a2", text="-".join(["w"] * 100))  # 199 pieces, no space
        assert SentenceChunker(Counting(), chunk_tokens=40, overlap_tokens=0).chunk(long_word)  # type: ignore[arg-type]
        assert recounted  # a cut inside a word is counted again on its own text

    def test_long_sentence_is_cut_at_word_boundaries(
        self, onnx_embedder: Embedder, make_test_article: Callable[..., Article]
    ) -> None:
        text = " ".join(f"word{i}" for i in range(1500)) + " " + "x" * 3000
        article = make_test_article(id="long", text=text)
        chunks = SentenceChunker(onnx_embedder, chunk_tokens=100, overlap_tokens=0).chunk(article)
        assert len(chunks) > 10
        for c in chunks:
            assert c.text == text[c.start : c.end]
            assert onnx_embedder.count_tokens(c.text) <= 100
        assert all(text[c.end].isspace() for c in chunks[:3])

    def test_empty_article_has_no_chunks(
        self, fake_embedder: FakeEmbedder, make_test_article: Callable[..., Article]
    ) -> None:
        assert SentenceChunker(fake_embedder).chunk(make_test_article(id="e", text="   \n ")) == []

    def test_rejects_bad_config(self, fake_embedder: FakeEmbedder) -> None:
        with pytest.raises(InvalidInput):
            SentenceChunker(fake_embedder, chunk_tokens=100, overlap_tokens=100)
        with pytest.raises(InvalidInput):
            SentenceChunker(fake_embedder, chunk_tokens=fake_embedder.max_tokens + 1)

    def test_llama_index_node_parser(self, fake_embedder: FakeEmbedder) -> None:
        text = "First sentence here. " * 40
        nodes = SentenceChunker(fake_embedder, chunk_tokens=30, overlap_tokens=5).get_nodes_from_documents(
            [Document(text=text, id_="doc1", metadata={"title": "T"})]
        )
        assert len(nodes) > 3
        for node in nodes:
            assert text[node.start_char_idx : node.end_char_idx] == node.get_content()
            assert node.metadata["article_id"] == "doc1"
            assert node.ref_doc_id == "doc1"
