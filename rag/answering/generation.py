"""Generation: one model call streamed through the citation filter, and the second look at an answer that fell short.

What the reader sees is only ever text the marker filter has let through, so a
half-written ``[1`` never flashes on screen; the raw output is kept for
evaluation and for the checks.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator

from rag.answering.evidence import is_refusal, second_look
from rag.answering.grounding import about, office, shortfall
from rag.errors import RagError
from rag.llm import LLM
from rag.text.markers import MarkerStreamFilter, repair
from rag.types import REFUSAL, LLMRequest

log = logging.getLogger(__name__)


class Generation:
    """Streams ``llm``'s answer to ``request`` as deltas safe to show; keeps the raw text and the time to first text."""

    def __init__(self, llm: LLM, request: LLMRequest, started: float) -> None:
        self.llm = llm
        self.request = request
        self.started = started
        self.raw: list[str] = []
        self.ttft: float | None = None

    def stream(self) -> Iterator[str]:
        filt = MarkerStreamFilter(self.request.valid_citations)
        for delta in self.llm.stream(self.request):
            self.raw.append(delta)
            shown = filt.feed(delta)
            if shown:
                if self.ttft is None:
                    self.ttft = time.perf_counter() - self.started
                yield shown
        tail = filt.flush()
        if tail:
            yield tail

    @property
    def raw_text(self) -> str:
        return "".join(self.raw)


def second_attempt(llm: LLM, request: LLMRequest, previous: str, reason: str) -> tuple[str, str]:
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
