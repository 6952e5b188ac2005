"""`rag eval` end to end: the seed questions through the real pipeline, and a TREC collection."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from support import QUESTIONS, ROOT, SEEDS, second_corpus

FIXTURES = Path(__file__).parent / "fixtures" / "eval"


def rag(*args: str, index: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "RAG_INDEX_DIR": str(index), "RAG_SEEDS_DIR": str(SEEDS), "HF_HUB_OFFLINE": "1"}
    return subprocess.run(
        [sys.executable, "-m", "rag.cli", *args], env=env, capture_output=True, text=True, timeout=900
    )


def test_seed_questions_with_the_extractive_backend_do_not_regress(tmp_path: Path) -> None:
    """Reported in the README; falling below data/eval_baseline.json fails CI."""
    out_file = tmp_path / "report.json"
    out = rag(
        "eval",
        str(QUESTIONS),
        "--backend",
        "extractive",
        "--out",
        str(out_file),
        "--baseline",
        str(ROOT / "data" / "eval_baseline.json"),
        index=tmp_path / "index",
    )
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    report = json.loads(out_file.read_text())
    assert report["metrics"]["citation_validity"] == 1.0
    assert report["metrics"]["answer_hit@3"] >= 0.95


def test_compare_shows_what_changed(tmp_path: Path) -> None:
    run = rag("eval", str(QUESTIONS), "--retrieval-only", "--out", str(tmp_path / "a.json"), index=tmp_path / "i")
    assert run.returncode == 0, run.stderr
    b = json.loads((tmp_path / "a.json").read_text())
    b["metrics"]["mrr"] -= 0.1  # a run that got worse
    (tmp_path / "b.json").write_text(json.dumps(b))
    out = rag("eval", "--compare", str(tmp_path / "a.json"), str(tmp_path / "b.json"), index=tmp_path / "i")
    assert out.returncode == 0, out.stderr
    assert "mrr" in out.stdout and "worse" in out.stdout.lower()


def test_a_trec_collection_runs_through_the_project_index(tmp_path: Path) -> None:
    out = rag(
        "eval",
        "--trec",
        str(FIXTURES / "docs.trec"),
        str(FIXTURES / "topics.trec"),
        str(FIXTURES / "qrels"),
        "--json",
        "--index",
        str(tmp_path / "trec-index"),
        index=tmp_path / "unused",
    )
    assert out.returncode == 0, out.stderr
    metrics = json.loads(out.stdout)["metrics"]
    assert metrics["ndcg@10"] > 0.5 and 0 < metrics["recall@10"] <= 1


def test_a_bad_question_file_names_the_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "a", "question": "ok?", "answers": [], "sources": []}\n{not json}\n')
    out = rag("eval", str(bad), "--retrieval-only", index=tmp_path / "i")
    assert out.returncode == 2 and ":2:" in out.stderr and "Traceback" not in out.stderr


def _gate(questions: Path, baseline: Path, index: Path, corpus: Path, out_file: Path) -> dict:
    env = {**os.environ, "RAG_INDEX_DIR": str(index), "RAG_SEEDS_DIR": str(corpus), "HF_HUB_OFFLINE": "1"}
    args = ["eval", str(questions), "--backend", "extractive", "--out", str(out_file), "--baseline", str(baseline)]
    out = subprocess.run([sys.executable, "-m", "rag.cli", *args], env=env, capture_output=True, text=True, timeout=900)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    return json.loads(out_file.read_text())


def test_the_frozen_test_split_does_not_regress(tmp_path: Path) -> None:
    """Questions no rule was tuned on (docs/evaluation-sets.md); below data/eval_baseline-test.json fails CI."""
    report = _gate(
        ROOT / "data" / "questions-test.jsonl",
        ROOT / "data" / "eval_baseline-test.json",
        tmp_path / "index",
        SEEDS,
        tmp_path / "report.json",
    )
    assert report["metrics"]["citation_validity"] == 1.0


def test_the_second_corpus_does_not_regress(tmp_path: Path) -> None:
    """20 real news pages the answer code was never tuned on, indexed as saved pages (eval/second-corpus/)."""
    corpus = second_corpus(tmp_path / "pages")
    report = _gate(
        ROOT / "eval" / "second-corpus" / "questions.jsonl",
        ROOT / "eval" / "second-corpus" / "eval_baseline.json",
        tmp_path / "index",
        corpus,
        tmp_path / "report.json",
    )
    assert report["metrics"]["invented_entities"] == 0
