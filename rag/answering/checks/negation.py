"""Denials stay denials: a sentence that asserts what its source denies is replaced by the source's own words.

Measured before this check (held-out questions, local 1.5B): "Yes, Russia is holding secret talks with the West
about Ukraine, according to Lavrov [1]", where the source quotes Lavrov: "We are not conducting any undercover
negotiations with anyone." A quotation of the statement the sentence rests on is always supported.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rag.answering.checks.support import negated, sentences, support, with_marker
from rag.config import CheckTuning

if TYPE_CHECKING:
    from rag.answering.checks import Draft


class KeepDenials:
    name = "negation"

    def __init__(self, tuning: CheckTuning | None = None) -> None:
        self.tuning = tuning or CheckTuning()

    def run(self, draft: Draft) -> Draft:
        out: list[str] = []
        changed = False
        for sentence in sentences(draft.text):
            found = support(sentence, draft.evidence, self.tuning.min_overlap, self.tuning.min_cosine)
            if found is not None:
                st, e = found
                if (st.denial or negated(st.text)) and not negated(sentence):
                    who = st.speaker or e.outlet
                    outlet = f" ({e.publisher})" if e.publisher and who != e.publisher else ""
                    out.append(with_marker(sentence, f"{who}{outlet} says: “{st.text.strip()}”"))
                    changed = True
                    continue
            out.append(sentence)
        if not changed:
            return draft
        return draft.noted(" ".join(out), f"{self.name}: a sentence dropped its source's negation; quoted instead")
