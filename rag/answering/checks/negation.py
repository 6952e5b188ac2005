"""Denials stay denials: an answer never asserts what its source negates or someone denies.

Measured before this check (held-out questions, local 1.5B): "Yes, Russia is holding secret talks with the West
about Ukraine, according to Lavrov [1]", where the source quotes Lavrov: "We are not conducting any undercover
negotiations with anyone." Two repairs, both keyed to *what* is negated (spaCy's parse), not to a negative word
anywhere in the source — "he never used the term 'three amigos'" does not contradict "the nickname was 'three
amigos'", and quoting it instead lost a right answer:

* a sentence asserting the very predicate its source negates ("…used…" against "…never used…") is replaced by
  the source's own words, quoted;
* a yes/no question answered without a negation, where the evidence negates or denies the thing asked about, gets
  that denial quoted after the answer, and its bare "Yes" goes.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import numpy as np
from spacy.lang.en.stop_words import STOP_WORDS

from rag.answering.checks.support import (
    YES_NO,
    negated,
    sentences,
    statements,
    stems,
    support,
    with_marker,
)
from rag.answering.questions import YES_NO_QUESTION
from rag.config import CheckTuning
from rag.embedding import get_embedder
from rag.speakers import nlp
from rag.text.lexicon import DENYING, NEGATIVE_WORDS, claimant
from rag.text.markers import strip_markers
from rag.text.terms import tokenize
from rag.types import Evidence, Statement

if TYPE_CHECKING:
    from rag.answering.checks import Draft

#: verbs too common to show that an answer asserts the same thing as a negated source ("was", "had")
_LIGHT = frozenset("be have do get make go take say".split())
#: negative words that are not parsed as ``neg`` ("no knowledge", "nothing to do with it")
_LEFT_OUT = ("conj", "cc", "punct", "advcl", "mark")


@dataclass(frozen=True)
class Negation:
    """One thing a sentence negates or denies."""

    head: str  # stem of the negated predicate ("used" in "never used the term"); "" for a light verb or a noun
    clause: str  # the negated clause's words, subject included: what a question about it would ask
    scope: frozenset[str]  # stems of the clause's words without its subject


def _terms(text: str) -> frozenset[str]:
    """Stemmed content words (the retrieval's analysis: "brutal" meets "brutality"; spaCy's stop words, "did", out)."""
    return frozenset(tokenize([" ".join(w for w in re.findall(r"\w+", text) if w.lower() not in STOP_WORDS)])[0])


def _content(tokens: Sequence[Any]) -> frozenset[str]:
    return _terms(" ".join(t.text for t in tokens if t.dep_ != "neg"))


def _shares(words: frozenset[str], other: frozenset[str], share: float) -> int:
    """How many words two texts share, when that is at least two and ``share`` of the shorter's; else 0."""
    shared = len(words & other)
    return shared if shared >= max(2, share * min(len(words), len(other))) else 0


def _clause(pred: Any) -> list[Any]:
    """``pred`` and what depends on it, without coordinated clauses ("…, but he remembers …")."""
    out = [pred]
    for child in pred.children:
        if child.dep_ not in _LEFT_OUT:
            out += list(child.subtree)
    return sorted(out, key=lambda t: t.i)


def _negation(pred: Any) -> Negation:
    tokens = _clause(pred)
    subject = {t.i for c in pred.children if c.dep_ in ("nsubj", "nsubjpass") for t in c.subtree}
    light = pred.lemma_.lower() in _LIGHT or pred.pos_ not in ("VERB", "ADJ")
    # the predicate's own stem, even where it is a stop word to spaCy ("used", "made"): it is what is negated
    head = "" if light else next(iter(tokenize([pred.text])[0]), "")
    return Negation(
        head=head,
        clause=" ".join(t.text for t in tokens),
        scope=_content([t for t in tokens if t.i not in subject]),
    )


@lru_cache(maxsize=2048)
def negations(text: str) -> tuple[Negation, ...]:
    """What ``text`` negates ("…are not conducting…", "no linkage") or denies ("denied that he formed…")."""
    out: list[Negation] = []
    for tok in nlp()(text):
        if tok.dep_ == "neg" or (tok.lower_ in NEGATIVE_WORDS and tok.dep_ in ("det", "advmod", "nsubj", "dobj")):
            pred = tok.head
            content = [c for c in pred.children if c.dep_ in ("acomp", "attr")]
            out.append(_negation(content[0] if pred.pos_ == "AUX" and content else pred))
        elif tok.lemma_.lower() in DENYING and tok.pos_ == "VERB":
            said = [c for c in tok.children if c.dep_ in ("ccomp", "xcomp", "pcomp")]
            if said:  # "denied that he formed a channel": the denied clause, with its own verb
                out.append(_negation(said[0]))
            else:  # "police deny accusations of brutality": nothing to match but the words
                out.append(Negation("", " ".join(t.text for t in _clause(tok)), _content(_clause(tok))))
    return tuple(out)


def _contradicts(sentence: str, statement: str) -> bool:
    """Whether ``sentence`` (no negation of its own) asserts something ``statement`` negates or denies."""
    said = _terms(strip_markers(sentence))
    predicates = set(tokenize([strip_markers(sentence)])[0])  # stop words to spaCy ("used") kept
    for n in negations(statement):
        if n.head and n.head in predicates:
            return True
        if not n.head and len(n.scope & said) >= max(2, len(n.scope) / 2):
            return True
    return False


def _quote(st: Statement, e: Evidence) -> str:
    """The statement in its own words, with whose words they are: the speaker unless it names one itself."""
    publisher = e.publisher or e.outlet
    who = claimant(st, publisher)
    if who == publisher or set(stems(who)) <= set(stems(st.text)):
        return f"{publisher} reports: “{st.text.strip()}”"
    return f"{who[:1].upper()}{who[1:]} ({publisher}) says: “{st.text.strip()}”"


class KeepDenials:
    name = "negation"
    after: tuple[str, ...] = ()

    def __init__(self, tuning: CheckTuning | None = None) -> None:
        self.tuning = tuning or CheckTuning()

    def run(self, draft: Draft) -> Draft:
        denial = self._denial_of_the_question(draft)
        out: list[str] = []
        quoted = False
        for sentence in sentences(draft.text):
            found = None if negated(sentence) else support(sentence, draft.evidence, *self._thresholds)
            if found is not None and _contradicts(sentence, found[0].text):
                out.append(with_marker(sentence, _quote(*found)))
            elif denial is not None and self._asserts(sentence, found, denial):  # (a denial means no sentence negates)
                out.append(with_marker(sentence, _quote(denial[0], denial[1])))  # it asserts what is denied
            else:
                out.append(sentence)
                continue
            quoted = True
        if denial is not None and not quoted:  # the answer rests elsewhere: the denial goes after it, no bare "Yes"
            out = [YES_NO.sub("", out[0]), *out[1:]] if out else []
            out = [s[:1].upper() + s[1:] for s in out if re.search(r"\w", strip_markers(s))]
            out.append(f"{_quote(denial[0], denial[1])} [{denial[1].n}].")
            quoted = True
        if not quoted:
            return draft
        text = " ".join(dict.fromkeys(out))  # one quotation stands for every sentence it replaced
        return draft.noted(text, f"{self.name}: the answer asserted what a source negates; quoted it")

    def _asserts(
        self,
        sentence: str,
        found: tuple[Statement, Evidence] | None,
        denial: tuple[Statement, Evidence, frozenset[str]],
    ) -> bool:
        """Whether ``sentence`` rests on the denial's statement or says what its clause denies."""
        on_it = found is not None and found[0] == denial[0]
        return on_it or bool(_shares(_terms(sentence), denial[2], self.tuning.denial_overlap))

    @property
    def _thresholds(self) -> tuple[float, float]:
        return self.tuning.min_overlap, self.tuning.min_cosine

    def _denial_of_the_question(self, draft: Draft) -> tuple[Statement, Evidence, frozenset[str]] | None:
        """For a yes/no question answered without a negation: the statement negating what it asks, and its words."""
        if not YES_NO_QUESTION.match(draft.question) or negated(strip_markers(draft.text)):
            return None
        asked = _terms(draft.question)
        found = [
            (_shares(_terms(n.clause), asked, self.tuning.denial_overlap), st, e, n.clause)
            for e in draft.evidence
            for st in statements(e)
            if negated(st.text)
            for n in negations(st.text)
        ]
        if not found:
            return None
        best = max(found, key=lambda f: f[0])
        if not best[0]:  # no clause shares the words: one that means the same ("undercover talks": "secretly")
            vectors = get_embedder().embed([draft.question, *(clause for *_, clause in found)])
            cosine = vectors[1:] @ vectors[0]
            i = int(np.argmax(cosine))
            if cosine[i] < self.tuning.min_cosine:
                return None
            best = found[i]
        return best[1], best[2], _terms(best[3])
