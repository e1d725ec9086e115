"""An LRU of answers to repeated questions, invalidated by any change to the indexed articles.

Usage:
    cache = AnswerCache(size=1024)
    key = AnswerCache.key(revision, question, history, as_of_day, filters, choices, k)
    answer = cache.get(key) or compute()   # a copy: callers may change what they get
    cache.put(key, answer)

News desks and dashboards ask the same questions over and over; an answer depends only on the
question, its options and the indexed articles, so the store's revision (bumped by every write,
delete or sync) is part of the key and a stale answer is never served.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Hashable
from datetime import date

from newsqa.errors import InvalidInput
from newsqa.types import Answer, Filters
from qa.text.lru import LRU


class AnswerCache:
    """The one `LRU`, of `Answer`s, with hit counts; `size=0` turns it off."""

    def __init__(self, size: int = 1024) -> None:
        if size < 0:
            raise InvalidInput(f"answer cache size must be >= 0, got {size}")
        self.size = size
        self._items: LRU[Hashable, Answer] = LRU(size)
        self.hits = 0
        self.misses = 0

    @staticmethod
    def key(
        revision: int,
        question: str,
        history: list[dict] | None,
        as_of: date,
        filters: Filters | None,
        choices: list[str] | None,
        k: int,
    ) -> Hashable:
        return (
            revision,
            question,
            json.dumps(history or [], sort_keys=True, default=str),
            as_of.isoformat(),
            json.dumps((filters or Filters()).to_dict(), sort_keys=True),
            tuple(choices) if choices is not None else None,
            k,
        )

    def get(self, key: Hashable) -> Answer | None:
        if self.size == 0:
            return None
        answer = self._items.get(key)
        if answer is None:
            self.misses += 1
            return None
        self.hits += 1
        return copy.deepcopy(answer)

    def put(self, key: Hashable, answer: Answer) -> None:
        if self.size > 0:
            self._items.put(key, copy.deepcopy(answer))
