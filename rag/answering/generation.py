"""Generation: one model call streamed through the citation filter.

What the reader sees is only ever text the marker filter has let through, so a
half-written ``[1`` never flashes on screen; the raw output is kept for
evaluation and for the checks.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

from rag.llm import LLM
from rag.text.markers import MarkerStreamFilter
from rag.types import LLMRequest


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
