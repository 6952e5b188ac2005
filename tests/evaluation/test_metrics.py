"""Tests for rag.evaluation.metrics: ranking metrics on hand-computed cases."""

from __future__ import annotations

import math

import pytest

from rag.evaluation.metrics import (
    answer_bearing_hit_at_k,
    average_precision,
    citation_markers,
    hit_at_k,
    ndcg_at_k,
    precision_at_k,
    recall_at_k,
    reciprocal_rank,
    retrieval_metrics,
)


def test_hit_recall_mrr_on_hand_computed_ranking() -> None:
    ranked = ["a", "b", "a", "c"]
    rel = {"a", "c"}
    assert hit_at_k(ranked, rel, 1) == 1.0
    assert hit_at_k(["x", "y", "a"], {"a"}, 2) == 0.0
    assert hit_at_k(["x", "y", "a"], {"a"}, 3) == 1.0
    assert recall_at_k(ranked, rel, 1) == 0.5
    assert recall_at_k(ranked, rel, 3) == 0.5  # the repeat of "a" adds nothing
    assert recall_at_k(ranked, rel, 4) == 1.0
    assert recall_at_k(ranked, set(), 4) == 0.0
    assert reciprocal_rank(["x", "y", "a"], {"a"}) == pytest.approx(1 / 3)
    assert reciprocal_rank(["x", "y", "a"], {"a"}, k=2) == 0.0
    assert reciprocal_rank([], {"a"}) == 0.0
    assert precision_at_k(["a", "x"], {"a"}, 10) == pytest.approx(0.1)


def test_ndcg_counts_each_source_once_at_first_rank() -> None:
    # gains at ranks 1 and 4; the duplicate "a" at rank 3 earns nothing
    expected = (1 + 1 / math.log2(5)) / (1 + 1 / math.log2(3))
    assert ndcg_at_k(["a", "b", "a", "c"], {"a", "c"}, 10) == pytest.approx(expected)
    assert ndcg_at_k(["x", "y", "a"], {"a"}) == pytest.approx(0.5)  # 1/log2(4)
    assert ndcg_at_k(["a"], {"a"}) == 1.0
    assert ndcg_at_k(["a", "a", "a"], {"a", "b"}) == pytest.approx(1 / (1 + 1 / math.log2(3)))
    assert ndcg_at_k(["x"], set()) == 0.0
    assert ndcg_at_k([], {"a"}) == 0.0
    # cut-off: relevant item at rank 3 is outside k=2
    assert ndcg_at_k(["x", "y", "a"], {"a"}, 2) == 0.0


def test_ndcg_graded_and_average_precision() -> None:
    graded = ndcg_at_k(["b", "a"], {"a": 2.0, "b": 1.0})
    assert graded == pytest.approx((1 + 2 / math.log2(3)) / (2 + 1 / math.log2(3)))
    assert average_precision(["a", "x", "c"], {"a", "c"}) == pytest.approx((1 + 2 / 3) / 2)
    assert average_precision(["a", "x", "c"], {"a", "c", "d"}) == pytest.approx((1 + 2 / 3) / 3)
    assert average_precision(["a", "a", "c"], {"a", "c"}) == pytest.approx((1 + 2 / 3) / 2)
    assert average_precision(["x"], set()) == 0.0


def test_answer_bearing_hit_needs_expected_source_and_phrase() -> None:
    passages = [
        ("s1", "nothing relevant here"),
        ("s2", "they signed a biological security memo"),  # right phrase, wrong source
        ("s1", "a memorandum on Biological-Security was signed"),
    ]
    answers = ["biological security"]
    assert answer_bearing_hit_at_k(passages, {"s1"}, answers, 1) == 0.0
    assert answer_bearing_hit_at_k(passages, {"s1"}, answers, 2) == 0.0
    assert answer_bearing_hit_at_k(passages, {"s1"}, answers, 3) == 1.0
    assert answer_bearing_hit_at_k(passages, {"s2"}, answers, 2) == 1.0
    assert answer_bearing_hit_at_k(passages, {"s1"}, [], 3) == 0.0


def test_retrieval_metrics_names_and_values() -> None:
    m = retrieval_metrics([("x", "t"), ("a", "Aleinik")], {"a"}, ["aleinik"], k=4)
    assert m["hit@1"] == 0.0 and m["hit@3"] == 1.0 and m["hit@4"] == 1.0
    assert m["mrr"] == 0.5
    assert m["answer_hit@1"] == 0.0 and m["answer_hit@5"] == 1.0
    assert set(m) >= {"recall@1", "recall@3", "recall@5", "recall@4", "ndcg@10"}


def test_citation_markers() -> None:
    assert citation_markers("a [1] b [2, 3][4] c [x] [12]") == [1, 2, 3, 4, 12]
    assert citation_markers("no markers") == []
