"""No invented entities: a sentence naming a person, organisation or place that no source given nor the question
names is dropped.

Measured before this check (held-out questions, local 1.5B): "The pilot killed … was 54-year-old John Smith [1]",
though no source names the pilot. Figures are checked by the grounding step; names are checked here, with spaCy's
named-entity recogniser over the answer.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from rag.answering.checks.support import sentences, statements
from rag.speakers import nlp
from rag.text.markers import strip_markers

if TYPE_CHECKING:
    from rag.answering.checks import Draft

#: entity kinds that name someone or somewhere (numbers and dates are the grounding step's)
NAMED = frozenset({"PERSON", "ORG", "GPE", "LOC", "NORP", "FAC", "EVENT", "PRODUCT", "WORK_OF_ART", "LAW"})
_WORD = re.compile(r"[^\W\d_]{3,}")


def _stems(text: str) -> set[str]:
    return {w.lower()[:5] for w in _WORD.findall(text)}


def invented_names(text: str, known_text: str) -> list[str]:
    """Named entities in ``text`` (markers ignored) with no word in ``known_text``: what a reader cannot check."""
    known = _stems(known_text)
    doc = nlp()(strip_markers(text))
    return [e.text for e in doc.ents if e.label_ in NAMED and _stems(e.text) and not _stems(e.text) & known]


class NoInventedEntities:
    name = "entities"

    def run(self, draft: Draft) -> Draft:
        known = _stems(f"{draft.question} {draft.context}")
        for e in draft.evidence:
            known |= _stems(" ".join(x for x in (e.title, e.publisher, e.text) if x))
            known |= {w for st in statements(e) if st.speaker for w in _stems(st.speaker)}
        kept: list[str] = []
        dropped: list[str] = []
        for sentence in sentences(draft.text):
            doc = nlp()(strip_markers(sentence))
            invented = [
                ent.text
                for ent in doc.ents
                if ent.label_ in NAMED and _stems(ent.text) and not _stems(ent.text) & known
            ]
            (dropped if invented else kept).append(sentence if not invented else ", ".join(invented))
        if not dropped:
            return draft
        return draft.noted(" ".join(kept), f"{self.name}: dropped a sentence naming {'; '.join(dropped)}")
