"""`newsqa train --fit rerank`: learn the reranker's linear weights on training questions.

Usage:
    options = TrainOptions(seed=0, command="newsqa train --fit rerank ...")
    weights, info = train_rerank_weights(settings, [("q.jsonl", "articles.jsonl.gz")], options)
    write_rerank_weights(weights, info, Path("qa/retrieval/models/rerank_weights.json"))

Every answerable training question goes through the first stage of "ours" (`SearchPipeline.first_stage`,
the candidates the product reranks) over its articles' eval index; each candidate gets the reranker's
`RerankFeatures` and a label: is its article one of the question's relevant articles. A linear ranker
is fitted by pairwise logistic regression: within one question, relevant-minus-irrelevant feature
differences (at most `MAX_PAIRS_PER_QUESTION`, drawn with the seed), half of them negated so the two
classes are balanced, each question weighing the same. The coefficients are then scaled by one factor
so that each question's best score stays on the scale of the hand-set weights' (least squares over
the training questions): the abstention floor (`min_retrieval_score`) reads the best passage's score.
The non-linear knobs (recency_days, window margins, article support, per_article_first) stay as in
`base`.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from eval.evalsets import load_evalset
from eval.train import TrainOptions, cached_json, collect_training_sets, training_data
from newsqa.errors import InvalidInput
from newsqa.settings import Settings
from qa.retrieval.rerank import DEFAULT_WEIGHTS, LINEAR_FEATURES, RerankWeights

MODEL_KIND = "rerank-pairwise-logistic-regression"
MAX_PAIRS_PER_QUESTION = 400
REGULARISATION_C = 1.0


@dataclass(frozen=True)
class QuestionCandidates:
    """One training question's first-stage candidates: features (n x LINEAR_FEATURES) and labels."""

    id: str
    asked_at: str
    features: np.ndarray
    relevant: np.ndarray  # bool per candidate: its article is relevant to the question

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "asked_at": self.asked_at,
            "features": self.features.round(6).tolist(),
            "relevant": self.relevant.astype(int).tolist(),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> QuestionCandidates:
        features = np.array(data["features"], dtype=float).reshape(-1, len(LINEAR_FEATURES))
        return cls(data["id"], data["asked_at"], features, np.array(data["relevant"], dtype=bool))


@dataclass(frozen=True)
class RankFit:
    """Fitted linear weights (raw feature scale, `LINEAR_FEATURES` order) and how well they rank."""

    coef: np.ndarray
    metrics: dict[str, Any]


def pairwise_differences(
    questions: Sequence[QuestionCandidates], *, seed: int, max_pairs: int = MAX_PAIRS_PER_QUESTION
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(differences, labels, sample weights): relevant-minus-irrelevant pairs of each question, half
    negated (label 0), each question's weights summing to the mean number of pairs per question."""
    rng = np.random.default_rng(seed)
    parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    for q in questions:
        pos, neg = q.features[q.relevant], q.features[~q.relevant]
        if not len(pos) or not len(neg):
            continue
        i, j = (a.ravel() for a in np.meshgrid(np.arange(len(pos)), np.arange(len(neg)), indexing="ij"))
        if len(i) > max_pairs:
            keep = rng.choice(len(i), size=max_pairs, replace=False)
            i, j = i[keep], j[keep]
        flipped = rng.permutation(len(i)) < len(i) // 2
        signs = np.where(flipped, -1.0, 1.0)
        parts.append(
            ((pos[i] - neg[j]) * signs[:, None], (~flipped).astype(int), np.full(len(i), 1.0 / len(i)))
        )
    if not parts:
        raise InvalidInput("no training question has both a relevant and an irrelevant candidate")
    x, y, w = (np.concatenate(p) for p in zip(*parts, strict=True))
    return x, y, w * len(x) / len(parts)


def fit_pairwise(
    questions: Sequence[QuestionCandidates], *, seed: int = 0, reference: np.ndarray | None = None
) -> RankFit:
    """Pairwise logistic regression without intercept on standardised differences; coef on raw scale.
    `reference`: other weights whose pair accuracy the metrics report beside the fit's."""
    from sklearn.linear_model import LogisticRegression

    x, y, w = pairwise_differences(questions, seed=seed)
    scale = x.std(axis=0)
    scale[scale == 0] = 1.0
    model = LogisticRegression(C=REGULARISATION_C, fit_intercept=False, max_iter=2000, random_state=seed)
    model.fit(x / scale, y, sample_weight=w)
    coef = model.coef_[0] / scale
    metrics: dict[str, Any] = {"pairs": len(x), "pair_accuracy": _pair_accuracy(x, y, coef)}
    if reference is not None:
        metrics["pair_accuracy_reference"] = _pair_accuracy(x, y, reference)
    return RankFit(coef, metrics)


def _pair_accuracy(x: np.ndarray, y: np.ndarray, coef: np.ndarray) -> float:
    return round(float(np.mean((x @ coef > 0) == (y == 1))), 4)


def ranking_metrics(questions: Sequence[QuestionCandidates], coef: np.ndarray) -> dict[str, float]:
    """hits@1 and mrr of the best relevant candidate by the linear score alone (no article support,
    no per-article spread), over the questions with a relevant candidate."""
    ranks = []
    for q in questions:
        if q.relevant.any():
            scores = q.features @ coef
            best_relevant = scores[q.relevant].max()
            ranks.append(1 + int((scores > best_relevant).sum()))
    if not ranks:
        return {"questions": 0}
    r = np.array(ranks)
    return {
        "questions": len(r),
        "hits@1": round(float(np.mean(r == 1)), 4),
        "mrr": round(float(np.mean(1 / r)), 4),
    }


def to_rerank_weights(
    coef: np.ndarray, questions: Sequence[QuestionCandidates], base: RerankWeights = DEFAULT_WEIGHTS
) -> tuple[RerankWeights, float]:
    """`base` with its linear weights replaced by `coef` times the least-squares factor that maps each
    training question's best learned score onto its best score under `base` (the abstention floor
    reads the best passage's score); (weights, factor)."""
    hand_set = np.array([base.linear()[name] for name in LINEAR_FEATURES])
    asked = [q for q in questions if len(q.features)]
    learned = np.array([(q.features @ coef).max() for q in asked])
    target = np.array([(q.features @ hand_set).max() for q in asked])
    factor = float(learned @ target / (learned @ learned)) if learned @ learned > 0 else 0.0
    if factor <= 0:
        factor = 1.0 / max(np.abs(coef).max(), 1e-12)  # scores disagree with the hand-set ones: unit max
    values = {name: round(float(c * factor), 4) for name, c in zip(LINEAR_FEATURES, coef, strict=True)}
    return replace(base, **values), factor


def collect_candidates(
    settings: Settings,
    questions_path: Path,
    articles_path: Path,
    base: RerankWeights,
    *,
    progress: bool = False,
) -> list[QuestionCandidates]:
    """Features and labels of the first-stage candidates of every answerable question of one set."""
    from eval.eval_index import EvalIndex
    from index.pipeline import build_embedder, build_store
    from qa.retrieval.search import SearchPipeline

    evalset = load_evalset(articles_path, questions_path)
    index = EvalIndex(settings, articles_path)
    index.ensure(list(evalset.articles.values()), progress=progress)
    embedder = build_embedder(index.settings)
    store = build_store(index.settings, embedder)
    pipeline = SearchPipeline(store, embedder, mode="ours", candidates=settings.retrieve_k, weights=base)
    items: Any = [q for q in evalset.questions if q.answerable and q.relevant_article_ids]
    if progress:
        from tqdm import tqdm

        items = tqdm(items, desc="rerank features", unit="q", file=sys.stderr)
    out = []
    for q in items:
        stage = pipeline.first_stage(q.question, as_of=q.asked_at)
        features = pipeline.reranker(stage, k=1).features(stage.nodes, q.question)
        relevant = set(q.relevant_article_ids)
        labels = [str(n.node.metadata.get("article_id", "")) in relevant for n in stage.nodes]
        matrix = np.array([f.vector() for f in features], dtype=float).reshape(-1, len(LINEAR_FEATURES))
        out.append(QuestionCandidates(q.id, q.asked_at, matrix, np.array(labels, dtype=bool)))
    return out


def _set_candidates(
    settings: Settings, paths: tuple[Path, Path], base: RerankWeights, cache: Path | None, progress: bool
) -> tuple[list[QuestionCandidates], dict[str, Any]]:
    """`collect_candidates` of one set, from `cache` when it holds this set's data and knobs."""
    questions_path, articles_path = paths
    data = training_data(questions_path, articles_path)
    knobs = {k: v for k, v in vars(base).items() if k not in LINEAR_FEATURES}
    key_parts = [
        data["questions_sha256"],
        data["articles_sha256"],
        LINEAR_FEATURES,
        knobs,
        settings.retrieve_k,
    ]

    def compute() -> list[dict[str, Any]]:
        found = collect_candidates(settings, questions_path, articles_path, base, progress=progress)
        return [q.to_dict() for q in found]

    rows = cached_json(cache, "rerank", key_parts, compute)
    return [QuestionCandidates.from_dict(r) for r in rows], data


def train_rerank_weights(
    settings: Settings,
    sets: Sequence[tuple[Path, Path]],
    options: TrainOptions | None = None,
    *,
    base: RerankWeights = DEFAULT_WEIGHTS,
) -> tuple[RerankWeights, dict[str, Any]]:
    """Fit the linear weights on the questions of `sets` ((questions, articles) pairs) asked before the
    date; returns the weights and the training record the artifact keeps."""
    options = options or TrainOptions()
    questions, data = collect_training_sets(
        sets,
        lambda q, a: _set_candidates(settings, (q, a), base, options.features_cache, options.progress),
        lambda question: question.asked_at,
        lambda question: question.id,
        options,
    )
    hand_set = np.array([base.linear()[name] for name in LINEAR_FEATURES])
    fit = fit_pairwise(questions, seed=options.seed, reference=hand_set)
    weights, factor = to_rerank_weights(fit.coef, questions, base)
    import sklearn

    info = {
        "model": MODEL_KIND,
        **options.record(),
        "data": data,
        "features": list(LINEAR_FEATURES),
        "scikit_learn": sklearn.__version__,
        "regularisation_c": REGULARISATION_C,
        "max_pairs_per_question": MAX_PAIRS_PER_QUESTION,
        "scale_factor": round(factor, 6),
        "metrics": {
            **fit.metrics,
            "training_linear_score": {
                "learned": ranking_metrics(questions, fit.coef),
                "hand_set": ranking_metrics(questions, hand_set),
            },
        },
    }
    return weights, info
