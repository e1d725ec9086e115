"""Sentence-aligned chunks with exact character offsets, bounded by the embedding model's token limit.

Usage:
    chunker = SentenceChunker(embedder, chunk_tokens=200, overlap_tokens=40)
    chunks = chunker.chunk(article)           # chunk.text == article.text[chunk.start:chunk.end]
    nodes = chunker.get_nodes_from_documents(docs)   # the same, as a llama-index NodeParser

Sentences (`textkit.split_sentences`) are packed whole up to `chunk_tokens` word pieces; consecutive chunks share whole
trailing sentences up to `overlap_tokens`. A sentence longer than the limit is cut at word
boundaries. Token counts come from one tokenizer call per article (character offsets of every
word piece), and every chunk is re-counted on its own text before it is returned.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence
from typing import Any, Protocol

from llama_index.core.node_parser.interface import NodeParser
from llama_index.core.schema import BaseNode, MetadataMode, NodeRelationship, TextNode
from pydantic import Field, PrivateAttr

from index.ids import content_hash
from newsqa.errors import InvalidInput
from newsqa.types import Article, Chunk
from textkit import split_sentences


class TokenCounter(Protocol):
    max_tokens: int

    def token_offsets(self, text: str) -> list[tuple[int, int]]: ...

    def count_tokens_batch(self, texts: list[str]) -> list[int]: ...


def content_version(article: Article) -> str:
    """The article's content hash, or the hash of its text when the loader left it empty."""
    return article.content_hash or content_hash(article.text)


class SentenceChunker(NodeParser):
    """Packs whole sentences into chunks of at most min(chunk_tokens, model max) word pieces."""

    chunk_tokens: int = Field(default=200, description="Most word pieces in one chunk.")
    overlap_tokens: int = Field(default=40, description="Most word pieces repeated from the last chunk.")
    _counter: Any = PrivateAttr()

    def __init__(
        self, embedder: TokenCounter, chunk_tokens: int = 200, overlap_tokens: int = 40, **kwargs: Any
    ) -> None:
        if chunk_tokens < 8:
            raise InvalidInput(f"chunk_tokens must be >= 8, got {chunk_tokens}")
        if chunk_tokens > embedder.max_tokens:
            raise InvalidInput(
                f"chunk_tokens {chunk_tokens} exceeds the embedding model's limit of {embedder.max_tokens}"
            )
        if not 0 <= overlap_tokens < chunk_tokens:
            raise InvalidInput(f"overlap_tokens must be in [0, chunk_tokens), got {overlap_tokens}")
        super().__init__(chunk_tokens=chunk_tokens, overlap_tokens=overlap_tokens, **kwargs)
        self._counter = embedder

    @classmethod
    def class_name(cls) -> str:
        return "SentenceChunker"

    def chunk(self, article: Article) -> list[Chunk]:
        version = content_version(article)
        text = article.text
        spans = self._chunk_spans(text)
        return [
            Chunk(
                id=f"{article.id}:{version[:8]}:{n}",
                article_id=article.id,
                n=n,
                text=text[start:end],
                start=start,
                end=end,
                title=article.title,
                source=article.source,
                url=article.url,
                published=article.published,
            )
            for n, (start, end) in enumerate(spans)
        ]

    def _parse_nodes(
        self, nodes: Sequence[BaseNode], show_progress: bool = False, **kwargs: Any
    ) -> list[BaseNode]:
        out: list[BaseNode] = []
        for node in nodes:
            meta = node.metadata or {}
            article = Article(
                id=node.node_id,
                title=str(meta.get("title", "")),
                text=node.get_content(metadata_mode=MetadataMode.NONE),
                source=str(meta.get("source", "")),
                url=meta.get("url"),
                published=meta.get("published"),
            )
            for chunk in self.chunk(article):
                out.append(
                    TextNode(
                        id_=chunk.id,
                        text=chunk.text,
                        start_char_idx=chunk.start,
                        end_char_idx=chunk.end,
                        metadata={
                            "article_id": chunk.article_id,
                            "n": chunk.n,
                            "start": chunk.start,
                            "end": chunk.end,
                        },
                        relationships={NodeRelationship.SOURCE: node.as_related_node_info()},
                    )
                )
        return out

    # -- span arithmetic ----------------------------------------------------------------------

    def _chunk_spans(self, text: str) -> list[tuple[int, int]]:
        sentences = split_sentences(text)
        if not sentences:
            return []
        starts = [s for s, _ in self._counter.token_offsets(text)]
        limit = self.chunk_tokens

        def tokens(a: int, b: int) -> int:
            return bisect_left(starts, b) - bisect_left(starts, a)

        units: list[tuple[int, int]] = []
        for a, b in sentences:
            if tokens(a, b) <= limit:
                units.append((a, b))
            else:
                units.extend(_split_long(text, starts, a, b, limit))
        spans: list[tuple[int, int]] = []
        i, n = 0, len(units)
        while i < n:
            j = i + 1
            while j < n and tokens(units[i][0], units[j][1]) <= limit:
                j += 1
            spans.append((units[i][0], units[j - 1][1]))
            if j >= n:
                break
            # Next chunk starts at the earliest trailing sentence that fits the overlap and leaves
            # room for the next new sentence.
            k = i + 1
            while k < j and (
                tokens(units[k][0], units[j - 1][1]) > self.overlap_tokens
                or tokens(units[k][0], units[j][1]) > limit
            ):
                k += 1
            i = k
        return self._enforce_limit(text, spans, limit)

    def _enforce_limit(self, text: str, spans: list[tuple[int, int]], limit: int) -> list[tuple[int, int]]:
        """Re-count each chunk cut inside a word on its own text; halve any that the cut made too long.

        A chunk that starts and ends beside whitespace (or at the text's ends) has exactly the word
        pieces the whole-text count gave it, so only the others are tokenised again: re-counting
        every chunk was a third of the chunker's time, on the ingest thread that competes with the
        embedding model for the CPU.
        """
        cut = [k for k, (a, b) in enumerate(spans) if not _at_word_edges(text, a, b)]
        if not cut:
            return spans
        counts = self._counter.count_tokens_batch([text[spans[k][0] : spans[k][1]] for k in cut])
        too_long = {k for k, count in zip(cut, counts, strict=True) if count > limit}
        out: list[tuple[int, int]] = []
        for k, (a, b) in enumerate(spans):
            out.extend(self._halve_until_fits(text, a, b, limit) if k in too_long else [(a, b)])
        return out

    def _halve_until_fits(self, text: str, a: int, b: int, limit: int) -> list[tuple[int, int]]:
        if b - a <= 1 or self._counter.count_tokens_batch([text[a:b]])[0] <= limit:
            return [(a, b)]
        mid = (a + b) // 2
        space = text.rfind(" ", a + 1, mid + 1)
        cut = space if space > a else mid
        left_end = cut
        while left_end > a and text[left_end - 1].isspace():
            left_end -= 1
        right_start = cut
        while right_start < b and text[right_start].isspace():
            right_start += 1
        return self._halve_until_fits(text, a, left_end, limit) + self._halve_until_fits(
            text, right_start, b, limit
        )


def _at_word_edges(text: str, a: int, b: int) -> bool:
    return (a == 0 or text[a - 1].isspace()) and (b == len(text) or text[b].isspace())


def _split_long(text: str, starts: list[int], a: int, b: int, limit: int) -> list[tuple[int, int]]:
    """Cut one over-long sentence into pieces of at most `limit` word pieces, at word boundaries."""
    first, last = bisect_left(starts, a), bisect_left(starts, b)
    pieces: list[tuple[int, int]] = []
    p = first
    while p < last:
        if last - p <= limit:
            pieces.append((starts[p] if p > first else a, b))
            break
        q = p + limit
        r = q
        while r > p + 1 and not text[starts[r] - 1].isspace():
            r -= 1
        if r == p + 1 and not text[starts[r] - 1].isspace():
            r = q  # one word longer than the limit: cut between word pieces
        end = starts[r]
        while end > starts[p] and text[end - 1].isspace():
            end -= 1
        pieces.append((starts[p] if p > first else a, end))
        p = r
    return pieces
