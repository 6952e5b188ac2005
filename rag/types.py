"""The core types and texts every layer shares; imports nothing from the rest of the package."""

from __future__ import annotations

#: what an answer says when the sources do not hold one (a full sentence: a bare "NOT FOUND" made small models refuse
#: answerable questions)
REFUSAL = "I cannot find this in the sources."
