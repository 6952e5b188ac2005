"""Per-question results, the report of a run (JSON round trip) and the averaged metric table."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rag.errors import InputError
from rag.evaluation.metrics import _cutoffs

REPORT_VERSION = 1

# --------------------------------------------------------------------------- results & report


@dataclass
class RetrievedItem:
    """One retrieved passage as recorded in the report (text kept short)."""

    source: str
    chunk_id: str
    score: float
    similarity: float
    answer_bearing: bool
    snippet: str


@dataclass
class QuestionResult:
    """Everything measured for one question, so regressions can be traced to a cause."""

    id: str
    question: str
    turns: list[str]
    kind: str | None
    answerable: bool
    expected_sources: list[str]
    answers: list[str]
    query: str
    retrieved: list[RetrievedItem] = field(default_factory=list)
    retrieval: dict[str, float] = field(default_factory=dict)
    top_similarity: float | None = None
    context_sources: list[str] = field(default_factory=list)
    context_hit: bool | None = None
    answer_text: str | None = None
    raw_text: str | None = None
    abstained: bool | None = None
    correct: bool | None = None
    cited: list[int] = field(default_factory=list)
    citation_valid: bool | None = None
    citation_supported: bool | None = None
    cites_every_source: bool | None = None  # a question that needs two or more articles: each one cited
    ttft_s: float | None = None  # to the first checked text shown
    model_ttft_s: float | None = None  # to the model's first token (unchecked, never shown)
    evidence_s: float | None = None  # to the key statements
    total_s: float | None = None
    retractions: int | None = None  # streamed states that the final answer does not start with (must be 0)
    key_hit: dict[str, bool] = field(default_factory=dict)  # "1"/"3": a top-n key statement holds an answer
    attempts: int | None = None  # model calls for the answer (0: the gate abstained)
    attributed: bool | None = None  # a claim or denial question: the answer names who makes the claim
    denial_kept: bool | None = None  # a denial question: the answer still says it is denied
    invented: list[str] = field(default_factory=list)  # names in the answer that no given passage holds
    checks: list[str] = field(default_factory=list)  # what the answer checks changed
    error: str | None = None

    @property
    def passed(self) -> bool | None:
        """Answered correctly, or abstained when unanswerable; None if not asked (retrieval-only)."""
        if self.error is not None:
            return False
        if self.abstained is None:
            return None
        return bool(self.correct) if self.answerable else bool(self.abstained)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> QuestionResult:
        data = dict(d)
        data["retrieved"] = [RetrievedItem(**r) for r in data.get("retrieved", [])]
        known = cls.__dataclass_fields__
        return cls(**{key: v for key, v in data.items() if key in known})


@dataclass
class Report:
    """A full evaluation run: settings, averaged metrics and per-question results."""

    metrics: dict[str, float | None]
    results: list[QuestionResult]
    backend: str | None = None
    k: int = 5
    retrieval_only: bool = False
    kind: str = "questions"
    created_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))
    meta: dict[str, Any] = field(default_factory=dict)
    by_kind: dict[str, dict[str, float | None]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["version"] = REPORT_VERSION
        return d

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Report:
        try:
            return cls(
                metrics=dict(d["metrics"]),
                results=[QuestionResult.from_dict(r) for r in d.get("results", [])],
                backend=d.get("backend"),
                k=int(d.get("k", 5)),
                retrieval_only=bool(d.get("retrieval_only", False)),
                kind=str(d.get("kind", "questions")),
                created_at=str(d.get("created_at", "")),
                meta=dict(d.get("meta", {})),
                by_kind={key: dict(v) for key, v in d.get("by_kind", {}).items()},
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise InputError(f"not an evaluation report ({type(exc).__name__}: {exc})") from None

    @classmethod
    def from_json(cls, text: str) -> Report:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(f"report is not valid JSON (line {exc.lineno}: {exc.msg})") from None
        if not isinstance(data, dict):
            raise InputError("report is not a JSON object")
        return cls.from_dict(data)

    def save(self, path: str | Path) -> None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_text(self.to_json() + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: str | Path) -> Report:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise InputError(f"{path}: cannot read report ({exc.strerror or exc})") from None
        try:
            return cls.from_json(text)
        except InputError as exc:
            raise InputError(f"{path}: {exc}") from None


def _mean(values: Iterable[float | bool | None]) -> float | None:
    vals = [float(v) for v in values if v is not None]
    return sum(vals) / len(vals) if vals else None


def _percentile(values: Iterable[float | None], q: float) -> float | None:
    """Nearest-rank percentile; fine for the few dozen questions we have."""
    vals = sorted(v for v in values if v is not None)
    if not vals:
        return None
    idx = max(0, math.ceil(q / 100 * len(vals)) - 1)
    return vals[idx]


def aggregate(results: Sequence[QuestionResult], k: int, retrieval_only: bool) -> dict[str, float | None]:
    """Average per-question numbers into the report's metric table."""
    answerable = [r for r in results if r.answerable]
    unanswerable = [r for r in results if not r.answerable]
    scored = [r for r in answerable if r.retrieval]
    m: dict[str, float | None] = {
        "questions": float(len(results)),
        "answerable": float(len(answerable)),
        "unanswerable": float(len(unanswerable)),
    }
    names = list(scored[0].retrieval) if scored else []
    if not names:
        names = [f"{p}@{c}" for p in ("hit", "recall") for c in _cutoffs(k)] + [
            "mrr",
            "ndcg@10",
        ]
        names += [f"answer_hit@{c}" for c in _cutoffs(k)]
    for name in names:
        m[name] = _mean(r.retrieval.get(name) for r in scored)
    m["top_similarity_answerable"] = _mean(r.top_similarity for r in answerable)
    m["top_similarity_unanswerable"] = _mean(r.top_similarity for r in unanswerable)
    if retrieval_only:
        return m
    answered = [r for r in answerable if r.abstained is not None]
    # An answerable question whose call failed counts as wrong, not as missing.
    m["accuracy"] = _mean(r.correct for r in answerable)
    m["context_hit"] = _mean(r.context_hit for r in answered)
    m["abstention_rate"] = _mean(r.abstained for r in unanswerable if r.abstained is not None)
    m["false_abstention_rate"] = _mean(r.abstained for r in answered)
    m["citation_validity"] = _mean(r.citation_valid for r in results)
    m["citation_support"] = _mean(r.citation_supported for r in answerable)
    m["correct_and_cited"] = _mean(bool(r.correct and r.citation_supported) for r in answerable)
    m["cites_every_source"] = _mean(r.cites_every_source for r in answerable if r.cites_every_source is not None)
    m["claims_attributed"] = _mean(r.attributed for r in results if r.attributed is not None)
    m["denials_kept"] = _mean(r.denial_kept for r in results if r.denial_kept is not None)
    m["invented_entities"] = float(sum(len(r.invented) for r in results))
    m["pass_rate"] = _mean(r.passed for r in results)
    m["error_rate"] = _mean(r.error is not None for r in results)
    m["key_statements_hit@1"] = _mean(r.key_hit.get("1") for r in answered if r.key_hit)
    m["key_statements_hit@3"] = _mean(r.key_hit.get("3") for r in answered if r.key_hit)
    m["retractions"] = float(sum(r.retractions or 0 for r in results))
    m["evidence_p50_s"] = _percentile((r.evidence_s for r in results), 50)
    m["evidence_p95_s"] = _percentile((r.evidence_s for r in results), 95)
    m["model_ttft_p50_s"] = _percentile((r.model_ttft_s for r in results), 50)
    m["ttft_mean_s"] = _mean(r.ttft_s for r in results)
    m["ttft_p50_s"] = _percentile((r.ttft_s for r in results), 50)
    m["ttft_p95_s"] = _percentile((r.ttft_s for r in results), 95)
    m["latency_mean_s"] = _mean(r.total_s for r in results)
    m["latency_p50_s"] = _percentile((r.total_s for r in results), 50)
    m["latency_p95_s"] = _percentile((r.total_s for r in results), 95)
    return m


def _by_kind(results: Sequence[QuestionResult], retrieval_only: bool) -> dict[str, dict[str, float | None]]:
    """Small per-kind breakdown so weak question types stand out."""
    out: dict[str, dict[str, float | None]] = {}
    for kind in sorted({r.kind or "-" for r in results}):
        group = [r for r in results if (r.kind or "-") == kind]
        row: dict[str, float | None] = {
            "n": float(len(group)),
            "mrr": _mean(r.retrieval.get("mrr") for r in group if r.retrieval),
        }
        if not retrieval_only:
            row["pass_rate"] = _mean(r.passed for r in group)
        out[kind] = row
    return out


def _fmt(v: float | None, *, count: bool = False) -> str:
    if v is None:
        return "-"
    return str(round(v)) if count else f"{v:.3f}"
