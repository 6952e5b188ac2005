"""Question (+ history) → cited answer: resolve, retrieve, gate, prompt, stream, check, cite.

Data flows one way: the resolved query goes to retrieval, the passages to the
prompt, the model's deltas through the citation filter to the caller, and
the final :class:`Answer` carries only citations that point at passages the
model was actually given.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator

from rag.answering.checks import Draft, check_answer, checks_named
from rag.answering.citing import cite
from rag.answering.evidence import build_request, is_refusal
from rag.answering.followup import conversation_note, resolve_query
from rag.answering.generation import Generation
from rag.answering.passages import MAX_PASSAGES, below_gate, passages_for
from rag.config import get_settings
from rag.errors import RagError
from rag.llm import available_backends, get_backend
from rag.retrieval import check_k, check_query
from rag.text.markers import repair
from rag.types import REFUSAL, Answer, LLMRequest, Passage

log = logging.getLogger(__name__)


def answer_stream(
    question: str,
    history: list[dict[str, str]] | None = None,
    *,
    backend: str | None = None,
    k: int | None = None,
    sources: list[str] | None = None,
    since: str | None = None,
    until: str | None = None,
) -> Iterator[str | Answer]:
    """Yield text deltas as they are safe to show, then the final :class:`Answer`."""
    t0 = time.perf_counter()
    s = get_settings()
    name = (backend or s.backend).strip().lower()
    if name not in available_backends():
        raise RagError(f"unknown backend {name!r}; known: {', '.join(available_backends())}")
    check_query(question, s.max_query_chars)
    query = resolve_query(question, history)
    k = MAX_PASSAGES if k is None else check_k(k)
    passages = passages_for(query, k, s.split_questions, sources=sources, since=since, until=until)

    if below_gate(passages, s.abstain_similarity):
        yield REFUSAL
        yield Answer(
            text=REFUSAL,
            citations=[],
            abstained=True,
            query=query,
            passages=passages,
            backend=name,
            ttft=time.perf_counter() - t0,
            attempts=0,
        )
        return

    note = conversation_note(history) if query != " ".join(question.split()) else None
    generation: Generation | None = None
    error: str | None = None
    given: list[Passage] = passages
    request: LLMRequest | None = None
    try:
        llm = get_backend(name)
        request, given = build_request(
            " ".join(question.split()),
            passages,
            speaker_hints=s.speaker_hints,
            who_lede=s.who_lede,
            tuning=s.evidence,
            budget_tokens=s.prompt_budget,
            max_tokens=s.max_answer_tokens,
            context_window=llm.context_window,
            history_note=note,
        )
        generation = Generation(llm, request, t0)
        yield from generation.stream()
    except RagError as exc:  # a model that failed, crashed or timed out: the reader still gets the sources
        error = str(exc)
    raw_text = generation.raw_text if generation is not None else ""
    ttft = generation.ttft if generation is not None else None
    text = repair(raw_text, request.valid_citations).strip() if request is not None else ""
    attempts = 1 if request is not None else 0
    notes: list[str] = []
    if request is not None and text and error is None and not is_refusal(text):
        draft = Draft(text, request.question, request.evidence, context=note or "")
        checked = check_answer(draft, checks_named(s.answer_checks, s.checks))
        text = checked.text
        notes = list(checked.notes)
    text, cited = cite(text, given, error)
    abstained = error is None and is_refusal(text)
    if abstained:
        cited = []
    total = time.perf_counter() - t0
    yield Answer(
        text=text,
        citations=cited,
        abstained=abstained,
        query=query,
        passages=given,
        raw_text=raw_text,
        backend=name,
        error=error,
        ttft=ttft,
        total=total,
        attempts=attempts,
        checks=notes,
    )


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
