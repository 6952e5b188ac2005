"""What the checks share: an answer's sentences, the evidence statement each one rests on, and negation cues."""

from __future__ import annotations

import re
from collections.abc import Sequence

from rag.text.markers import find_markers, strip_markers
from rag.text.sentences import split_answer, split_sentences
from rag.text.terms import tokenize
from rag.types import Evidence, Statement

_NEGATION = re.compile(
    r"\b(?:not|no|never|none|nobody|nothing|neither|nor|without|den(?:y|ies|ied|ying)|reject(?:s|ed|ing)?|"
    r"refut(?:e|es|ed|ing)|dismiss(?:es|ed|ing)?)\b|n[’']t\b",
    re.IGNORECASE,
)


def negated(text: str) -> bool:
    return bool(_NEGATION.search(text))


def sentences(text: str) -> list[str]:
    """The answer's sentences in order (markers kept with the sentence they end)."""
    return [s for line in split_answer(text) for s in line]


def statements(e: Evidence) -> tuple[Statement, ...]:
    """The evidence's statements; built from its text (sentences joined by " … ") when it came without them."""
    if e.statements:
        return e.statements
    return tuple(Statement(s) for part in e.text.split(" … ") for s in split_sentences(part))


def support(sentence: str, evidence: Sequence[Evidence], min_overlap: float) -> tuple[Statement, Evidence] | None:
    """The evidence statement ``sentence`` rests on: the best term overlap, among its cited sources first.

    A statement must hold ``min_overlap`` of the sentence's terms (:attr:`rag.config.CheckTuning.min_overlap`).
    """
    terms = set(tokenize([strip_markers(sentence)])[0])
    if not terms:
        return None
    cited = set(find_markers(sentence))  # markers after the probe text (a question appended) still count
    pools = [[e for e in evidence if e.n in cited], list(evidence)] if cited else [list(evidence)]
    for pool in pools:
        best: tuple[float, Statement, Evidence] | None = None
        for e in pool:
            sts = statements(e)
            for st, st_terms in zip(sts, tokenize([st.text for st in sts]), strict=True):
                score = len(terms & set(st_terms)) / len(terms)
                if score >= min_overlap and (best is None or score > best[0]):
                    best = (score, st, e)
        if best is not None:
            return best[1], best[2]
    return None


def names(person: str, text: str) -> bool:
    """Whether ``text`` mentions ``person`` (any word of the name of 3+ letters; "Sergey"/"Sergei" alike)."""
    words = {w.lower()[:5] for w in re.findall(r"[^\W\d_]{3,}", text)}
    return any(w.lower()[:5] in words for w in re.findall(r"[^\W\d_]{3,}", person))


def with_marker(sentence: str, body: str) -> str:
    """``body`` ending with the markers ``sentence`` had."""
    markers = re.findall(r"\[[\d,;\s\-–]+\]", sentence)
    body = body.rstrip()
    end = "." if not body.endswith((".", "!", "?", '"', "”")) else ""
    if not markers:
        return body + end
    return f"{body.rstrip('.')} {' '.join(dict.fromkeys(markers))}."
