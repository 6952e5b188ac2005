"""Question analysis: what kind of thing a question asks for (a double question's parts are rag.query's)."""

from __future__ import annotations

import re

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
