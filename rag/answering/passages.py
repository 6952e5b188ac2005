"""How many passages an answer retrieves, and whether they are close enough to answer from."""

from __future__ import annotations

from rag.types import Passage

#: passages retrieved when k is left to the prompt budget
MAX_PASSAGES = 8


def below_gate(passages: list[Passage], min_similarity: float) -> bool:
    """The abstain gate: no passage, or none close enough to the query to answer from (``abstain_similarity``)."""
    return not passages or passages[0].similarity < min_similarity
