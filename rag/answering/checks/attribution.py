"""Claims stay the claimant's: a sentence resting on reported speech names who says so.

The corpus is partisan news. Measured before this check (held-out questions, local 1.5B): 0 of 7 contested claims
were attributed ("Yes, the West is trying to use Ukraine against Belarus [1]" — Lukashenko's claim). The speaker of
each evidence sentence is worked out at index time (:mod:`rag.speakers`); here an answer sentence resting on one
that does not name the speaker is rewritten "According to <speaker> (<outlet>), …", and a bare yes or no to a
question about a reported claim never stands alone.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from rag.answering.checks.support import YES_NO, YES_NO_QUESTION, names, sentences, support, with_marker
from rag.config import CheckTuning
from rag.speakers import nlp
from rag.text.markers import strip_markers

if TYPE_CHECKING:
    from rag.answering.checks import Draft

#: the answer's own framing, which the claimant's name replaces
_SOURCES_SAY = re.compile(r"^\s*according to (?:the )?sources?\s*,?\s*", re.IGNORECASE)


def _lower_first(text: str) -> str:
    """Lower-case a sentence's first word for "According to X, …" unless it is a name or an acronym (spaCy)."""
    first = nlp()(text)[0] if text else None
    if first is None or not first.text[:1].isupper() or first.text == "I" or first.text.isupper():
        return text
    if first.pos_ == "PROPN" or first.ent_type_ or any(c.isupper() for c in first.text[1:]):  # "WeWork"
        return text
    return first.text[:1].lower() + text[1:]


class NameTheClaimant:
    name = "attribution"

    def __init__(self, tuning: CheckTuning | None = None) -> None:
        self.tuning = tuning or CheckTuning()

    def run(self, draft: Draft) -> Draft:
        yes_no = bool(YES_NO_QUESTION.match(draft.question))
        out: list[str] = []
        changed: list[str] = []
        for sentence in sentences(draft.text):
            body = strip_markers(sentence).strip()
            # "Yes [1]." holds no words of its own: for a yes/no question the question says what it rests on
            found = support(
                f"{sentence} {draft.question}" if yes_no else sentence,
                draft.evidence,
                self.tuning.min_overlap,
                self.tuning.min_cosine,
            )
            if found is None:
                out.append(sentence)
                continue
            st, e = found
            claimant = st.speaker or (e.outlet if yes_no else None)
            if claimant is None or names(claimant, body) or (e.publisher and e.publisher.lower() in body.lower()):
                out.append(sentence)
                continue
            rest = _SOURCES_SAY.sub("", YES_NO.sub("", body) if yes_no else body)
            if not re.search(r"\w{3,}", rest):  # a bare "Yes [1]": say what the source says, and whose it is
                rest = st.text.strip()
                if names(claimant, rest):
                    out.append(with_marker(sentence, rest))
                    changed.append(claimant)
                    continue
            # the outlet in brackets; a page without a publisher has only its title, which would read as noise
            who = claimant if claimant == e.outlet or not e.publisher else f"{claimant} ({e.publisher})"
            out.append(with_marker(sentence, f"According to {who}, {_lower_first(rest.rstrip('.'))}"))
            changed.append(claimant)
        if not changed:
            return draft
        return draft.noted(" ".join(out), f"{self.name}: attributed to {', '.join(dict.fromkeys(changed))}")
