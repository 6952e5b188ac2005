"""Tests for rag.evaluation.trec: TREC parsing and scoring a run on hand-computed cases."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import pytest

from rag.errors import InputError
from rag.evaluation.trec import evaluate_run, parse_qrels, parse_trec_docs, parse_trec_topics, run_trec_eval

FIX = Path(__file__).resolve().parent.parent / "fixtures" / "eval"


def test_parse_trec_fixture() -> None:
    docs = parse_trec_docs(FIX / "docs.trec")
    assert list(docs) == ["D1", "D2", "D3", "D4"]
    assert docs["D1"] == "microwave measurement of the dielectric constant of liquids"
    assert docs["D2"] == "band pass filters designed with digital computers"
    topics = parse_trec_topics(FIX / "topics.trec")
    assert topics == {
        "1": "DIELECTRIC CONSTANT OF LIQUIDS",
        "2": "data coding",
        "3": "unjudged topic",
    }
    qrels = parse_qrels(FIX / "qrels")
    assert qrels == {"1": {"D1": 1, "D4": 1}, "2": {"D3": 2, "D2": 0}}


def test_trec_parse_errors_name_the_line(tmp_path: Path) -> None:
    bad = tmp_path / "qrels"
    bad.write_text("1 0 D1 1\n1 0 D2\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"qrels:2:"):
        parse_qrels(bad)
    bad.write_text("1 0 D1 yes\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"qrels:1: relevance"):
        parse_qrels(bad)
    docs = tmp_path / "d.trec"
    docs.write_text("<DOC>\n<DOCNO>A</DOCNO>x\n</DOC>\n<DOC>\nno number\n</DOC>\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"d.trec:4: document #2 has no <DOCNO>"):
        parse_trec_docs(docs)
    with pytest.raises(InputError, match="cannot read"):
        parse_trec_topics(tmp_path / "missing")


def test_evaluate_run_and_run_trec_eval_hand_computed() -> None:
    runs = {"1": ["D4", "D2", "D1"], "2": ["D2", "D1"], "3": ["D1"]}
    indexed: list[int] = []

    def search(query: str, k: int) -> Sequence[str]:
        qid = {"DIELECTRIC CONSTANT OF LIQUIDS": "1", "data coding": "2"}[query]
        return runs[qid][:k]

    report = run_trec_eval(
        FIX / "docs.trec",
        FIX / "topics.trec",
        FIX / "qrels",
        search_fn=search,
        index_fn=lambda docs: indexed.append(len(docs)),
        depth=10,
        progress=False,
    )
    assert indexed == [4]
    m = report.metrics
    ndcg1 = (1 + 1 / math.log2(4)) / (1 + 1 / math.log2(3))
    assert m["topics"] == 2  # topic 3 has no judgements
    assert m["ndcg@10"] == pytest.approx(ndcg1 / 2)
    assert m["map"] == pytest.approx((1 + 2 / 3) / 2 / 2)
    assert m["mrr"] == pytest.approx(0.5)
    assert m["recall@10"] == pytest.approx(0.5)
    assert m["p@10"] == pytest.approx(0.1)
    assert [r.id for r in report.results] == ["1", "2"]
    assert report.kind == "trec" and report.retrieval_only

    means, per = evaluate_run({"1": ["D1"]}, parse_qrels(FIX / "qrels"), depth=5)
    assert per["2"]["map"] == 0.0  # judged but missing from the run: scores zero
    assert per["1"]["recall@5"] == 0.5
    assert means["mrr"] == pytest.approx(0.5)
