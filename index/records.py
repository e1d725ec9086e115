"""Conversions between Chroma records and NewsQA types, and the `where` clauses of Filters.

Usage:
    where = filters_where(Filters(sources=["cnn.com"], published_from="2022-07-01"))
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import numpy as np

from newsqa.errors import InvalidInput, Unavailable
from newsqa.types import Article, Chunk, Filters, published_timestamp


def filters_where(filters: Filters | None) -> dict[str, Any] | None:
    """The Chroma `where` clause of `filters` over chunk or article metadata."""
    if filters is None or filters.is_empty():
        return None
    clauses: list[dict[str, Any]] = []
    if filters.sources:
        clauses.append({"source": {"$in": list(filters.sources)}})
    first, last = filters.ts_range()
    if first is not None:
        clauses.append({"published_ts": {"$gte": first}})
    if last is not None:
        clauses.append({"published_ts": {"$lte": last}})
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


def make_client(data_dir: Path, chroma_url: str | None, *, fresh: bool = False) -> Any:
    """A Chroma client: HTTP for `chroma_url`, else embedded in `data_dir/chroma`.

    Embedded clients of one path share a cached Chroma system per process, and that system caches
    each collection's vector index as it first read it. `fresh=True` opens a new system, so vectors
    written since by another process are read from disk; clients opened before keep the old one.
    """
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    settings = ChromaSettings(anonymized_telemetry=False)
    try:
        if fresh and not chroma_url:
            _forget_embedded_system(data_dir / "chroma")
        if chroma_url:
            parsed = urlparse(chroma_url if "://" in chroma_url else f"http://{chroma_url}")
            if not parsed.hostname:
                raise InvalidInput(f"chroma_url {chroma_url!r} has no host")
            ssl = parsed.scheme == "https"
            port = parsed.port or (443 if ssl else 8000)
            return chromadb.HttpClient(host=parsed.hostname, port=port, ssl=ssl, settings=settings)
        (data_dir / "chroma").mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(data_dir / "chroma"), settings=settings)
    except InvalidInput:
        raise
    except Exception as exc:
        where = chroma_url or str(data_dir / "chroma")
        raise Unavailable(f"cannot connect to Chroma at {where}: {exc}") from exc


def _forget_embedded_system(path: Path) -> None:
    # chromadb 1.5 keys the shared system by persist directory (SharedSystemClient). Dropping the
    # entry without stopping the system leaves clients that hold it working.
    from chromadb.api.shared_system_client import SharedSystemClient

    for key in (str(path), str(path.resolve())):
        SharedSystemClient._identifier_to_system.pop(key, None)
        SharedSystemClient._identifier_to_refcount.pop(key, None)


def chunk_from(chunk_id: str, text: str | None, m: dict[str, Any]) -> Chunk:
    return Chunk(
        id=chunk_id,
        article_id=str(m.get("article_id", "")),
        n=int(m.get("n", 0)),
        text=text or "",
        start=int(m.get("start", 0)),
        end=int(m.get("end", 0)),
        title=str(m.get("title", "")),
        source=str(m.get("source", "")),
        url=m.get("url") or None,
        published=m.get("published") or None,
    )


def article_from(article_id: str, text: str | None, m: dict[str, Any]) -> Article:
    return Article(
        id=article_id,
        title=m.get("title", ""),
        text=text or "",
        source=m.get("source", ""),
        url=m.get("url") or None,
        published=m.get("published") or None,
        author=m.get("author") or None,
        ingested_at=m.get("ingested_at") or None,
        content_hash=m.get("content_hash", ""),
        also_reported_by=reprints_of(m),
    )


def article_metadata(
    article: Article,
    version: str,
    n_chunks: int,
    reprints: list[dict[str, Any]],
    signature: str,
    model_id: str,
) -> dict[str, Any]:
    """The metadata of an article record (the record's document is the text, its vector the mean chunk)."""
    return {
        "title": article.title or "",
        "source": article.source or "",
        "url": article.url or "",
        "published": article.published or "",
        "published_ts": published_timestamp(article.published),
        "author": article.author or "",
        "ingested_at": article.ingested_at or "",
        "content_hash": version,
        "minhash": signature,
        "also_reported_by": json.dumps(reprints),
        "chunks": n_chunks,
        "model_id": model_id,
    }


def chunk_node(article_id: str, version: str, chunk: Chunk, embedding: np.ndarray) -> Any:
    """A chunk as the llama-index `TextNode` that `ChromaVectorStore.add` stores."""
    from llama_index.core.schema import NodeRelationship, RelatedNodeInfo, TextNode

    metadata = {
        "article_id": chunk.article_id,
        "n": chunk.n,
        "start": chunk.start,
        "end": chunk.end,
        "title": chunk.title or "",
        "source": chunk.source or "",
        "url": chunk.url or "",
        "published": chunk.published or "",
        "published_ts": published_timestamp(chunk.published),
        "version": version,
    }
    return TextNode(
        id_=chunk.id,
        text=chunk.text,
        embedding=embedding.tolist(),
        metadata=metadata,
        start_char_idx=chunk.start,
        end_char_idx=chunk.end,
        relationships={NodeRelationship.SOURCE: RelatedNodeInfo(node_id=article_id)},
        excluded_embed_metadata_keys=list(metadata),
        excluded_llm_metadata_keys=[k for k in metadata if k not in ("title", "source", "published")],
    )


def reprints_of(meta: dict[str, Any]) -> list[dict[str, Any]]:
    raw = meta.get("also_reported_by")
    if not raw:
        return []
    try:
        value = json.loads(raw)
    except ValueError:
        return []
    return value if isinstance(value, list) else []


def merge_reprints(existing: list[dict[str, Any]], new: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = list(existing)
    seen = {(r.get("id") or "", r.get("url") or "") for r in out}
    for r in new:
        key = (r.get("id") or "", r.get("url") or "")
        if key not in seen:
            seen.add(key)
            out.append(dict(r))
    return out


def article_summary(article_id: str, m: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": article_id,
        "title": m.get("title", ""),
        "source": m.get("source", ""),
        "url": m.get("url") or None,
        "published": m.get("published") or None,
        "author": m.get("author") or None,
        "ingested_at": m.get("ingested_at") or None,
        "chunks": int(m.get("chunks", 0)),
        "also_reported_by": reprints_of(m),
    }
