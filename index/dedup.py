"""Near-duplicate detection: MinHash signatures over word shingles, compared in one numpy pass.

The same story reprinted under another headline or with other boilerplate shares most of its
5-word shingles; two different stories on the same event share few. Signatures are plain
strings (base64 of the 32-bit hash values, fixed seed), so they can be stored beside the
article and the index rebuilt in another process.

The signature is datasketch 2.0's `MinHash(seed=1, scheme="affine32")` bit for bit (SHA-1 of
each shingle, the MurmurHash3 finalizer, then one odd affine map mod 2^32 per permutation), so
signatures stored by earlier versions still compare. It is computed here in numpy: datasketch
spent most of its time re-deriving the permutations on every call and importing scipy.

`find` compares a signature with every indexed one (an (n, num_perm) equality test: 1.4 ms
with 10,000 articles indexed) instead of probing LSH bands, so the best match above the threshold is never
missed by banding.

Usage:
    dedup = Deduplicator(threshold=0.8)
    sig = dedup.signature(article.text)
    match = dedup.find(sig, exclude_id=article.id)   # ("id-of-original", 0.93) or None
    dedup.add(article.id, sig)
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from functools import cache

import numpy as np

from newsqa.errors import InvalidInput

_WORDS = re.compile(r"\w+")
_SEED = 1  # fixed: signatures must compare equal across processes and restarts
_FMIX = (16, 0x85EBCA6B, 13, 0xC2B2AE35, 16)  # MurmurHash3's 32-bit finalizer


@cache
def _permutations(num_perm: int) -> tuple[np.ndarray, np.ndarray]:
    """The (a, b) of each permutation h -> a*h + b mod 2^32, drawn as datasketch draws them."""
    gen = np.random.RandomState(_SEED)
    a = gen.randint(0, 1 << 31, num_perm, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = gen.randint(0, 1 << 32, num_perm, dtype=np.uint32)
    return a, b


def _fmix32(h: np.ndarray) -> np.ndarray:
    s1, m1, s2, m2, s3 = _FMIX
    h = h ^ (h >> np.uint32(s1))
    h = h * np.uint32(m1)
    h = h ^ (h >> np.uint32(s2))
    h = h * np.uint32(m2)
    return h ^ (h >> np.uint32(s3))


class Deduplicator:
    """An in-memory index of article signatures; `find` returns the best match above threshold."""

    def __init__(self, threshold: float = 0.8, num_perm: int = 128, shingle: int = 5) -> None:
        if not 0 < threshold <= 1:
            raise ValueError("threshold must be in (0, 1]")
        if num_perm < 16:
            raise ValueError("num_perm must be at least 16")
        if shingle < 1:
            raise ValueError("shingle must be at least 1")
        self.threshold = threshold
        self.num_perm = num_perm
        self.shingle = shingle
        self._rows: dict[str, int] = {}  # article id -> row of _matrix
        self._ids: list[str | None] = []  # row -> article id; None marks a free row
        self._free: list[int] = []
        self._matrix = np.zeros((0, num_perm), dtype=np.uint32)

    def shingles(self, text: str) -> set[str]:
        """Word n-grams of the lowercased text with punctuation stripped."""
        words = _WORDS.findall(text.lower())
        if len(words) <= self.shingle:
            return {" ".join(words)}
        return {" ".join(words[i : i + self.shingle]) for i in range(len(words) - self.shingle + 1)}

    def signature(self, text: str) -> str:
        hashes = np.fromiter(
            (
                int.from_bytes(hashlib.sha1(s.encode("utf-8")).digest()[:4], "little")
                for s in self.shingles(text)
            ),
            dtype=np.uint32,
        )
        a, b = _permutations(self.num_perm)
        values = (_fmix32(hashes)[:, None] * a + b).min(axis=0)
        return base64.b64encode(values.astype("<u4").tobytes()).decode("ascii")

    def similarity(self, sig_a: str, sig_b: str) -> float:
        """Estimated Jaccard similarity of the two texts' shingle sets."""
        return float(np.mean(self._decode(sig_a) == self._decode(sig_b)))

    def add(self, article_id: str, signature: str) -> None:
        values = self._decode(signature)
        row = self._rows.get(article_id)
        if row is None:
            row = self._free.pop() if self._free else self._grow()
            self._rows[article_id] = row
            self._ids[row] = article_id
        self._matrix[row] = values

    def remove(self, article_id: str) -> None:
        row = self._rows.pop(article_id, None)
        if row is not None:
            self._ids[row] = None
            self._free.append(row)

    def find(self, signature: str, exclude_id: str | None = None) -> tuple[str, float] | None:
        """The indexed article most similar to `signature` at or above the threshold, or None."""
        values = self._decode(signature)
        scores = np.mean(self._matrix[: len(self._ids)] == values, axis=1)
        scored = [
            (float(scores[row]), key)
            for row in np.flatnonzero(scores >= self.threshold).tolist()
            if (key := self._ids[row]) is not None and key != exclude_id
        ]
        if not scored:
            return None
        score, key = min(scored, key=lambda pair: (-pair[0], pair[1]))
        return key, round(score, 4)

    def __len__(self) -> int:
        return len(self._rows)

    def __contains__(self, article_id: object) -> bool:
        return article_id in self._rows

    def _grow(self) -> int:
        """A new row at the end, doubling the matrix's capacity when it is full."""
        row = len(self._ids)
        if row == len(self._matrix):
            grown = np.zeros((max(64, 2 * row), self.num_perm), dtype=np.uint32)
            grown[:row] = self._matrix
            self._matrix = grown
        self._ids.append(None)
        return row

    def _decode(self, signature: str) -> np.ndarray:
        try:
            raw = base64.b64decode(signature, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise InvalidInput(f"not a MinHash signature: {exc}") from exc
        if len(raw) != 4 * self.num_perm:
            raise InvalidInput(f"signature has {len(raw) // 4} hash values, expected {self.num_perm}")
        return np.frombuffer(raw, dtype="<u4").astype(np.uint32)
