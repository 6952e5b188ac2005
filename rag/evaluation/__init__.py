"""Evaluation engine behind `rag eval`: labelled questions in, metrics out.

Retrieval is scored against the expected source files, answers against short key
phrases, so that a change to chunking, ranking, prompting or abstention shows up as
a number that can be compared with a stored baseline instead of by eyeballing.
The runner takes the retrieve/answer functions as arguments, so tests run it with fakes.

* :mod:`~rag.evaluation.questions` — the labelled question file, and key-phrase matching
* :mod:`~rag.evaluation.metrics` — ranking metrics and the answer-bearing hit
* :mod:`~rag.evaluation.report` — per-question results, the report and its averaged metrics
* :mod:`~rag.evaluation.runner` — each question answered, retrieved and scored: :func:`run_eval`
* :mod:`~rag.evaluation.compare` — the regression check against a baseline, and the diff of two runs
* :mod:`~rag.evaluation.trec` — TREC collections, scored through any retriever or the project's own
* :mod:`~rag.evaluation.render` — the terminal tables
"""

from __future__ import annotations

from rag.evaluation.compare import (
    DEFAULT_BASELINE_METRICS,
    LOWER_IS_BETTER,
    Comparison,
    MetricChange,
    QuestionChange,
    baseline_from_report,
    check_regression,
    compare_reports,
)
from rag.evaluation.metrics import (
    answer_bearing_hit_at_k,
    average_precision,
    citation_markers,
    dcg,
    hit_at_k,
    ndcg_at_k,
    precision_at_k,
    recall_at_k,
    reciprocal_rank,
    retrieval_metrics,
)
from rag.evaluation.questions import (
    Question,
    contains_any_phrase,
    contains_phrase,
    load_questions,
    matches_answers,
    normalize_text,
    parse_question,
)
from rag.evaluation.render import print_comparison, print_report
from rag.evaluation.report import REPORT_VERSION, QuestionResult, Report, RetrievedItem, aggregate
from rag.evaluation.runner import (
    AnswerFn,
    ResolveFn,
    RetrieveFn,
    consume_answer,
    evaluate_question,
    join_turns,
    run_eval,
    shown_text,
)
from rag.evaluation.trec import (
    SearchFn,
    evaluate_run,
    iter_trec_docs,
    parse_qrels,
    parse_trec_docs,
    parse_trec_topics,
    run_trec,
    run_trec_eval,
)

__all__ = [
    "DEFAULT_BASELINE_METRICS",
    "LOWER_IS_BETTER",
    "REPORT_VERSION",
    "AnswerFn",
    "Comparison",
    "MetricChange",
    "Question",
    "QuestionChange",
    "QuestionResult",
    "Report",
    "ResolveFn",
    "RetrieveFn",
    "RetrievedItem",
    "SearchFn",
    "aggregate",
    "answer_bearing_hit_at_k",
    "average_precision",
    "baseline_from_report",
    "check_regression",
    "citation_markers",
    "compare_reports",
    "consume_answer",
    "contains_any_phrase",
    "contains_phrase",
    "dcg",
    "evaluate_question",
    "evaluate_run",
    "hit_at_k",
    "iter_trec_docs",
    "join_turns",
    "load_questions",
    "matches_answers",
    "ndcg_at_k",
    "normalize_text",
    "parse_qrels",
    "parse_question",
    "parse_trec_docs",
    "parse_trec_topics",
    "precision_at_k",
    "print_comparison",
    "print_report",
    "recall_at_k",
    "reciprocal_rank",
    "retrieval_metrics",
    "run_eval",
    "run_trec",
    "run_trec_eval",
    "shown_text",
]
