"""Keeps the BM25 index (a cache, `index/lexical.py`) at exactly the article versions in Chroma.

Usage:
    sync = LexicalSync(LexicalIndex(path), catalog, collections)
    sync.sync()                           # index what it lacks (read from Chroma), drop what is gone
    with sync.batch():                    # writes inside persist the index once, at the end
        sync.replace("a1", version, chunks, published_ts)
    sync.flush()                          # persist unsaved edits now
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from index.catalog import ArticleCatalog
from index.chroma_collections import ChromaCollections
from index.lexical import LexicalIndex, versions_fingerprint
from newsqa.types import Chunk

logger = logging.getLogger(__name__)

# Articles whose chunks are read from Chroma in one call when the index catches up.
_ARTICLES_PER_READ = 100
# Catching up on more articles than this is logged (it takes a while on a large store).
_LOG_CATCH_UP_OVER = 20


class LexicalSync:
    """The lexical index of a store, its catch-up with the catalog, and when it is saved."""

    def __init__(
        self, lexical: LexicalIndex, catalog: ArticleCatalog, collections: ChromaCollections
    ) -> None:
        self.lexical = lexical
        self._catalog = catalog
        self._collections = collections
        self._batch_depth = 0
        self._unsaved = False

    def sync(self) -> None:
        """Bring the BM25 index to exactly the catalog's article versions, fetching what it lacks."""
        versions = self._catalog.versions()
        if self.lexical.fingerprint == versions_fingerprint(versions):
            return
        have = self.lexical.versions
        for aid in set(have) - set(versions):
            self.lexical.remove_article(aid)
        needed = [aid for aid, v in versions.items() if have.get(aid) != v]
        if len(needed) > _LOG_CATCH_UP_OVER:
            logger.info(
                "lexical index: indexing %d articles from Chroma (%s)", len(needed), self._collections.name
            )
        for i in range(0, len(needed), _ARTICLES_PER_READ):
            part = needed[i : i + _ARTICLES_PER_READ]
            by_article = self._collections.current_chunks(part, versions)
            for aid in part:
                published_ts = int(self._catalog.records[aid].get("published_ts", 0))
                self.lexical.replace_article(aid, versions[aid], by_article.get(aid, []), published_ts)
        self.changed()

    def replace(self, article_id: str, version: str, chunks: list[Chunk], published_ts: int) -> None:
        self.lexical.replace_article(article_id, version, chunks, published_ts)

    def remove(self, article_id: str) -> None:
        if self.lexical.remove_article(article_id):
            self.changed()

    def changed(self) -> None:
        """Persist the index now, or at the end of the open batch."""
        if self._batch_depth == 0:
            self.lexical.save()
            self._unsaved = False
        else:
            self._unsaved = True

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Defer persisting the index to the end of a multi-article write."""
        self._batch_depth += 1
        try:
            yield
        finally:
            self._batch_depth -= 1
            if self._batch_depth == 0:
                self.flush()

    def flush(self) -> None:
        if self._unsaved:
            self.lexical.save()
            self._unsaved = False
