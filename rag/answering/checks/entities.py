"""No invented entities: a sentence naming a person, organisation or place that no source given nor the question
names is dropped.

Measured before this check (held-out questions, local 1.5B): "The pilot killed … was 54-year-old John Smith [1]",
though no source names the pilot. Figures are checked by the grounding step; names are checked here, with spaCy's
named-entity recogniser over the answer.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rag.answering.checks.support import sentences, statements, stems
from rag.speakers import nlp
from rag.text.markers import strip_markers

if TYPE_CHECKING:
    from rag.answering.checks import Draft

#: entity kinds that name someone or somewhere (numbers and dates are the grounding step's)
NAMED = frozenset({"PERSON", "ORG", "GPE", "LOC", "NORP", "FAC", "EVENT", "PRODUCT", "WORK_OF_ART", "LAW"})


def _invented(text: str, known: set[str]) -> list[str]:
    doc = nlp()(strip_markers(text))
    return [e.text for e in doc.ents if e.label_ in NAMED and stems(e.text) and not stems(e.text) & known]


def invented_names(text: str, known_text: str) -> list[str]:
    """Named entities in ``text`` (markers ignored) with no word in ``known_text``: what a reader cannot check."""
    return _invented(text, stems(known_text))


class NoInventedEntities:
    name = "entities"

    def run(self, draft: Draft) -> Draft:
        known = stems(f"{draft.question} {draft.context}")
        for e in draft.evidence:
            known |= stems(" ".join(x for x in (e.title, e.publisher, e.text) if x))
            known |= {w for st in statements(e) if st.speaker for w in stems(st.speaker)}
        kept: list[str] = []
        dropped: list[str] = []
        for sentence in sentences(draft.text):
            invented = _invented(sentence, known)
            (dropped if invented else kept).append(sentence if not invented else ", ".join(invented))
        if not dropped:
            return draft
        return draft.noted(" ".join(kept), f"{self.name}: dropped a sentence naming {'; '.join(dropped)}")
