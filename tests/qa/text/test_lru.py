"""The shared LRU: eviction order, and no lost entries when request threads share it."""

from __future__ import annotations

import random
import threading

import pytest

from qa.text.lru import LRU
from qa.text.nlp import SpacyParser


class TestLRU:
    def test_evicts_the_least_recently_used(self) -> None:
        cache: LRU[str, int] = LRU(2)
        cache.put("a", 1)
        cache.put("b", 2)
        assert cache.get("a") == 1  # "a" is now the most recent
        cache.put("c", 3)
        assert cache.get("b") is None
        assert (cache.get("a"), cache.get("c"), len(cache)) == (1, 3, 2)

    def test_size_zero_keeps_nothing_and_negative_is_refused(self) -> None:
        cache: LRU[str, int] = LRU(0)
        cache.put("a", 1)
        assert cache.get("a") is None and len(cache) == 0
        with pytest.raises(ValueError, match="cache size"):
            LRU(-1)

    def test_pop_and_contains(self) -> None:
        cache: LRU[str, int] = LRU(4)
        cache.put("a", 1)
        assert "a" in cache
        assert cache.pop("a") == 1 and "a" not in cache and cache.pop("a") is None


class _UpperCase:
    """A stand-in spaCy pipeline: parsing is upper-casing, so results are checkable."""

    pipe_names: list[str] = []

    def pipe(self, texts):
        for text in texts:
            yield text.upper()


class TestSharedBetweenThreads:
    def test_parser_cache_under_concurrent_eviction(self) -> None:
        # A 3-entry cache over 8 texts evicts all the time; with a bare OrderedDict some of these
        # threads failed with KeyError between a lookup and its move_to_end.
        parser = SpacyParser(_UpperCase(), cache_size=3)
        errors: list[str] = []

        def work(seed: int) -> None:
            rnd = random.Random(seed)
            for _ in range(5000):
                texts = [str(rnd.randrange(8)) for _ in range(3)]
                try:
                    if parser.parse_many(texts) != [t.upper() for t in texts]:
                        errors.append(f"wrong parse for {texts}")
                except Exception as exc:  # the failure this test guards against
                    errors.append(repr(exc))
                    return

        threads = [threading.Thread(target=work, args=(seed,)) for seed in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
