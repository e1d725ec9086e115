"""Wrong answers shown and right answers withheld: two eval runs of the same questions compared.

Usage:
    python -m eval.withheld out/before/questions-ours.jsonl out/after/questions-ours.jsonl

"Wrong shown": an answer shown that holds no gold answer in at most 10 words (capped `contains`), or
any answer to an unanswerable question. "Right shown": a capped-`contains` answer shown. Deltas come
with a paired 95% bootstrap interval (same resampled questions for both runs).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from eval.metrics import capped_contains


def _right(record: dict[str, Any], shown: bool, answer: str | None) -> bool:
    return shown and bool(record["answerable"]) and bool(capped_contains(answer or "", record["gold"]))


def outcome_counts(
    before: Sequence[dict[str, Any]], after: Sequence[dict[str, Any]], resamples: int = 1000, seed: int = 0
) -> dict[str, Any]:
    """Counts before and after, and the paired delta with its interval, for wrong / right shown."""
    earlier = {r["id"]: r for r in before}
    pairs = [(earlier[r["id"]], r) for r in after if r["id"] in earlier]
    shown = {
        "wrong_shown": [[not r["abstained"] and not _right(r, True, r["answer"]) for r in p] for p in pairs],
        "right_shown": [[_right(r, not r["abstained"], r["answer"]) for r in p] for p in pairs],
    }
    picks = np.random.default_rng(seed).integers(0, len(pairs), size=(resamples, len(pairs)))
    out: dict[str, Any] = {"questions": len(pairs)}
    for name, rows in shown.items():
        values = np.array(rows, dtype=float).reshape(len(pairs), 2)
        delta = values[:, 1] - values[:, 0]
        sums = delta[picks].sum(axis=1)
        out[name] = {
            "before": int(values[:, 0].sum()),
            "after": int(values[:, 1].sum()),
            "delta": int(delta.sum()),
            "delta_ci95": [float(np.percentile(sums, 2.5)), float(np.percentile(sums, 97.5))],
        }
    return out


def _read(path: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]


if __name__ == "__main__":
    print(json.dumps(outcome_counts(_read(sys.argv[1]), _read(sys.argv[2])), indent=2))
