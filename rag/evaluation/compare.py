"""A run against a stored baseline (the regression check) and one run against another (the comparison)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from rag.errors import InputError
from rag.evaluation.report import QuestionResult, Report, _fmt

# Metrics where a smaller value is better; everything else is higher-is-better.
LOWER_IS_BETTER = frozenset(
    {
        "false_abstention_rate",
        "error_rate",
        "retractions",
        "evidence_p50_s",
        "evidence_p95_s",
        "model_ttft_p50_s",
        "ttft_mean_s",
        "ttft_p50_s",
        "ttft_p95_s",
        "latency_mean_s",
        "latency_p50_s",
        "latency_p95_s",
        "top_similarity_unanswerable",
        "invented_entities",
    }
)

# Changes smaller than this are noise from float arithmetic, not regressions.
_EPS = 1e-9


# --------------------------------------------------------------------------- baseline


def _baseline_metrics(baseline: Mapping[str, Any]) -> tuple[dict[str, float], float]:
    metrics = baseline.get("metrics", baseline)
    tol = baseline.get("tolerance", 0.0) if "metrics" in baseline else 0.0
    if not isinstance(metrics, Mapping) or not isinstance(tol, (int, float)):
        raise InputError("baseline must be {metric: value} or {'metrics': {...}, 'tolerance': x}")
    out = {str(n): float(v) for n, v in metrics.items() if isinstance(v, (int, float)) and not isinstance(v, bool)}
    return out, float(tol)


def check_regression(report: Report, baseline: Mapping[str, Any]) -> list[str]:
    """Names of metrics that got worse than the baseline (beyond its optional tolerance).

    Metrics the run did not measure (e.g. answer metrics in a retrieval-only run) are skipped.
    """
    wanted, tol = _baseline_metrics(baseline)
    failed: list[str] = []
    for name, base in wanted.items():
        value = report.metrics.get(name)
        if value is None:
            continue
        if name in LOWER_IS_BETTER:
            if value > base + tol + _EPS:
                failed.append(name)
        elif value < base - tol - _EPS:
            failed.append(name)
    return failed


DEFAULT_BASELINE_METRICS = (
    "hit@5",
    "recall@5",
    "mrr",
    "ndcg@10",
    "answer_hit@5",
    "accuracy",
    "abstention_rate",
    "false_abstention_rate",
    "citation_validity",
    "citation_support",
    "correct_and_cited",
    "claims_attributed",
    "denials_kept",
    "invented_entities",
)


def baseline_from_report(
    report: Report,
    metrics: Sequence[str] = DEFAULT_BASELINE_METRICS,
    tolerance: float = 0.0,
) -> dict[str, Any]:
    """A baseline dict (for data/eval_baseline.json) from a run; latency is left out on purpose."""
    values = {n: report.metrics[n] for n in metrics if report.metrics.get(n) is not None}
    return {
        "metrics": values,
        "tolerance": tolerance,
        "k": report.k,
        "backend": report.backend,
    }


# --------------------------------------------------------------------------- comparison


@dataclass
class MetricChange:
    name: str
    before: float | None
    after: float | None

    @property
    def delta(self) -> float | None:
        if self.before is None or self.after is None:
            return None
        return self.after - self.before

    @property
    def verdict(self) -> str:
        """'better', 'worse' or 'same', honouring metrics where lower is better."""
        d = self.delta
        if d is None or abs(d) <= _EPS:
            return "same"
        better = d < 0 if self.name in LOWER_IS_BETTER else d > 0
        return "better" if better else "worse"


@dataclass
class QuestionChange:
    id: str
    question: str
    verdict: str  # "better" | "worse"
    details: list[str]


@dataclass
class Comparison:
    """What changed between two runs: metric deltas and per-question wins and losses."""

    metrics: list[MetricChange]
    questions: list[QuestionChange]

    @property
    def better(self) -> list[QuestionChange]:
        return [q for q in self.questions if q.verdict == "better"]

    @property
    def worse(self) -> list[QuestionChange]:
        return [q for q in self.questions if q.verdict == "worse"]

    def to_text(self) -> str:
        lines = ["metric                          before     after     delta"]
        for m in self.metrics:
            d = m.delta
            lines.append(
                f"{m.name:<28}{_fmt(m.before):>10}{_fmt(m.after):>10}{'' if d is None else f'{d:+.3f}':>10}"
                f"  {'' if m.verdict == 'same' else m.verdict}"
            )
        for label, group in (("better", self.better), ("worse", self.worse)):
            lines.append(f"\nquestions {label} ({len(group)}):")
            lines += [f"  {q.id}: {'; '.join(q.details)}" for q in group]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.to_text()


_QUESTION_KEYS = ("hit@1", "mrr", "ndcg@10", "answer_hit@5")


def _question_change(a: QuestionResult, b: QuestionResult) -> QuestionChange | None:
    ups: list[str] = []
    downs: list[str] = []
    if a.passed is not None and b.passed is not None and a.passed != b.passed:
        what = "answered correctly" if b.answerable else "abstained"
        (ups if b.passed else downs).append(what if b.passed else f"no longer {what}")
    for key in _QUESTION_KEYS:
        x, y = a.retrieval.get(key), b.retrieval.get(key)
        if x is not None and y is not None and abs(y - x) > _EPS:
            (ups if y > x else downs).append(f"{key} {x:.2f}->{y:.2f}")
    if not ups and not downs:
        return None
    # Answer outcome dominates; otherwise the majority of retrieval moves decides.
    if a.passed != b.passed and a.passed is not None and b.passed is not None:
        verdict = "better" if b.passed else "worse"
    else:
        verdict = "better" if len(ups) >= len(downs) else "worse"
    return QuestionChange(b.id, b.question, verdict, ups + downs)


def compare_reports(a: Report, b: Report) -> Comparison:
    """Diff two reports (a = before, b = after) on shared metrics and shared question ids."""
    names = [n for n in a.metrics if n in b.metrics] + [n for n in b.metrics if n not in a.metrics]
    metrics = [MetricChange(n, a.metrics.get(n), b.metrics.get(n)) for n in names]
    before = {r.id: r for r in a.results}
    questions = [c for r in b.results if r.id in before and (c := _question_change(before[r.id], r))]
    return Comparison(metrics, questions)
