"""Claims stay the claimant's: a sentence resting on reported speech names who says so.

The corpus is partisan news. Measured before this check (held-out questions, local 1.5B): 0 of 7 contested claims
were attributed ("Yes, the West is trying to use Ukraine against Belarus [1]" — Lukashenko's claim). The speaker of
each evidence sentence is worked out at index time (:mod:`rag.speakers`); here an answer sentence resting on one
that does not name the speaker is rewritten "According to <speaker> (<outlet>), …", and a bare yes or no to a
question about a reported claim never stands alone.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from rag.answering.checks.support import (
    YES_NO,
    names,
    sentences,
    statements,
    support,
    with_marker,
)
from rag.answering.questions import YES_NO_QUESTION
from rag.config import CheckTuning
from rag.speakers import nlp
from rag.text.lexicon import STANCE, claimant
from rag.text.markers import find_markers, strip_markers
from rag.text.terms import bm25, lexical_terms
from rag.types import Evidence, Statement

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
    after: tuple[str, ...] = ("negation",)  # it reads the wording the negation check gives a denial

    def __init__(self, tuning: CheckTuning | None = None) -> None:
        self.tuning = tuning or CheckTuning()

    def run(self, draft: Draft) -> Draft:
        yes_no = bool(YES_NO_QUESTION.match(draft.question))
        claimed = self._claimed(draft.question, draft.evidence) if yes_no else None  # one per question, not sentence
        out: list[str] = []
        changed: list[str] = []
        for sentence in sentences(draft.text):
            body = strip_markers(sentence).strip()
            # "Yes [1]." holds no words of its own: for a yes/no question the question says what it rests on
            probe = f"{sentence} {draft.question}" if yes_no else sentence
            restates = yes_no and _restates(body, draft.question, self.tuning.min_overlap)
            found = (claimed if restates else None) or support(
                probe, draft.evidence, self.tuning.min_overlap, self.tuning.min_cosine
            )
            if found is None:
                out.append(sentence)
                continue
            st, e = found
            who_claims = claimant(st, e.outlet) if (st.speaker or yes_no) else None
            if who_claims is None or _attributed(body, who_claims, e.publisher, strict=yes_no):
                out.append(sentence)
                continue
            if e.n not in find_markers(sentence):  # the claimant's words are in another source: cite it too
                sentence = f"{sentence.rstrip()} [{e.n}]"
            rest = _SOURCES_SAY.sub("", YES_NO.sub("", body) if yes_no else body)
            if not re.search(r"\w{3,}", rest):  # a bare "Yes [1]": say what the source says, and whose it is
                rest = st.text.strip()
                if names(who_claims, rest):
                    out.append(with_marker(sentence, rest))
                    changed.append(who_claims)
                    continue
            # the outlet in brackets; a page without a publisher has only its title, which would read as noise
            who = who_claims if who_claims == e.outlet or not e.publisher else f"{who_claims} ({e.publisher})"
            out.append(with_marker(sentence, f"According to {who}, {_lower_first(rest.rstrip('.'))}"))
            changed.append(who_claims)
        if not changed:
            return draft
        return draft.noted(" ".join(out), f"{self.name}: attributed to {', '.join(dict.fromkeys(changed))}")

    def _claimed(self, question: str, evidence: Sequence[Evidence]) -> tuple[Statement, Evidence] | None:
        """Whose claim a yes/no question asks about: the statement with a speaker that best holds it, in any source.

        Ranked by BM25 over the evidence's statements, so that the claim's own rare words ("debunked", "mislead")
        count and the topic's names, in every statement, do not. A speaker's statement wins when it scores at least
        ``claimant_share`` (:class:`rag.config.CheckTuning`) of the best statement: a sentence that only reports the
        claim ("X was accused of …") names nobody.
        """
        pairs = [(st, e) for e in evidence for st in statements(e)]
        if not pairs:
            return None
        scores = bm25(lexical_terms([question])[0], lexical_terms([st.text for st, _ in pairs]))
        spoken = [i for i, (st, _) in enumerate(pairs) if st.speaker]
        if not spoken or scores.max() <= 0:
            return None
        best = max(spoken, key=lambda i: scores[i])
        return pairs[best] if scores[best] >= self.tuning.claimant_share * scores.max() else None


def _restates(body: str, question: str, min_overlap: float) -> bool:
    """Whether an answer sentence says what a yes/no question asks (or only "Yes"), rather than something beside it."""
    said = set(lexical_terms([YES_NO.sub("", body)])[0])
    return not said or len(said & set(lexical_terms([question])[0])) >= min_overlap * len(said)


def _attributed(body: str, claimant: str, publisher: str | None, strict: bool) -> bool:
    """Whether the sentence already says whose claim it is: the claimant is who acts or speaks in it, or the outlet
    is named.

    A mere mention is not enough: "the allegation against Trump" does not make Trump the claimant, nor does
    "Braun bullied Taylor Swift" make it Swift's word; "Trump said", "according to Trump", "Trump's claim" do.
    ``strict`` (an answer to a yes/no question, which asserts the claim) wants the claimant to say or think it:
    "the Taliban shot it down" is the Taliban's claim told as fact, "the Taliban say they shot it down" is not.
    """
    if publisher and publisher.lower() in body.lower():
        return True
    for tok in nlp()(body):
        if not (tok.is_alpha and names(claimant, tok.text)):
            continue
        head = tok
        while head.dep_ in ("compound", "flat", "appos", "conj", "amod") and head.head is not head:
            head = head.head  # "Taylor" → "Swift"; "Lavrov and Aleinik" → "Lavrov"
        if head.dep_ in ("attr", "poss", "ROOT"):  # "… is Sanborn", "Lavrov's claim", a bare name
            return True
        if head.dep_ in ("nsubj", "nsubjpass") and (not strict or head.head.lemma_.lower() in STANCE):
            return True
        if head.dep_ == "pobj" and (head.head.dep_ == "agent" or _according_to(head.head)):
            return True
    return False


def _according_to(prep: Any) -> bool:
    return prep.lower_ == "to" and prep.head.lower_ == "according"
