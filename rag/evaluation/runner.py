"""The runner: each question answered (unless retrieval-only) and retrieved, then scored.

The retrieve/answer functions are arguments, so tests run it with fakes.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from rag.answering import answer_stream, resolve_query
from rag.answering.checks.entities import invented_names
from rag.answering.checks.support import negated
from rag.answering.evidence import human_date
from rag.errors import InputError, RagError
from rag.evaluation.metrics import citation_markers, retrieval_metrics
from rag.evaluation.questions import Question, contains_any_phrase, matches_answers
from rag.evaluation.report import QuestionResult, Report, RetrievedItem, _by_kind, aggregate
from rag.retrieval import retrieve
from rag.types import Answer, Citation, KeyEvidence, Passage

# --------------------------------------------------------------------------- API shapes


RetrieveFn = Callable[..., Sequence[Passage]]
AnswerFn = Callable[..., Iterable[Any]]
ResolveFn = Callable[[str, list[dict[str, str]] | None], str]


def _default_retrieve() -> RetrieveFn:
    """Import late: the public API may not be importable where fakes are used."""
    return retrieve


def _default_answer() -> AnswerFn:
    """Import late, like `_default_retrieve`."""
    return answer_stream


def join_turns(question: str, history: list[dict[str, str]] | None) -> str:
    """Fallback stand-alone query: the earlier user turns followed by the question."""
    earlier = [m["content"] for m in history or [] if m.get("role") == "user"]
    return " ".join([*earlier, question])


def _default_resolve() -> ResolveFn:
    """The answer layer's own query resolution, so retrieval-only runs search what it would."""
    return resolve_query


# --------------------------------------------------------------------------- running


@dataclass
class Streamed:
    """What a reader of an answer stream saw, and when."""

    answer: Answer
    ttft: float | None  # seconds to the first text
    total: float
    evidence: KeyEvidence | None = None
    evidence_s: float | None = None  # seconds to the key statements
    retractions: int = 0  # states of the streamed text that the final answer does not start with


def consume_answer(stream: Iterable[Any], started: float | None = None) -> Streamed:
    """Drain an answer stream, timing it and counting the streamed states the final answer takes back."""
    t0 = time.perf_counter() if started is None else started
    final: Any = None
    evidence: KeyEvidence | None = None
    evidence_s = ttft = None
    states: list[str] = []
    for item in stream:
        if isinstance(item, KeyEvidence):
            evidence, evidence_s = item, time.perf_counter() - t0
        elif isinstance(item, str):
            if item and ttft is None:
                ttft = time.perf_counter() - t0
            states.append((states[-1] if states else "") + item)
        else:  # the final Answer (or a test's stand-in for one)
            final = item
    total = time.perf_counter() - t0
    if final is None:
        raise RagError("answer stream ended without a final Answer object")
    retractions = sum(not final.text.startswith(state.strip()) for state in states)
    return Streamed(final, ttft, total, evidence, evidence_s, retractions)


def key_hits(evidence: KeyEvidence | None, answers: Sequence[str]) -> dict[str, bool]:
    """Whether the best 1 and 3 key statements, as the reader sees them (speaker, outlet, date), hold an answer."""
    if evidence is None or not answers:
        return {}
    shown = [
        f"{s.speaker or ''}: {s.text} ({s.outlet}, {human_date(s.date) if s.date else ''})" for s in evidence.statements
    ]
    return {str(n): any(contains_any_phrase(t, answers) for t in shown[:n]) for n in (1, 3)}


def shown_text(p: Passage | Citation) -> str:
    """A passage as a reader (and the model) sees it: its title and date line, then its text."""
    head = " · ".join(str(x) for x in (getattr(p, "title", None), getattr(p, "date", None)) if x)
    return f"{head}\n{p.text}" if head else p.text


def _retrieved_items(passages: Sequence[Passage], answers: Sequence[str]) -> list[RetrievedItem]:
    return [
        RetrievedItem(
            source=p.source,
            chunk_id=p.chunk_id,
            score=float(p.score),
            similarity=float(p.similarity),
            answer_bearing=contains_any_phrase(shown_text(p), answers) if answers else False,
            snippet=" ".join(p.text.split())[:160],
        )
        for p in passages
    ]


def _score_answer(res: QuestionResult, q: Question, ans: Answer) -> None:
    """Fill the answer half of a result from the final Answer object."""
    res.query = ans.query or res.query
    res.answer_text = ans.text
    res.raw_text = ans.raw_text
    res.attempts = getattr(ans, "attempts", None)
    res.checks = list(getattr(ans, "checks", []))
    res.abstained = bool(ans.abstained)
    llm_error = getattr(ans, "error", None)  # the answer layer reports LLM failures here
    if llm_error:
        res.error = f"LLM: {llm_error}"
    res.context_sources = [p.source for p in ans.passages]
    expected = set(q.sources)
    if q.answerable:
        res.context_hit = any(s in expected for s in res.context_sources) if expected else None
        res.correct = not res.abstained and not llm_error and matches_answers(ans.text, q.answers, q.all)
    raw = ans.raw_text if ans.raw_text else ans.text
    res.cited = citation_markers(raw)
    if res.cited:
        res.citation_valid = all(1 <= n <= len(ans.passages) for n in res.cited)
    if q.answerable and not res.abstained:
        # a cited passage is judged as the reader sees it: with its title and date line, and the
        # article's lede where the model was shown it
        cited: list[Passage | Citation] = list(ans.citations) or [
            ans.passages[n - 1] for n in citation_markers(ans.text) if 1 <= n <= len(ans.passages)
        ]
        cited_texts = [f"{getattr(c, 'lead', None) or ''}\n{shown_text(c)}" for c in cited]
        res.citation_supported = any(contains_any_phrase(t, q.answers) for t in cited_texts)
    if q.answerable and len(expected) > 1:
        cited_sources = {ans.passages[n - 1].source for n in res.cited if 1 <= n <= len(ans.passages)}
        res.cites_every_source = not res.abstained and expected <= cited_sources
    if q.claimant:
        res.attributed = not res.abstained and contains_any_phrase(ans.text, q.claimant)
    if q.denial:
        res.denial_kept = not res.abstained and negated(ans.text)
    if not res.abstained:
        # a speaker resolved from earlier in the article ("the minister" -> Sergey Lavrov) is the article's word
        given = " ".join(
            f"{getattr(p, 'publisher', '') or ''} {' '.join(a.speaker for a in getattr(p, 'speakers', []))} "
            f"{shown_text(p)}"
            for p in ans.passages
        )
        res.invented = invented_names(ans.text, f"{given} {' '.join(q.turns)}")


def evaluate_question(
    q: Question,
    *,
    backend: str | None,
    k: int,
    retrieval_only: bool,
    retrieve_fn: RetrieveFn,
    answer_fn: AnswerFn,
    answer_k: int | None = None,
    resolve_fn: ResolveFn = join_turns,
) -> QuestionResult:
    """Answer (unless retrieval-only) and retrieve for one question, then score both."""
    res = QuestionResult(
        id=q.id,
        question=q.question,
        turns=list(q.turns),
        kind=q.kind,
        answerable=q.answerable,
        expected_sources=list(q.sources),
        answers=list(q.answers),
        # Replaced by the Answer's resolved query when the model is asked.
        query=resolve_fn(q.question, [{"role": "user", "content": t} for t in q.turns[:-1]] or None),
    )
    if not retrieval_only:
        history: list[dict[str, str]] = []
        try:
            for turn in q.turns[:-1]:
                prior = consume_answer(answer_fn(turn, list(history) or None, backend=backend, k=answer_k)).answer
                history += [
                    {"role": "user", "content": turn},
                    {"role": "assistant", "content": prior.text},
                ]
            t0 = time.perf_counter()
            got = consume_answer(answer_fn(q.question, history or None, backend=backend, k=answer_k), started=t0)
            res.ttft_s, res.total_s, res.evidence_s = got.ttft, got.total, got.evidence_s
            res.retractions = got.retractions
            res.model_ttft_s = getattr(got.answer, "model_ttft", None)
            if q.answerable:
                res.key_hit = key_hits(got.evidence, q.answers)
            _score_answer(res, q, got.answer)
        except RagError as exc:
            # One failing call (timeout, HTTP error) should not sink the whole run.
            res.error = f"{type(exc).__name__}: {exc}"
            if q.answerable:
                res.correct = False
    passages = list(retrieve_fn(res.query, k=max(k, 10)))
    res.retrieved = _retrieved_items(passages, q.answers)
    res.top_similarity = max((float(p.similarity) for p in passages), default=None)
    if q.answerable and q.sources:
        res.retrieval = retrieval_metrics([(p.source, shown_text(p)) for p in passages], set(q.sources), q.answers, k)
    return res


def run_eval(
    questions: Sequence[Question],
    *,
    backend: str | None,
    k: int,
    retrieval_only: bool = False,
    progress: bool = True,
    retrieve_fn: RetrieveFn | None = None,
    answer_fn: AnswerFn | None = None,
    answer_k: int | None = None,
    resolve_fn: ResolveFn | None = None,
    meta: Mapping[str, Any] | None = None,
) -> Report:
    """Evaluate every question; `retrieve_fn`/`answer_fn` default to the real `rag` API.

    `k` is the retrieval cut-off for hit/recall (k=1,3,5 are always reported);
    `answer_k` is passed to `answer_stream` (None keeps its default).
    `resolve_fn(question, history)` makes the search query when the model is not
    asked (retrieval-only, or a failed call); it defaults to the answer layer's
    `resolve_query` in retrieval-only runs and to `join_turns` otherwise.
    """
    if k < 1:
        raise InputError("k must be at least 1")
    retrieve_fn = retrieve_fn or _default_retrieve()
    if not retrieval_only:
        answer_fn = answer_fn or _default_answer()
    resolve = resolve_fn or (_default_resolve() if retrieval_only else join_turns)

    def one(q: Question) -> QuestionResult:
        return evaluate_question(
            q,
            backend=backend,
            k=k,
            retrieval_only=retrieval_only,
            retrieve_fn=retrieve_fn,
            answer_fn=answer_fn or _no_answer,
            answer_k=answer_k,
            resolve_fn=resolve,
        )

    results: list[QuestionResult] = []
    started = time.perf_counter()
    if progress:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
        )

        with Progress(
            TextColumn("[bold]eval[/]"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("{task.description}"),
            console=Console(stderr=True),
            transient=True,
        ) as bar:
            task = bar.add_task("", total=len(questions))
            for q in questions:
                bar.update(task, description=q.id)
                results.append(one(q))
                bar.advance(task)
    else:
        results = [one(q) for q in questions]
    info = dict(meta or {})
    info.setdefault("wall_s", round(time.perf_counter() - started, 3))
    info.setdefault("answer_k", answer_k)
    return Report(
        metrics=aggregate(results, k, retrieval_only),
        results=results,
        backend=backend,
        k=k,
        retrieval_only=retrieval_only,
        meta=info,
        by_kind=_by_kind(results, retrieval_only),
    )


def _no_answer(*_: Any, **__: Any) -> Iterable[Any]:
    raise AssertionError("answer_fn called in retrieval-only mode")
