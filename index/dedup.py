"""Near-duplicate detection: MinHash over word shingles, indexed with LSH.

The same story reprinted under another headline or with other boilerplate shares most of its
5-word shingles; two different stories on the same event share few. Signatures are plain
strings (base64 of the 32-bit hash values, fixed seed), so they can be stored beside the
article and the index rebuilt in another process.

Usage:
    dedup = Deduplicator(threshold=0.8)
    sig = dedup.signature(article.text)
    match = dedup.find(sig, exclude_id=article.id)   # ("id-of-original", 0.93) or None
    dedup.add(article.id, sig)
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import TYPE_CHECKING, Any

import numpy as np

from newsqa.errors import InvalidInput

if TYPE_CHECKING:
    from datasketch import MinHash

_WORDS = re.compile(r"\w+")
_SEED = 1  # fixed: signatures must compare equal across processes and restarts
_SCHEME = "affine32"


class Deduplicator:
    """An in-memory LSH index of article signatures; `find` returns the best match above threshold."""

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
        self._lsh_index: Any = None
        self._sigs: dict[str, MinHash] = {}

    @property
    def _lsh(self) -> Any:
        # datasketch imports scipy (~1 s): only processes that ingest pay for it, not the server's start.
        if self._lsh_index is None:
            from datasketch import MinHashLSH

            self._lsh_index = MinHashLSH(threshold=self.threshold, num_perm=self.num_perm)
        return self._lsh_index

    def shingles(self, text: str) -> set[str]:
        """Word n-grams of the lowercased text with punctuation stripped."""
        words = _WORDS.findall(text.lower())
        if len(words) <= self.shingle:
            return {" ".join(words)}
        return {" ".join(words[i : i + self.shingle]) for i in range(len(words) - self.shingle + 1)}

    def signature(self, text: str) -> str:
        from datasketch import MinHash

        minhash = MinHash(num_perm=self.num_perm, seed=_SEED, scheme=_SCHEME)
        minhash.update_batch([s.encode("utf-8") for s in sorted(self.shingles(text))])
        return base64.b64encode(minhash.hashvalues.astype("<u4").tobytes()).decode("ascii")

    def similarity(self, sig_a: str, sig_b: str) -> float:
        """Estimated Jaccard similarity of the two texts' shingle sets."""
        return float(self._decode(sig_a).jaccard(self._decode(sig_b)))

    def add(self, article_id: str, signature: str) -> None:
        minhash = self._decode(signature)
        self.remove(article_id)
        self._lsh.insert(article_id, minhash)
        self._sigs[article_id] = minhash

    def remove(self, article_id: str) -> None:
        if article_id in self._sigs:
            self._lsh.remove(article_id)
            del self._sigs[article_id]

    def find(self, signature: str, exclude_id: str | None = None) -> tuple[str, float] | None:
        """The indexed article most similar to `signature` at or above the threshold, or None."""
        minhash = self._decode(signature)
        scored = [
            (float(minhash.jaccard(self._sigs[key])), key)
            for key in self._lsh.query(minhash)
            if key != exclude_id
        ]
        scored = [(score, key) for score, key in scored if score >= self.threshold]
        if not scored:
            return None
        score, key = min(scored, key=lambda pair: (-pair[0], pair[1]))
        return key, round(score, 4)

    def __len__(self) -> int:
        return len(self._sigs)

    def __contains__(self, article_id: object) -> bool:
        return article_id in self._sigs

    def _decode(self, signature: str) -> MinHash:
        try:
            raw = base64.b64decode(signature, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise InvalidInput(f"not a MinHash signature: {exc}") from exc
        if len(raw) != 4 * self.num_perm:
            raise InvalidInput(f"signature has {len(raw) // 4} hash values, expected {self.num_perm}")
        values = np.frombuffer(raw, dtype="<u4").astype(np.uint32)
        from datasketch import MinHash

        return MinHash(seed=_SEED, hashvalues=values, scheme=_SCHEME)
