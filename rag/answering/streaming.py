"""The model's answer on screen: one model call per request, each checked, joined into one answer never taken back.

A question that asks two things is answered part by part (one short request per
part, :func:`rag.answering.pipeline.choose_evidence`): asked both at once, the
local 1.5B model mostly answered one part, or both from one article. Each part's
answer streams through its own :class:`CheckedRelease` (the checks hold it to
that part's own evidence) and is appended to what is already shown, so every
state of the stream is still a prefix of the final answer. A part the sources do
not answer is not shown as the refusal in the middle of the answer: once every
part has run, the answer says which part was not found, or, when none was, it is
the refusal.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence

from rag.answering.evidence import is_refusal
from rag.answering.generation import Generation
from rag.answering.release import CheckedRelease, CheckFn
from rag.errors import RagError
from rag.llm import LLM
from rag.types import REFUSAL, LLMRequest

_ORDINALS = ("first", "second", "third", "fourth")


def not_found(parts: Sequence[int]) -> str:
    """The sentence that says which parts (0-based) of the question the sources do not answer."""
    names = [_ORDINALS[i] if i < len(_ORDINALS) else f"number {i + 1}" for i in parts]
    which = " and ".join(names) + (" parts" if len(names) > 1 else " part")
    return f"I cannot find the answer to the {which} of the question in the sources."


class AnswerStream:
    """Streams the checked answers to ``requests`` one after another; keeps what the answer record needs."""

    def __init__(
        self, llm: LLM, requests: Sequence[LLMRequest], check_for: Callable[[LLMRequest], CheckFn], started: float
    ) -> None:
        self.llm = llm
        self.started = started  # perf_counter() when the question came in: the times below count from it
        self.requests = list(requests)
        self.check_for = check_for
        self.shown = ""  # everything released: the final answer starts with it
        self.notes: list[str] = []
        self.raw: list[str] = []  # each call's raw output
        self.first_shown: float | None = None  # seconds from the start to the first released text
        self.model_ttft: float | None = None  # seconds to the model's first token
        self.error: str | None = None
        self.calls = 0
        self.unanswered: list[int] = []  # parts (0-based) the sources did not answer

    def stream(self) -> Iterator[str]:
        """Released text, in order; stops at the first model failure (``error`` then says what)."""
        unanswered = self.unanswered
        for i, request in enumerate(self.requests):
            release = CheckedRelease(self.check_for(request))
            generation = Generation(self.llm, request, self.started)
            self.calls += 1
            gap = " " if self.shown else ""  # between one part's answer and the next, sent with the next's first text
            try:
                for delta in generation.stream():
                    if out := release.feed(delta):
                        yield self._show(gap + out)
                        gap = ""
                out = release.finish()
            except RagError as exc:  # what was checked stays; the caller says the model failed
                self.error = str(exc)
                out = release.finish(complete=False)
            finally:
                self.raw.append(generation.raw_text)
                self.notes += release.notes
                if self.model_ttft is None:
                    self.model_ttft = generation.ttft
            if len(self.requests) > 1 and release.shown == REFUSAL:
                unanswered.append(i)  # said once, after the parts that are answered
            elif out:
                yield self._show(gap + out)
            if self.error is not None:
                break
        if unanswered and self.error is None and not self.shown:
            yield self._show(REFUSAL)
        elif unanswered:
            yield self._show((" " if self.shown else "") + not_found(unanswered))

    @property
    def refused(self) -> bool:
        """Whether the answer is the refusal: every part unanswered, or one request's answer a refusal."""
        if len(self.requests) > 1:
            return self.error is None and len(self.unanswered) == len(self.requests)
        return is_refusal(self.shown)

    def _show(self, text: str) -> str:
        if self.first_shown is None and text.strip():
            self.first_shown = time.perf_counter() - self.started
        self.shown += text
        return text

    @property
    def raw_text(self) -> str:
        return "\n".join(self.raw)
