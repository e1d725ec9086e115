from __future__ import annotations

from datetime import date

import pytest

from newsqa.errors import InvalidInput
from newsqa.types import Answer, Filters, QueryInfo
from qa.cache import AnswerCache


def _answer(text: str) -> Answer:
    return Answer(text, False, [], [], QueryInfo(rewritten=text, as_of="2022-07-01", filters={}))


def _key(revision: int = 1, question: str = "q", **options) -> object:
    return AnswerCache.key(
        revision,
        question,
        options.get("history"),
        options.get("as_of", date(2022, 7, 1)),
        options.get("filters"),
        options.get("choices"),
        options.get("k", 5),
    )


class TestAnswerCache:
    def test_lru_of_copies(self) -> None:
        cache = AnswerCache(size=2)
        cache.put(_key(question="a"), _answer("A"))
        cache.put(_key(question="b"), _answer("B"))
        got = cache.get(_key(question="a"))
        assert got is not None and got.answer == "A"
        got.answer = "changed"
        assert cache.get(_key(question="a")).answer == "A"  # type: ignore[union-attr]
        cache.put(_key(question="c"), _answer("C"))  # evicts b, the least recently used
        assert cache.get(_key(question="b")) is None
        assert (cache.hits, cache.misses) == (2, 1)

    def test_every_option_is_part_of_the_key(self) -> None:
        base = _key()
        assert _key() == base
        variants = [
            _key(revision=2),
            _key(question="q2"),
            _key(history=[{"role": "user", "content": "x"}]),
            _key(as_of=date(2022, 7, 2)),
            _key(filters=Filters(sources=["cnn.com"])),
            _key(choices=["a", "b"]),
            _key(k=3),
        ]
        assert base not in variants and len(set(variants)) == len(variants)

    def test_size_zero_and_bad_size(self) -> None:
        cache = AnswerCache(size=0)
        cache.put(_key(), _answer("A"))
        assert cache.get(_key()) is None
        with pytest.raises(InvalidInput):
            AnswerCache(size=-1)
