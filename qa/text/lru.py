"""A thread-safe least-recently-used map, for the caches `ask` keeps between requests.

Usage:
    cache: LRU[str, Doc] = LRU(4096)
    doc = cache.get(text)
    if doc is None:
        doc = parse(text)
        cache.put(text, doc)

The HTTP server answers requests on several threads that share these caches. A bare OrderedDict
raced there: between one thread's lookup and its `move_to_end`, another could evict the key, and the
request failed with a KeyError (reproduced with 8 threads over a 3-entry cache).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class LRU(Generic[K, V]):
    """At most `size` entries; `get` refreshes an entry, `put` evicts the least recently used."""

    def __init__(self, size: int) -> None:
        if size < 0:
            raise ValueError(f"cache size must be >= 0, got {size}")
        self.size = size
        self._items: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: K) -> V | None:
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def put(self, key: K, value: V) -> None:
        if self.size == 0:
            return
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def pop(self, key: K) -> V | None:
        with self._lock:
            return self._items.pop(key, None)

    def __contains__(self, key: object) -> bool:
        with self._lock:
            return key in self._items

    def __len__(self) -> int:
        return len(self._items)
