"""The promise holds on screen, with the real local model, over every labelled question we have.

For each question of the dev and test splits (seed index) and of the second corpus (its own index), the
stream is read as a reader would: the key statements must come before any answer text, and every state of
the streamed answer must be a prefix of the final one (a "retraction" is a state it does not start with).
Slow: about 20 minutes on 2 cores with the default Qwen2.5-Coder-1.5B. ``RAG_STREAM_REPORTS=DIR`` keeps the
three evaluation reports (what ``benchmarks/RESULTS.md`` quotes).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from support import ROOT, SEEDS, second_corpus

from rag import config, evaluation, retrieval
from rag.indexing import Indexer
from rag.llm import clear_backends

SETS = {
    "dev": (ROOT / "data" / "questions-dev.jsonl", "seeds"),
    "test": (ROOT / "data" / "questions-test.jsonl", "seeds"),
    "second": (ROOT / "eval" / "second-corpus" / "questions.jsonl", "second"),
}


@pytest.mark.slow
@pytest.mark.parametrize("name", list(SETS))
def test_every_streamed_state_is_a_prefix_of_the_final_answer(
    name: str, tmp_path_factory: pytest.TempPathFactory, embedder: object
) -> None:
    questions, corpus = SETS[name]
    base = tmp_path_factory.mktemp(f"stream-{corpus}", numbered=False) if corpus == "second" else None
    folder = SEEDS if base is None else second_corpus(base / "pages")
    s = config.configure(index_dir=tmp_path_factory.getbasetemp() / f"index-{corpus}", seeds_dir=folder)
    retrieval._retrievers.clear()
    clear_backends()
    try:
        Indexer(s, embedder).update()  # type: ignore[arg-type]
        report = evaluation.run_eval(evaluation.load_questions(questions), backend="local", k=5, progress=False)
    finally:
        config.configure()
        retrieval._retrievers.clear()
        clear_backends()
    if out := os.environ.get("RAG_STREAM_REPORTS"):
        Path(out).mkdir(parents=True, exist_ok=True)
        report.save(Path(out) / f"stream-{name}-local-report.json")
    taken_back = [(r.id, r.answer_text) for r in report.results if r.retractions]
    assert taken_back == [], taken_back
    errors = [(r.id, r.error) for r in report.results if r.error]
    assert errors == [], errors
    late = [r.id for r in report.results if r.evidence_s is None or (r.ttft_s is not None and r.ttft_s < r.evidence_s)]
    assert late == [], f"the key statements came after answer text for {late}"
