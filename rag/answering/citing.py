"""Citing: the passages an answer's markers name, and, when the model failed, every passage it was given."""

from __future__ import annotations

from rag.text.markers import find_markers
from rag.types import Citation, Passage


def cite(text: str, given: list[Passage], error: str | None) -> tuple[str, list[Citation]]:
    """(text, citations): one citation per marker number that names a given passage, in order of first mention.

    With ``error`` (the model failed) the text says so and every given passage
    is cited, so the reader still gets the sources.
    """
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
    return text, cited
