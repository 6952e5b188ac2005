"""Rich terminal rendering of a report and of a comparison."""

from __future__ import annotations

import re
from typing import Any

from rag.evaluation.compare import Comparison
from rag.evaluation.report import QuestionResult, Report, _fmt


def _short(source: str) -> str:
    return source.split("_", 1)[0] if re.match(r"\d+_", source) else source


def _group(name: str) -> str:
    if "@" in name or name in ("mrr", "map") or name.startswith("top_similarity"):
        return "retrieval"
    if name.startswith(("ttft", "latency")):
        return "latency"
    if name in ("questions", "answerable", "unanswerable", "topics", "docs"):
        return "count"
    return "answer"


def print_report(report: Report, console: Any = None, *, show_questions: bool = False) -> None:
    """Rich summary: metrics grouped by kind, per-kind breakdown, failing questions."""
    from rich.console import Console
    from rich.table import Table

    con = console or Console()
    title = f"RAG eval ({report.kind}) backend={report.backend or 'default'} k={report.k}"
    if report.retrieval_only:
        title += " retrieval-only"
    table = Table(title=title)
    table.add_column("group", style="dim")
    table.add_column("metric")
    table.add_column("value", justify="right")
    for group in ("count", "retrieval", "answer", "latency"):
        for name, value in report.metrics.items():
            if _group(name) == group:
                table.add_row(group, name, _fmt(value, count=group == "count"))
    con.print(table)
    scored = [r for r in report.results if r.answerable]
    if scored and not any(r.retrieved for r in scored):
        con.print("[bold red]No passages were retrieved for any question: is the index built?[/]")
    if report.by_kind:
        kinds = Table(title="by question kind")
        cols = list(next(iter(report.by_kind.values())))
        kinds.add_column("kind")
        for c in cols:
            kinds.add_column(c, justify="right")
        for kind, row in report.by_kind.items():
            kinds.add_row(kind, *(_fmt(row.get(c), count=c == "n") for c in cols))
        con.print(kinds)
    shown = report.results if show_questions else [r for r in report.results if _is_failure(r, report)]
    if shown:
        qt = Table(title="questions" if show_questions else "failures", show_lines=False)
        qt.add_column("id", no_wrap=True, min_width=8)
        for col, width in (("query", 48), ("expected", 9), ("top sources", 19), ("answer", 40)):
            qt.add_column(col, max_width=width, no_wrap=True, overflow="ellipsis")
        qt.add_column("ok", no_wrap=True)
        qt.add_column("s", justify="right", no_wrap=True)
        for r in shown:
            # Seed file names are long; their numeric prefix is enough to tell them apart.
            srcs = ",".join(_short(s) for s in dict.fromkeys(i.source for i in r.retrieved[:5]))
            expected = ",".join(_short(s) for s in r.expected_sources) or "(none)"
            ans = r.error or ("(abstained)" if r.abstained else " ".join((r.answer_text or "").split()))
            ok = "-" if r.passed is None else ("yes" if r.passed else "no")
            if report.retrieval_only:
                ok = _fmt(r.retrieval.get(f"hit@{report.k}")) if r.retrieval else "-"
            qt.add_row(r.id, r.query, expected, srcs, ans, ok, _fmt(r.total_s))
        con.print(qt)


def _is_failure(r: QuestionResult, report: Report) -> bool:
    if r.error:
        return True
    if report.retrieval_only:
        return bool(r.retrieval) and r.retrieval.get(f"hit@{report.k}", 1.0) < 1.0
    return r.passed is False


def print_comparison(cmp: Comparison, console: Any = None) -> None:
    """Rich rendering of `compare_reports`: red for worse, green for better."""
    from rich.console import Console
    from rich.table import Table

    con = console or Console()
    table = Table(title="before -> after")
    for col, just in (
        ("metric", "left"),
        ("before", "right"),
        ("after", "right"),
        ("delta", "right"),
    ):
        table.add_column(col, justify=just)  # type: ignore[arg-type]
    for m in cmp.metrics:
        style = {"better": "green", "worse": "red"}.get(m.verdict, "")
        d = m.delta
        table.add_row(
            m.name,
            _fmt(m.before),
            _fmt(m.after),
            "" if d is None else f"{d:+.3f}",
            style=style,
        )
    con.print(table)
    for label, group, style in (
        ("better", cmp.better, "green"),
        ("worse", cmp.worse, "red"),
    ):
        if group:
            qt = Table(title=f"questions {label}", title_style=style)
            qt.add_column("id")
            qt.add_column("question", overflow="fold")
            qt.add_column("changes", overflow="fold")
            for q in group:
                qt.add_row(q.id, q.question, "; ".join(q.details))
            con.print(qt)
