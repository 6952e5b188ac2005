"""Tests for rag.evaluation.compare and .render: two runs compared and printed, the regression check."""

from __future__ import annotations

import pytest
from eval_fakes import sample_report
from rich.console import Console

from rag.errors import InputError
from rag.evaluation.compare import baseline_from_report, check_regression, compare_reports
from rag.evaluation.render import print_comparison, print_report
from rag.evaluation.report import Report


def test_compare_reports_and_printing() -> None:
    before = sample_report()
    after = Report.from_json(before.to_json())
    # after: "abst" now answers correctly; "two" ranks its source first; accuracy up, latency up
    r = next(x for x in after.results if x.id == "abst")
    r.abstained, r.correct = False, True
    t = next(x for x in after.results if x.id == "two")
    t.retrieval = dict(t.retrieval, **{"mrr": 1.0, "hit@1": 1.0})
    m = next(x for x in after.results if x.id == "mem")
    m.retrieval = dict(m.retrieval, mrr=0.25)
    after.metrics["accuracy"] = 0.8
    after.metrics["latency_mean_s"] = (before.metrics["latency_mean_s"] or 0) + 1.0
    cmp = compare_reports(before, after)
    verdicts = {c.name: c.verdict for c in cmp.metrics}
    assert verdicts["accuracy"] == "better"
    assert verdicts["latency_mean_s"] == "worse"  # lower is better
    assert verdicts["hit@1"] == "same"
    assert {q.id for q in cmp.better} == {"abst", "two"}
    assert {q.id for q in cmp.worse} == {"mem"}
    text = cmp.to_text()
    assert "accuracy" in text and "mrr 0.50->1.00" in text and "mem" in text

    console = Console(record=True, width=160)
    print_comparison(cmp, console)
    print_report(after, console, show_questions=True)
    print_report(before, console)
    out = console.export_text()
    assert "questions better" in out and "accuracy" in out and "by question kind" in out


def test_check_regression_and_baseline() -> None:
    report = sample_report()
    base = baseline_from_report(report)
    assert check_regression(report, base) == []
    assert "latency_mean_s" not in base["metrics"]
    worse = dict(report.metrics)
    worse.update({"accuracy": 0.1, "false_abstention_rate": 0.9, "mrr": report.metrics["mrr"]})
    report.metrics = worse
    assert check_regression(report, base) == ["accuracy", "false_abstention_rate"]
    # flat form, tolerance form, metrics the run did not measure
    assert check_regression(report, {"accuracy": 0.5, "not_measured": 1.0}) == ["accuracy"]
    assert check_regression(report, {"metrics": {"accuracy": 0.15}, "tolerance": 0.1}) == []
    assert check_regression(report, {"metrics": {"ttft_p50_s": 0.0}}) == ["ttft_p50_s"]
    with pytest.raises(InputError):
        check_regression(report, {"metrics": [1, 2]})
