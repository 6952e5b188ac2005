"""The answer path, as named steps: question (+ history) → cited answer.

* :mod:`~rag.answering.followup` — a standalone query for a follow-up, and a note of the earlier exchange
* :mod:`~rag.answering.questions` and :mod:`~rag.answering.passages` — retrieval for the answer (a double
  question per part) and the abstain gate
* :mod:`~rag.answering.evidence` — the most relevant sentences, fenced and numbered, in the prompt
* :mod:`~rag.answering.generation` — the model's answer streamed through the citation filter
* :mod:`~rag.answering.grounding` and :mod:`~rag.answering.checks` — the answer held to the evidence
* :mod:`~rag.answering.citing` — the citations the final answer carries
* :mod:`~rag.answering.pipeline` — the steps in order: :func:`answer_stream` and :func:`answer`
"""

from __future__ import annotations

from rag.answering.followup import resolve_query
from rag.answering.pipeline import answer, answer_stream, evidence_only, warm_up

__all__ = ["answer", "answer_stream", "evidence_only", "resolve_query", "warm_up"]
