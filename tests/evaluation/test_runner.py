"""Tests for rag.evaluation.runner: a run with fake retrieval and answers."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from eval_fakes import FailedAnswer, FakeAnswerer, fake_retrieve, sample_questions

from rag.errors import InputError
from rag.evaluation.questions import Question
from rag.evaluation.runner import join_turns, run_eval


def test_run_eval_with_fakes() -> None:
    answerer = FakeAnswerer()
    report = run_eval(
        sample_questions(), backend="fake", k=3, progress=False, retrieve_fn=fake_retrieve, answer_fn=answerer
    )
    by_id = {r.id: r for r in report.results}
    m = report.metrics
    assert m["questions"] == 6 and m["answerable"] == 5 and m["unanswerable"] == 1
    # mem, trade, two correct; abst abstained; boom errored
    assert m["accuracy"] == pytest.approx(3 / 5)
    assert m["abstention_rate"] == 1.0
    assert m["false_abstention_rate"] == pytest.approx(1 / 4)  # boom never answered
    assert m["error_rate"] == pytest.approx(1 / 6)
    # markers: mem [2] ok, trade [9] invalid, two [2] ok
    assert by_id["trade"].citation_valid is False
    assert by_id["mem"].citation_valid is True
    assert m["citation_validity"] == pytest.approx(2 / 3)
    # support: mem + two cite a phrase-bearing passage; trade cites nothing
    assert by_id["trade"].citation_supported is False
    assert m["citation_support"] == pytest.approx(2 / 3)
    # follow-up: history built from the first turn's answer with the same backend
    first, second = answerer.calls[3], answerer.calls[4]
    assert first == ("Who met?", None, "fake")
    assert second[1] == [
        {"role": "user", "content": "Who met?"},
        {"role": "assistant", "content": "Lavrov and Aleinik [1]."},
    ]
    assert by_id["two"].query == "memo signed by Lavrov and Aleinik"
    assert by_id["two"].retrieval["hit@1"] == 0.0 and by_id["two"].retrieval["hit@3"] == 1.0
    assert by_id["two"].retrieval["mrr"] == 0.5
    assert by_id["two"].correct is True and by_id["two"].context_hit is True
    assert by_id["boom"].error == "BackendError: timed out" and by_id["boom"].correct is False
    assert by_id["mem"].ttft_s is not None and by_id["mem"].total_s is not None
    assert by_id["mem"].ttft_s <= by_id["mem"].total_s
    assert by_id["gas"].retrieval == {} and by_id["gas"].top_similarity == 0.2
    assert m["top_similarity_unanswerable"] == pytest.approx(0.2)
    assert report.by_kind["followup"]["pass_rate"] == 1.0
    assert m["answer_hit@3"] == 1.0  # each expected source passage holds a key phrase


def test_run_eval_retrieval_only_never_calls_the_model() -> None:
    def no_model(*_: Any, **__: Any) -> Iterator[Any]:
        raise AssertionError("model called")

    report = run_eval(
        sample_questions(), backend=None, k=5, retrieval_only=True, progress=False,
        retrieve_fn=fake_retrieve, answer_fn=no_model, resolve_fn=join_turns,
    )  # fmt: skip
    assert "accuracy" not in report.metrics
    two = next(r for r in report.results if r.id == "two")
    assert two.query == "Who met? What did they sign?"  # naive joined query
    # the joined follow-up query finds nothing: mrr = (0.5 + 1 + 0 + 0.5 + 0.5) / 5
    assert report.metrics["hit@5"] == pytest.approx(4 / 5)
    assert report.metrics["mrr"] == pytest.approx(0.5)

    def resolve(question: str, history: list[dict[str, str]] | None) -> str:
        return "memo " + question if history else question

    report = run_eval(
        sample_questions(), backend=None, k=5, retrieval_only=True, progress=False,
        retrieve_fn=fake_retrieve, resolve_fn=resolve,
    )  # fmt: skip
    two = next(r for r in report.results if r.id == "two")
    assert two.query == "memo What did they sign?" and two.retrieval["hit@5"] == 1.0


def test_llm_error_reported_by_the_answer_counts_as_wrong() -> None:
    def failing(question: str, history: Any = None, **_: Any) -> Iterator[Any]:
        passages = fake_retrieve("memo")
        yield "The language model failed."
        yield FailedAnswer("biological security? The language model failed.", "", False, "memo", passages)

    q = [Question("m", ("memo?",), ("biological security",), False, ("b.txt",))]
    report = run_eval(q, backend=None, k=3, progress=False, retrieve_fn=fake_retrieve, answer_fn=failing)
    res = report.results[0]
    assert res.error == "LLM: timeout" and res.correct is False and res.passed is False
    assert report.metrics["error_rate"] == 1.0 and report.metrics["accuracy"] == 0.0
    assert join_turns("q", [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}]) == "a q"


def test_run_eval_rejects_bad_k() -> None:
    with pytest.raises(InputError):
        run_eval(sample_questions(), backend=None, k=0, progress=False, retrieve_fn=fake_retrieve)
