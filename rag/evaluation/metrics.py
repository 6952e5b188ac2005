"""Ranking metrics (hit, recall, precision, MRR, nDCG, AP) and the answer-bearing hit, trec_eval conventions."""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence

from rag.evaluation.questions import contains_any_phrase
from rag.text.markers import each_marker


def _first_ranks(ranked: Sequence[str], k: int | None) -> dict[str, int]:
    """1-based rank of each item's first occurrence within the top k."""
    firsts: dict[str, int] = {}
    for rank, item in enumerate(ranked[:k] if k is not None else ranked, start=1):
        firsts.setdefault(item, rank)
    return firsts


def hit_at_k(ranked: Sequence[str], relevant: Collection[str], k: int) -> float:
    """1.0 if any relevant item is in the top k, else 0.0."""
    return 1.0 if any(item in relevant for item in ranked[:k]) else 0.0


def recall_at_k(ranked: Sequence[str], relevant: Collection[str], k: int) -> float:
    """Share of distinct relevant items found in the top k (0.0 when none are relevant)."""
    rel = set(relevant)
    if not rel:
        return 0.0
    return len(rel & set(ranked[:k])) / len(rel)


def precision_at_k(ranked: Sequence[str], relevant: Collection[str], k: int) -> float:
    """Relevant items in the top k divided by k (trec_eval's P@k: missing ranks count as misses)."""
    if k <= 0:
        return 0.0
    return sum(1 for item in ranked[:k] if item in relevant) / k


def reciprocal_rank(ranked: Sequence[str], relevant: Collection[str], k: int | None = None) -> float:
    """1/rank of the first relevant item (within the top k if given), 0.0 if none."""
    for rank, item in enumerate(ranked[:k] if k is not None else ranked, start=1):
        if item in relevant:
            return 1.0 / rank
    return 0.0


def dcg(gains: Sequence[float]) -> float:
    """Discounted cumulative gain with the log2(rank + 1) discount used by trec_eval."""
    return sum(g / math.log2(i + 2) for i, g in enumerate(gains))


def ndcg_at_k(ranked: Sequence[str], gains: Mapping[str, float] | Collection[str], k: int = 10) -> float:
    """nDCG@k; each item earns its gain once, at its first rank (repeats earn nothing).

    `gains` is a mapping item -> graded relevance, or a collection of relevant items
    (binary relevance).
    """
    grade: Mapping[str, float] = gains if isinstance(gains, Mapping) else dict.fromkeys(gains, 1.0)
    ideal = sorted((g for g in grade.values() if g > 0), reverse=True)[:k]
    idcg = dcg(ideal)
    if idcg <= 0:
        return 0.0
    firsts = _first_ranks(ranked, k)
    got = [0.0] * min(k, len(ranked))
    for item, rank in firsts.items():
        got[rank - 1] = max(0.0, float(grade.get(item, 0.0)))
    return dcg(got) / idcg


def average_precision(ranked: Sequence[str], relevant: Collection[str], k: int | None = None) -> float:
    """AP over the ranking (cut at k if given), counting each relevant item once."""
    rel = set(relevant)
    if not rel:
        return 0.0
    found = 0
    total = 0.0
    for item, rank in sorted(_first_ranks(ranked, k).items(), key=lambda kv: kv[1]):
        if item in rel:
            found += 1
            total += found / rank
    return total / len(rel)


def answer_bearing_hit_at_k(
    passages: Sequence[tuple[str, str]],
    relevant: Collection[str],
    answers: Sequence[str],
    k: int,
) -> float:
    """1.0 if a top-k (source, text) passage is from an expected source and holds a key phrase."""
    return 1.0 if any(src in relevant and contains_any_phrase(text, answers) for src, text in passages[:k]) else 0.0


def citation_markers(text: str) -> list[int]:
    """All marker numbers in order of appearance, repeats kept (the product's marker grammar, ranges included)."""
    return each_marker(text)


def _cutoffs(k: int) -> list[int]:
    return sorted({1, 3, 5, k})


def retrieval_metrics(
    passages: Sequence[tuple[str, str]],
    relevant: Collection[str],
    answers: Sequence[str],
    k: int,
) -> dict[str, float]:
    """All per-question retrieval metrics for one ranked list of (source, text) passages."""
    sources = [src for src, _ in passages]
    out: dict[str, float] = {}
    for c in _cutoffs(k):
        out[f"hit@{c}"] = hit_at_k(sources, relevant, c)
    for c in _cutoffs(k):
        out[f"recall@{c}"] = recall_at_k(sources, relevant, c)
    out["mrr"] = reciprocal_rank(sources, relevant, max(k, 10))
    out["ndcg@10"] = ndcg_at_k(sources, relevant, 10)
    for c in _cutoffs(k):
        out[f"answer_hit@{c}"] = answer_bearing_hit_at_k(passages, relevant, answers, c)
    return out
