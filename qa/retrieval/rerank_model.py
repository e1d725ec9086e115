"""The reranker's weights as a trained artifact: `qa/retrieval/models/rerank_weights.json`.

Usage:
    weights = load_rerank_weights(Path("qa/retrieval/models/rerank_weights.json"))    # RerankWeights
    weights = rerank_weights_for(path=None, use_learned=True)                # the shipped file, else defaults
    write_rerank_weights(weights, info, Path("out/rerank_weights.json"))

`newsqa train --fit rerank` (eval/rank_train.py) fits the linear weights on training questions and
writes this file; the non-linear knobs (recency_days, window margins, article support, per-article
breadth) are carried along as they were. The file records the seed, the command and the data hashes.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from newsqa.errors import NewsQAError
from qa.retrieval.rerank import DEFAULT_WEIGHTS, LINEAR_FEATURES, RerankWeights

FORMAT_VERSION = 1
DEFAULT_RERANK_WEIGHTS_PATH = Path(__file__).resolve().parent / "models" / "rerank_weights.json"
_FIELDS = {f.name for f in dataclasses.fields(RerankWeights)}
_INT_FIELDS = {f.name for f in dataclasses.fields(RerankWeights) if f.type in (int, "int")}

logger = logging.getLogger(__name__)


def rerank_weights_dict(weights: RerankWeights, info: Mapping[str, Any]) -> dict[str, Any]:
    """The artifact's contents: format version, the training record `info`, and every weight."""
    return {**dict(info), "format_version": FORMAT_VERSION, "weights": dataclasses.asdict(weights)}


def write_rerank_weights(weights: RerankWeights, info: Mapping[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(rerank_weights_dict(weights, info), indent=2, sort_keys=True) + "\n"
    path.write_text(text, encoding="utf-8")


def rerank_weights_from_dict(data: Any, source: str = "rerank weights") -> RerankWeights:
    """`RerankWeights` from an artifact's contents. Every linear weight must be there; a knob left out
    keeps its default. NewsQAError naming `source` and the reason otherwise."""
    if not isinstance(data, Mapping):
        raise NewsQAError(f"{source}: not a JSON object")
    version = data.get("format_version")
    if version != FORMAT_VERSION:
        raise NewsQAError(f"{source}: format_version {version!r}, this code reads {FORMAT_VERSION}")
    values = data.get("weights")
    if not isinstance(values, Mapping):
        raise NewsQAError(f"{source}: no 'weights' object")
    unknown = sorted(set(values) - set(_FIELDS))
    missing = [name for name in LINEAR_FEATURES if name not in values]
    if unknown or missing:
        raise NewsQAError(f"{source}: unknown weights {unknown}, missing weights {missing}")
    typed: dict[str, float] = {}
    for name, value in values.items():
        integral = name in _INT_FIELDS
        if (
            isinstance(value, bool)
            or not isinstance(value, int if integral else int | float)
            or not math.isfinite(value)
        ):
            kind = "an integer" if integral else "a number"
            raise NewsQAError(f"{source}: weight {name!r} must be {kind}, got {value!r}")
        typed[name] = value if integral else float(value)
    try:
        return RerankWeights(**typed)  # type: ignore[arg-type]
    except ValueError as exc:
        raise NewsQAError(f"{source}: {exc}") from exc


def load_rerank_weights(path: Path) -> RerankWeights:
    """The weights in the artifact at `path`; NewsQAError naming the file and the reason."""
    source = f"rerank weights {path}"
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise NewsQAError(f"{source}: cannot be read ({exc})") from exc
    return rerank_weights_from_dict(data, source)


def rerank_weights_for(path: Path | None, *, use_learned: bool) -> RerankWeights:
    """The weights Settings ask for: `path` (an error if unusable), else the shipped learned file when
    `use_learned` (the hand-set `DEFAULT_WEIGHTS`, with a logged error, if that is unusable), else
    `DEFAULT_WEIGHTS`."""
    if path is not None:
        return load_rerank_weights(path)
    if not use_learned:
        return DEFAULT_WEIGHTS
    try:
        return load_rerank_weights(DEFAULT_RERANK_WEIGHTS_PATH)
    except NewsQAError as exc:
        logger.error("%s; using the hand-set reranker weights", exc.message)
        return DEFAULT_WEIGHTS
