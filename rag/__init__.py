"""Retrieval-augmented Q&A over news articles, with citations you can check.

Public API: :func:`retrieve` (passages with sources) and :func:`answer` /
:func:`answer_stream` (a cited answer from the configured LLM backend).
"""

from __future__ import annotations

from rag.retrieval import Passage, retrieve

__all__ = ["Passage", "retrieve"]

try:  # imported eagerly so that the name `answer` is the function, not the submodule
    from rag.answer import Answer, answer, answer_stream

    __all__ += ["Answer", "answer", "answer_stream"]
except ImportError:  # pragma: no cover - while the answer layer is being built
    pass
