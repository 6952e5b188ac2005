"""Question (+ history) → cited answer: resolve, retrieve, gate, prompt, stream, retry once if short, check.

Data flows one way: the resolved query goes to retrieval, the passages to the
prompt, the model's deltas through the citation filter to the caller, and
the final :class:`Answer` carries only citations that point at passages the
model was actually given.
"""

from __future__ import annotations

import itertools
import logging
import re
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

from rag.checks import Draft, check_answer, checks_named
from rag.citations import MarkerStreamFilter, find_markers, repair, strip_markers
from rag.config import get_settings
from rag.errors import RagError
from rag.grounding import about, office, shortfall
from rag.llm import LLM, LLMRequest, available_backends, get_backend
from rag.prompting import REFUSAL, build_request, is_refusal, second_look
from rag.questions import question_parts
from rag.retrieval import Passage, check_k, check_query, get_retriever

log = logging.getLogger(__name__)

#: passages retrieved when k is left to the prompt budget
MAX_PASSAGES = 8

# pronouns that point back at the conversation ("that"/"this" are left out: mostly relative or deictic)
_ANAPHORA = re.compile(
    r"\b(they|them|their|theirs|he|him|his|she|her|hers|it|its|these|those|there|the same|the two|both)\b",
    re.IGNORECASE,
)
_NAME = re.compile(r"(?<!^)(?<![.?!]\s)\b[A-Z][\w-]+")
_CONTINUATION = re.compile(r"^\s*((and|but|so|what about|how about)\b.*|(why|when|where|who|how)\s*\??)\s*$", re.I)


@dataclass
class Citation:
    """A passage the answer cites, with the marker number it is cited by."""

    n: int
    source: str
    title: str | None
    publisher: str | None
    date: str | None
    url: str | None
    text: str
    chunk_id: str
    start: int
    end: int
    lead: str | None = None  # the document's lede, when the model was shown it beside ``text``
    pages: str | None = None  # PDFs: the page or pages the passage is on

    @classmethod
    def of(cls, n: int, p: Passage) -> Citation:
        return cls(
            n, p.source, p.title, p.publisher, p.date, p.url, p.text, p.chunk_id, p.start, p.end, p.lead, p.pages
        )


@dataclass
class Answer:
    text: str
    citations: list[Citation]
    abstained: bool
    query: str  # the standalone query that was searched
    passages: list[Passage] = field(default_factory=list)  # numbered 1..m as given to the model
    raw_text: str = ""  # the model's output before citation repair
    backend: str = ""
    error: str | None = None  # set when the LLM failed; passages are still there
    ttft: float | None = None  # seconds from the call to the first text shown
    total: float | None = None
    attempts: int = 1  # model calls: 2 when the first answer fell short and got a second look
    checks: list[str] = field(default_factory=list)  # what the answer checks changed ("attribution: …")

    def to_json(self) -> dict[str, Any]:
        return {
            "answer": self.text,
            "citations": [
                {
                    k: v
                    for k, v in asdict(c).items()
                    if k in ("n", "source", "title", "publisher", "date", "url", "text")
                    or (k in ("lead", "pages") and v)
                }
                for c in self.citations
            ],
            "abstained": self.abstained,
            "query": self.query,
            "error": self.error,
        }


def resolve_query(question: str, history: list[dict[str, str]] | None) -> str:
    """A standalone query for retrieval; a follow-up borrows the previous question's words.

    Measured on the seed follow-ups: asking the small local models to rewrite
    the question cost 0.8-1.6 s and often dropped what was new, while keeping
    both questions side by side retrieves well at no cost.
    """
    q = " ".join(question.split())
    previous = [m["content"] for m in history or [] if m.get("role") == "user" and m.get("content", "").strip()]
    if not previous:
        return q
    words = re.findall(r"\w+", q)
    short_and_nameless = len(words) <= 4 and not _NAME.search(q)
    follow_up = bool(_ANAPHORA.search(q)) or bool(_CONTINUATION.match(q)) or short_and_nameless
    if not follow_up:
        return q
    return f"{q} ({' '.join(previous[-1].split())})"


def _conversation_note(history: list[dict[str, str]] | None) -> str | None:
    """The previous exchange, short, so the model knows who "they" are in a follow-up."""
    turns = [m for m in history or [] if m.get("role") in ("user", "assistant") and m.get("content", "").strip()]
    last_user = next((m["content"] for m in reversed(turns) if m["role"] == "user"), None)
    if last_user is None:
        return None
    note = f"Earlier question: {' '.join(last_user.split())}"
    last_answer = next((m["content"] for m in reversed(turns) if m["role"] == "assistant"), None)
    if last_answer:
        words = strip_markers(last_answer).split()
        note += f"\nEarlier answer: {' '.join(words[:60])}"
    return note


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
    passages = _retrieve(query, k, s.split_questions, sources=sources, since=since, until=until)

    if not passages or passages[0].similarity < s.abstain_similarity:
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

    note = _conversation_note(history) if query != " ".join(question.split()) else None
    raw: list[str] = []
    ttft: float | None = None
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
            budget_tokens=s.prompt_budget,
            max_tokens=s.max_answer_tokens,
            context_window=llm.context_window,
            history_note=note,
        )
        filt = MarkerStreamFilter(request.valid_citations)
        for delta in llm.stream(request):
            raw.append(delta)
            shown = filt.feed(delta)
            if shown:
                if ttft is None:
                    ttft = time.perf_counter() - t0
                yield shown
        tail = filt.flush()
        if tail:
            yield tail
    except RagError as exc:  # a model that failed, crashed or timed out: the reader still gets the sources
        error = str(exc)
    raw_text = "".join(raw)
    text = repair(raw_text, request.valid_citations).strip() if request is not None else ""
    attempts = 1 if request is not None else 0
    notes: list[str] = []
    if request is not None and text and error is None and not is_refusal(text):
        reason = shortfall(text, request.question, request.evidence) if s.second_attempt else None
        if reason:
            attempts = 2
            text, retry_raw = _second_attempt(llm, request, text, reason)
            raw_text += f"\n\n{retry_raw}" if retry_raw else ""
        if not is_refusal(text):
            checked = check_answer(Draft(text, request.question, request.evidence), checks_named(s.answer_checks))
            text = checked.text
            notes = list(checked.notes)
    by_n = {n: p for n, p in enumerate(given, 1)}
    cited: list[Citation] = []
    for n in find_markers(text):
        if n in by_n and all(c.n != n for c in cited):
            cited.append(Citation.of(n, by_n[n]))
    if error:
        text = (
            text + "\n\n" if text else ""
        ) + f"The language model failed ({error}). The retrieved sources are below."
        cited += [Citation.of(n, p) for n, p in by_n.items() if all(c.n != n for c in cited)]
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


def _retrieve(query: str, k: int, split: bool, **filters: Any) -> list[Passage]:
    """The passages for ``query``; for a question that asks two things, the best of each part's, interleaved."""
    retriever = get_retriever()
    parts = question_parts(query) if split else [query]
    if len(parts) == 1:
        return retriever.retrieve(query, k, **filters)
    ranked = [retriever.retrieve(p, k, **filters) for p in parts]
    out: list[Passage] = []
    for group in itertools.zip_longest(*ranked):
        for p in group:
            if p is not None and all(p.chunk_id != o.chunk_id for o in out):
                out.append(p)
    return out[:k]


def _second_attempt(llm: LLM, request: LLMRequest, previous: str, reason: str) -> tuple[str, str]:
    """(answer, raw output) after one more attempt at an answer that fell short (see ``shortfall``).

    An answer that only repeats the question, or says nothing about what was
    asked about, states nothing the sources hold on it: if the retry falls
    short the same way, the reader gets the refusal. A role instead of a name
    is still an answer, so then the first one stands; so does a name for an
    office no source mentions, unless the model itself then refuses (the
    office may be a paraphrase). A backend error here is logged, not shown:
    the first call worked.
    """
    fallback = previous if reason in ("no name", "unnamed office") else REFUSAL
    try:
        topic = office(request.question) if reason == "unnamed office" else about(request.question)
        raw = "".join(llm.stream(second_look(request, reason, topic)))
    except RagError as exc:
        log.warning("second attempt failed: %s", exc)
        return fallback, ""
    text = repair(raw, request.valid_citations).strip()
    if not text:
        return fallback, raw
    if reason == "unnamed office":  # only the model's own refusal overrides the name it gave
        return (REFUSAL if is_refusal(text) else previous), raw
    if reason == "no name":
        return (previous if is_refusal(text) else text), raw
    return (REFUSAL if shortfall(text, request.question) == reason else text), raw


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
