"""Question (+ history) → cited answer: resolve, retrieve, gate, evidence first, prompt, checked stream, cite.

Data flows one way: the resolved query goes to retrieval, the passages to the
evidence (the key statements go to the caller at once, before any model call)
and the prompt (one per part of a question that asks two things), the model's
deltas through the citation filter and the checks (:mod:`rag.answering.streaming`)
to the caller, and the final :class:`Answer` carries only citations that point
at passages the model was actually given.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field

from rag.answering.checks import Draft, check_answer, checks_named
from rag.answering.citing import cite
from rag.answering.evidence import build_request, is_refusal, renumber
from rag.answering.followup import conversation_note, resolve_query
from rag.answering.keys import key_evidence
from rag.answering.passages import MAX_PASSAGES, below_gate
from rag.answering.release import CheckFn
from rag.answering.streaming import AnswerStream
from rag.config import CheckTuning, get_settings
from rag.errors import InputError, RagError
from rag.llm import LLM, answers_one_at_a_time, available_backends, get_backend
from rag.query import plan_query
from rag.retrieval import check_k, check_query, get_retriever
from rag.types import REFUSAL, Answer, KeyEvidence, LLMRequest, Passage


@dataclass
class Prepared:
    """What retrieval and the evidence step found for a question, before any model call."""

    asked: str  # the question, whitespace normalised
    query: str  # the standalone query that was searched
    passages: list[Passage]  # retrieved; once the evidence is chosen, the ones given (numbered 1..m)
    note: str | None  # the earlier exchange of a follow-up, shown to the model
    gated: bool  # nothing close enough to the question: refuse without asking a model
    request: LLMRequest | None = None  # the whole question: its evidence is what the reader sees first
    part_requests: list[LLMRequest] = field(default_factory=list)  # one per part when answered part by part


def find_passages(
    question: str,
    history: list[dict[str, str]] | None,
    k: int | None,
    sources: list[str] | None,
    since: str | None,
    until: str | None,
) -> Prepared:
    """The question resolved (a follow-up made standalone), its passages retrieved and the abstain gate decided."""
    s = get_settings()
    check_query(question, s.max_query_chars)
    asked = " ".join(question.split())
    query = resolve_query(question, history)
    k = MAX_PASSAGES if k is None else check_k(k)
    passages = get_retriever().retrieve(query, k, sources=sources, since=since, until=until)
    note = conversation_note(history) if query != asked else None
    return Prepared(asked, query, passages, note, below_gate(passages, s.abstain_similarity))


def choose_evidence(found: Prepared, context_window: int | None, *, by_part: bool = True) -> None:
    """The evidence sentences and the prompt: ``found.request``, and ``found.passages`` narrowed to those given.

    A question that asks two things also gets ``found.part_requests``: one request per part, each with the
    sentences of the retrieved passages that best answer that part, numbered as in the whole question's
    (:func:`_numbered_by_part`); ``found.passages`` then also holds any passage only a part uses. A part whose
    request does not fit, or leaves no room for a source (a long follow-up note), leaves the question to one
    request for the whole.
    """
    s = get_settings()
    parts = plan_query(found.asked, s.split_questions).parts

    def request(
        question: str,
        passages: list[Passage],
        budget: int,
        asks: Sequence[str] = (),
        numbers: Sequence[int] | None = None,
    ) -> tuple[LLMRequest, list[Passage]]:
        return build_request(
            question,
            passages,
            speaker_hints=s.speaker_hints,
            who_lede=s.who_lede,
            tuning=s.evidence,
            budget_tokens=budget,
            max_tokens=s.max_answer_tokens,
            context_window=context_window,
            history_note=found.note,
            parts=asks,
            numbers=numbers,
        )

    retrieved = found.passages
    found.request, found.passages = request(found.asked, retrieved, s.prompt_budget, asks=parts)
    if by_part and s.answer_parts and parts and found.passages:

        def for_parts(numbers: Sequence[int]) -> list[tuple[LLMRequest, list[Passage]]]:
            return [request(part, retrieved, s.part_prompt_budget, numbers=numbers) for part in parts]

        with suppress(InputError):
            requests, passages = _numbered_by_part(for_parts, retrieved, found.passages)
            if all(r.evidence for r in requests):  # a part with no room for a source would only be refused
                found.part_requests, found.passages = requests, passages


def _numbered_by_part(
    build: Callable[[Sequence[int]], list[tuple[LLMRequest, list[Passage]]]],
    retrieved: list[Passage],
    given: list[Passage],
) -> tuple[list[LLMRequest], list[Passage]]:
    """Each part's request over every retrieved passage, and the passages given, numbered for all requests at once.

    The whole question's passages keep their numbers (its evidence is already on screen); a passage only a part
    uses is numbered after them: a part's answer often sits in a passage the whole question's budget left out
    (measured on the two-article dev questions). The parts are built with every other passage numbered after
    the given ones; those the parts use are then renumbered 1..m without gaps.
    """
    number = {p.chunk_id: n for n, p in enumerate(given, 1)}
    others = [p.chunk_id for p in retrieved if p.chunk_id not in number]
    number |= {cid: n for n, cid in enumerate(others, len(given) + 1)}
    built = build([number[p.chunk_id] for p in retrieved])
    used = {p.chunk_id: p for _, passages in built for p in passages if p.chunk_id in others}
    extra = [used[cid] for cid in others if cid in used]
    final = {number[p.chunk_id]: n for n, p in enumerate(extra, len(given) + 1)}
    return [renumber(r, final) for r, _ in built], given + extra


def answer_stream(
    question: str,
    history: list[dict[str, str]] | None = None,
    *,
    backend: str | None = None,
    k: int | None = None,
    sources: list[str] | None = None,
    since: str | None = None,
    until: str | None = None,
) -> Iterator[KeyEvidence | str | Answer]:
    """Yield the :class:`KeyEvidence` first, then checked text as it is released, then the final :class:`Answer`.

    Every text item extends what came before and the final ``Answer.text``
    starts with all of them: nothing shown is taken back.
    """
    t0 = time.perf_counter()
    s = get_settings()
    name = (backend or s.backend).strip().lower()
    if name not in available_backends():
        raise RagError(f"unknown backend {name!r}; known: {', '.join(available_backends())}")
    found = find_passages(question, history, k, sources, since, until)
    if found.gated:
        evidence = key_evidence(found.asked, found.query, None, found.passages, s.evidence, seconds=_since(t0))
        yield evidence
        yield REFUSAL
        yield Answer(
            text=REFUSAL,
            citations=[],
            abstained=True,
            query=found.query,
            passages=found.passages,
            backend=name,
            ttft=_since(t0),
            attempts=0,
            evidence=evidence,
        )
        return

    error: str | None = None
    llm: LLM | None = None
    try:
        llm = get_backend(name)
        choose_evidence(found, llm.context_window)
    except RagError as exc:  # no model, or no room for the question: the reader still gets the sources
        error = str(exc)
    request, given = found.request, found.passages
    stream: AnswerStream | None = None
    queues = llm is not None and request is not None and answers_one_at_a_time(llm)
    with _line.join(name if queues else None) as ahead:
        evidence = key_evidence(found.asked, found.query, request, given, s.evidence, ahead=ahead, seconds=_since(t0))
        yield evidence
        if llm is not None and request is not None:

            def check_for(r: LLMRequest) -> CheckFn:
                return _checker(r, found.note or "", s.answer_checks, s.checks)

            stream = AnswerStream(llm, found.part_requests or [request], check_for, t0)
            yield from stream.stream()
            error = stream.error  # a model that failed, crashed or timed out: what was checked stays
    text, cited = cite(stream.shown if stream is not None else "", given, error)
    abstained = error is None and (stream.refused if stream is not None else is_refusal(text))
    yield Answer(
        text=text,
        citations=[] if abstained else cited,
        abstained=abstained,
        query=found.query,
        passages=given,
        raw_text=stream.raw_text if stream is not None else "",
        backend=name,
        error=error,
        ttft=stream.first_shown if stream is not None else None,
        model_ttft=stream.model_ttft if stream is not None else None,
        total=_since(t0),
        attempts=stream.calls if stream is not None else 0,
        checks=stream.notes if stream is not None else [],
        evidence=evidence,
    )


class _Line:
    """Questions sent toward a one-at-a-time model and not yet answered, per backend: what a newcomer waits behind."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._count: Counter[str] = Counter()

    @contextmanager
    def join(self, backend: str | None) -> Iterator[int]:
        """Stand in line for ``backend`` (None: it does not queue); yields how many are ahead."""
        if backend is None:
            yield 0
            return
        with self._lock:
            ahead = self._count[backend]
            self._count[backend] += 1
        try:
            yield ahead
        finally:
            with self._lock:
                self._count[backend] -= 1


_line = _Line()


def evidence_only(
    question: str,
    history: list[dict[str, str]] | None = None,
    *,
    k: int | None = None,
    sources: list[str] | None = None,
    since: str | None = None,
    until: str | None = None,
) -> KeyEvidence:
    """The key statements and sources for ``question`` without any model (no backend is loaded or called)."""
    t0 = time.perf_counter()
    found = find_passages(question, history, k, sources, since, until)
    if not found.gated:
        choose_evidence(found, None, by_part=False)
    tuning = get_settings().evidence
    return key_evidence(found.asked, found.query, found.request, found.passages, tuning, seconds=_since(t0))


def _since(t0: float) -> float:
    return time.perf_counter() - t0


def _checker(request: LLMRequest, context: str, names: str, tuning: CheckTuning) -> CheckFn:
    """The configured answer checks, applied to a draft of the answer to ``request``."""
    checks = checks_named(names, tuning)

    def check(text: str) -> tuple[str, list[str]]:
        checked = check_answer(Draft(text, request.question, request.evidence, context=context), checks)
        return checked.text, list(checked.notes)

    return check


def warm_up(backend: str | None = None) -> None:
    """Load the model and evaluate the system prompt once, ahead of the first question.

    The system prompt (rules and worked examples) is the same for every
    question and llama.cpp keeps an evaluated prefix, so afterwards each
    question pays only for its own sources. Meant for local backends: a
    hosted one would bill a call.
    """
    llm = get_backend(backend or get_settings().backend)
    request, _ = build_request("Ready?", [], budget_tokens=get_settings().prompt_budget, max_tokens=1)
    for _ in llm.stream(request):
        pass


def answer(
    question: str,
    history: list[dict[str, str]] | None = None,
    *,
    backend: str | None = None,
    k: int | None = None,
    sources: list[str] | None = None,
    since: str | None = None,
    until: str | None = None,
) -> Answer:
    """The cited answer to ``question``; ``history`` holds earlier turns for follow-ups."""
    final: Answer | None = None
    for item in answer_stream(question, history, backend=backend, k=k, sources=sources, since=since, until=until):
        if isinstance(item, Answer):
            final = item
    assert final is not None
    return final
