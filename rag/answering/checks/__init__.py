"""Checks on a generated answer, run in order after generation: each one detects a kind of failure and repairs it.

A small model's answer is a draft. The checks hold it to the promise: every
sentence cited to a source that holds it, no person, place or figure the
sources do not name, the kind of thing asked for (a name, a number), a denial
never turned into an assertion, and a claim reported by someone always said to
be theirs. Adding a check is one module
with a class that has a ``name`` and ``run(draft) -> draft``, one line in
:data:`DEFAULT_CHECKS` and one test table.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Protocol

from rag.answering.checks.attribution import NameTheClaimant
from rag.answering.checks.entities import NoInventedEntities
from rag.answering.checks.kind import GivesWhatWasAsked
from rag.answering.checks.negation import KeepDenials
from rag.answering.checks.relevance import AddressesTheQuestion
from rag.answering.grounding import ground
from rag.config import CheckTuning
from rag.errors import InputError
from rag.types import REFUSAL, Evidence


@dataclass(frozen=True)
class Draft:
    """An answer on its way to the reader, with what the checks did to it."""

    text: str
    question: str
    evidence: Sequence[Evidence]
    context: str = ""  # the earlier exchange of a follow-up, which the model was shown too
    notes: tuple[str, ...] = field(default=())  # "check-name: what it did", for logs and the evaluation

    def noted(self, text: str, note: str) -> Draft:
        return replace(self, text=text, notes=(*self.notes, note))


class AnswerCheck(Protocol):
    name: str
    after: tuple[str, ...]  # checks that must run before this one when both run (declared by the check itself)

    def run(self, draft: Draft) -> Draft:
        """The draft, repaired where this check finds a failure ("" text: nothing survives)."""
        ...


class GroundCitations:
    """Each sentence cited by the source that holds its words; figures no source gives are dropped."""

    name = "grounding"
    after: tuple[str, ...] = ("negation",)  # it would drop "Yes, <what a source denies>" and leave a refusal

    def __init__(self, tuning: CheckTuning | None = None) -> None:
        self.tuning = tuning or CheckTuning()

    def run(self, draft: Draft) -> Draft:
        text = ground(draft.text, draft.question, draft.evidence, self.tuning)
        return draft if text == draft.text else draft.noted(text, f"{self.name}: re-cited or dropped sentences")


def all_checks(tuning: CheckTuning | None = None) -> tuple[AnswerCheck, ...]:
    """Every check, in the default order, with the thresholds in ``tuning`` (default: CheckTuning's defaults)."""
    return (
        KeepDenials(tuning),
        GroundCitations(tuning),
        NoInventedEntities(),
        GivesWhatWasAsked(),
        NameTheClaimant(tuning),
        AddressesTheQuestion(),
    )


DEFAULT_CHECKS: tuple[AnswerCheck, ...] = all_checks()


def checks_named(names: str, tuning: CheckTuning | None = None) -> tuple[AnswerCheck, ...]:
    """The checks listed in ``names`` ("grounding,entities,…"), in the order given; unknown names are an error.

    ``tuning`` is passed to the checks that have thresholds (the pipeline gives ``settings.checks``).
    """
    known = {c.name: c for c in all_checks(tuning)}
    wanted = [n.strip() for n in names.split(",") if n.strip()]
    unknown = [n for n in wanted if n not in known]
    if unknown:
        raise InputError(f"unknown answer check {', '.join(unknown)}; known: {', '.join(known)}")
    for i, n in enumerate(wanted):
        late = [dep for dep in known[n].after if dep in wanted[i + 1 :]]
        if late:
            raise InputError(f"answer check {n} must come after {', '.join(late)} (RAG_ANSWER_CHECKS order)")
    return tuple(known[n] for n in wanted)


def check_answer(draft: Draft, checks: Sequence[AnswerCheck] = DEFAULT_CHECKS) -> Draft:
    """Run ``checks`` in order; an answer left with nothing becomes the refusal."""
    for check in checks:
        draft = check.run(draft)
        if not draft.text.strip():
            return draft.noted(REFUSAL, f"{check.name}: nothing left")
        if draft.text == REFUSAL:  # a check refused: nothing is left for the others to check
            return draft
    return draft


__all__ = [
    "DEFAULT_CHECKS",
    "AnswerCheck",
    "Draft",
    "GroundCitations",
    "all_checks",
    "check_answer",
    "checks_named",
]
