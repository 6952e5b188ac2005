"""Retrieval for an answer: the passages for the resolved query, a question that asks two things retrieved per part."""

from __future__ import annotations

import itertools
from typing import Any

from rag.answering.questions import question_parts
from rag.retrieval import get_retriever
from rag.types import Passage

#: passages retrieved when k is left to the prompt budget
MAX_PASSAGES = 8


def below_gate(passages: list[Passage], min_similarity: float) -> bool:
    """The abstain gate: no passage, or none close enough to the query to answer from (``abstain_similarity``)."""
    return not passages or passages[0].similarity < min_similarity


def passages_for(query: str, k: int, split: bool, **filters: Any) -> list[Passage]:
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
