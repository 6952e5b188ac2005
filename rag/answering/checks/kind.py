"""An answer gives the kind of thing asked for: a name when a name is asked.

When the sources do not hold what is asked, a small model answers with what they do hold: "The name of the
ferry's captain … is the 48-year-old sailor [3]". Each sentence of that is supported, so the support checks pass
it; only the kind of answer shows it is no answer. (A "how many" answer without a figure any source gives is
the grounding step's: it refuses it.) Questions of the other kinds (who, what, why) can be answered in too
many ways to check this way.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rag.answering.checks.entities import NAMED
from rag.answering.checks.support import stems
from rag.answering.questions import NAME_QUESTION
from rag.query import clause_parts
from rag.speakers import nlp
from rag.text.markers import strip_markers
from rag.types import REFUSAL

if TYPE_CHECKING:
    from rag.answering.checks import Draft


class GivesWhatWasAsked:
    name = "kind"
    after: tuple[str, ...] = ()

    def run(self, draft: Draft) -> Draft:
        if len(clause_parts(draft.question)) > 1:  # each part asks its own kind of thing
            return draft
        answer = strip_markers(draft.text)
        if NAME_QUESTION.search(draft.question):
            asked = stems(draft.question)
            names = [e for e in nlp()(answer).ents if e.label_ in NAMED and stems(e.text) - asked]
            if not names:
                return draft.noted(REFUSAL, f"{self.name}: a name was asked for and the answer gives none")
        return draft
