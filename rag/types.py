"""The core types and texts every layer shares; imports nothing from the rest of the package."""

from __future__ import annotations

from dataclasses import dataclass, field

#: what an answer says when the sources do not hold one (a full sentence: a bare "NOT FOUND" made small models refuse
#: answerable questions)
REFUSAL = "I cannot find this in the sources."


@dataclass(frozen=True)
class Statement:
    """One sentence of evidence and, when it reports speech or a claim, who says it."""

    text: str
    speaker: str | None = None
    denial: bool = False  # the speaker denies or rejects what the sentence reports


@dataclass(frozen=True)
class Evidence:
    """One numbered source as the model sees it (n is the citation number)."""

    n: int
    text: str
    title: str | None = None
    publisher: str | None = None
    date: str | None = None
    statements: tuple[Statement, ...] = ()  # the sentences of ``text``, with their speakers

    @property
    def outlet(self) -> str:
        return self.publisher or self.title or f"source {self.n}"


@dataclass(frozen=True)
class LLMRequest:
    """Everything a backend needs; system/user are ready-made prompt strings.

    ``question`` and ``evidence`` are kept separately so that backends that do
    not read prompts (the extractive one) or that constrain output (a grammar
    needs the valid citation numbers) can use them.
    """

    system: str
    user: str
    question: str
    evidence: list[Evidence] = field(default_factory=list)
    max_tokens: int = 160
    grammar: bool = False  # ask for grammar-constrained output where supported

    @property
    def valid_citations(self) -> set[int]:
        return {e.n for e in self.evidence}
