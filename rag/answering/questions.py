"""Question analysis: what kind of thing a question asks for, and the parts of one that asks two things.

"Who did Lavrov meet in Minsk and what did they sign?" mixes two searches: one
retrieval ranks passages for the blend of both and often finds only one article.
A question whose second clause starts with a question word or an auxiliary after
"and" is split there; the second part borrows the first part's words for context
(its "they" points back), as a follow-up borrows the earlier question's.
"""

from __future__ import annotations

import re

_SPLIT = re.compile(
    r"\s*[,;]?\s+and\s+(?=(?:what|who|whom|whose|when|where|which|why|how|did|does|do|is|are|was|were|has|have|"
    r"had|can|will|would)\b)",
    re.IGNORECASE,
)
MIN_PART_WORDS = 3

# What kind of thing a question asks for; the evidence builder and the checks read these, nothing else defines them.
# A follow-up often opens with a connective ("And who signed it?", "So is it legal?"): the kind follows it.
_OPENING = r"^\W*(?:(?:and|but|so|then|also|well|ok|okay)\b[\s,]*)?"
WHO_QUESTION = re.compile(_OPENING + r"(?:who|whom|whose)\b", re.IGNORECASE)
YES_NO_QUESTION = re.compile(
    _OPENING + r"(?:is|are|am|was|were|do|does|did|has|have|had|can|could|will|would|shall|should|may|might|must)"
    r"(?:n[’']?t)?\b",
    re.IGNORECASE,
)
QUANTITY_QUESTION = re.compile(_OPENING + r"how\s+(?:many|much|old)\b", re.IGNORECASE)
NAME_QUESTION = re.compile(
    r"\bnames?\s+of\b|\bwhat\s+(?:is|was|are|were)\s+(?:his|her|its|their)\s+names?\b", re.IGNORECASE
)


def question_parts(question: str) -> list[str]:
    """[question] for a simple question; [first part, second part (with the first for context)] for a double one."""
    pieces = _SPLIT.split(question.strip(), maxsplit=1)
    if len(pieces) != 2 or any(len(p.split()) < MIN_PART_WORDS for p in pieces):
        return [question]
    first, second = pieces[0].rstrip(" ,;?") + "?", pieces[1].strip()
    second = second[0].upper() + second[1:]
    return [first, f"{second.rstrip('?')}? ({first})"]
