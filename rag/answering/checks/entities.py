"""No invented entities: a sentence naming a person, organisation or place that no source given nor the question
names is dropped.

Measured before this check (held-out questions, local 1.5B): "The pilot killed … was 54-year-old John Smith [1]",
though no source names the pilot. Figures are checked by the grounding step; names are checked here, with spaCy's
named-entity recogniser over the answer.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from rag.answering.checks.support import sentences, statements, stems
from rag.speakers import nlp
from rag.text.markers import strip_markers

if TYPE_CHECKING:
    from rag.answering.checks import Draft

#: entity kinds that name someone or somewhere (numbers and dates are the grounding step's)
NAMED = frozenset({"PERSON", "ORG", "GPE", "LOC", "NORP", "FAC", "EVENT", "PRODUCT", "WORK_OF_ART", "LAW"})


def _invented_spans(text: str, known: set[str]) -> list[Any]:
    doc = nlp()(strip_markers(text))
    return [e for e in doc.ents if e.label_ in NAMED and stems(e.text) and not stems(e.text) & known]


def _invented(text: str, known: set[str]) -> list[str]:
    return [e.text for e in _invented_spans(text, known)]


def invented_names(text: str, known_text: str) -> list[str]:
    """Named entities in ``text`` (markers ignored) with no word in ``known_text``: what a reader cannot check."""
    return _invented(text, stems(known_text))


def _listed(entity: Any) -> bool:
    """Whether the entity is one item of a list ("Finland, Sweden and Norway"), not the sentence's subject or object."""
    root = entity.root
    return root.dep_ == "conj" or any(c.dep_ == "conj" for c in root.children)


def _without(sentence: str, entity: Any) -> str:
    """``sentence`` with ``entity`` cut out of its list, with its comma or "and"; unchanged when that cannot be done.

    Cutting the last item of a longer list moves its "and" to the new last item: "Finland and Sweden", not
    "Finland, Sweden".
    """
    n = re.escape(entity.text)
    m = re.search(rf",?\s+(and|or)\s+{n}\b", sentence)
    if m:
        head = sentence[: m.start()]
        if len(entity.root.conjuncts) >= 2 and ", " in head:
            head = f" {m.group(1)} ".join(head.rsplit(", ", 1))
        return head + sentence[m.end() :]
    for pattern in (rf",\s+{n}\b", rf"\b{n},\s+", rf"\b{n}\s+(?:and|or)\s+"):
        cut = re.sub(pattern, "", sentence, count=1)
        if cut != sentence:
            return cut
    return sentence


class NoInventedEntities:
    """A sentence naming someone or somewhere no source names is dropped; an invented item of a list is cut from it."""

    name = "entities"
    after: tuple[str, ...] = ()

    def run(self, draft: Draft) -> Draft:
        known = stems(f"{draft.question} {draft.context}")
        for e in draft.evidence:
            known |= stems(" ".join(x for x in (e.title, e.publisher, e.text) if x))
            known |= {w for st in statements(e) if st.speaker for w in stems(st.speaker)}
        kept: list[str] = []
        notes: list[str] = []
        for sentence in sentences(draft.text):
            invented = _invented_spans(sentence, known)
            if not invented:
                kept.append(sentence)
                continue
            cut = sentence
            for entity in invented:
                cut = _without(cut, entity) if _listed(entity) else cut
            if cut != sentence and not _invented(cut, known):
                kept.append(cut)
                notes.append(f"cut {', '.join(e.text for e in invented)} from a list")
            else:
                notes.append(f"dropped a sentence naming {', '.join(e.text for e in invented)}")
        if not notes:
            return draft
        return draft.noted(" ".join(kept), f"{self.name}: {'; '.join(notes)}")
