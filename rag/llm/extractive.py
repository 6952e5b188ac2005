"""No-LLM backend: quote the best supporting evidence sentences, cited.

Useful where no model can run (and as a floor to compare models against):
it cannot paraphrase or reason, but it never invents. Sentences are scored
by BM25 against the question over the evidence sentences; the answer is the
best one or two, each with its [n], attributed to the outlet unless the
sentence already names who is speaking.
"""

from __future__ import annotations

from collections.abc import Iterator

from rag.text.lexicon import reported_speech
from rag.text.sentences import split_sentences
from rag.text.terms import bm25, lexical_terms
from rag.types import REFUSAL, Evidence, LLMRequest

_COMMON_STARTS = frozenset(
    {"The", "This", "That", "These", "Those", "It", "Its", "A", "An", "In", "On", "At", "For", "But", "And", "However"}
)
MIN_COVERAGE = 0.34  # share of the question's term weight a sentence must match
SECOND_RATIO = 0.6  # a second sentence must score at least this share of the best


class ExtractiveLLM:
    """Answers by quoting evidence; ``context_window`` only bounds what the prompt builder sends."""

    name = "extractive"
    context_window = 8192

    def __init__(self, settings: object | None = None) -> None:
        del settings  # nothing to configure

    def stream(self, request: LLMRequest) -> Iterator[str]:
        yield answer(request.question, request.evidence)


def _candidates(evidence: list[Evidence]) -> list[tuple[int, str]]:
    out: list[tuple[int, str]] = []
    for e in evidence:
        for part in e.text.split(" … "):
            out.extend((e.n, s) for s in split_sentences(part) if len(s.split()) >= 4)
    return out


def _attributed(sentence: str, e: Evidence | None) -> str:
    s = sentence.strip().rstrip(".!?;:").strip()
    if reported_speech().search(s) or e is None or not e.publisher:  # it says who speaks
        return s
    first, _, rest = s.partition(" ")
    if first in _COMMON_STARTS:
        s = f"{first.lower()} {rest}"
    return f"According to {e.publisher}, {s}"


def answer(question: str, evidence: list[Evidence]) -> str:
    """The 1-2 best evidence sentences for ``question`` with [n]; the refusal if none fits."""
    cands = _candidates(evidence)
    if not cands:
        return REFUSAL
    terms = lexical_terms([question, *(s for _, s in cands)])
    q, docs = terms[0], terms[1:]
    scores = bm25(q, docs)
    # coverage: the share of the question's distinct terms (IDF-weighted via BM25 on a 1-term query) matched
    weights = {t: float(bm25([t], docs).max()) for t in set(q)}
    total = sum(weights.values()) or 1.0
    coverage = [sum(w for t, w in weights.items() if t in set(d)) / total for d in docs]
    order = sorted(range(len(cands)), key=lambda i: -scores[i])
    best = [i for i in order[:2] if coverage[i] >= MIN_COVERAGE and scores[i] > 0]
    if len(best) == 2 and scores[best[1]] < SECOND_RATIO * scores[best[0]]:
        best = best[:1]
    if not best:
        return REFUSAL
    by_n = {e.n: e for e in evidence}
    best.sort(key=lambda i: (cands[i][0], i))  # source order reads better
    return " ".join(f"{_attributed(cands[i][1], by_n.get(cands[i][0]))} [{cands[i][0]}]." for i in best)
