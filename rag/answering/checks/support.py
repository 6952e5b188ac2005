"""What the checks share: an answer's sentences, the evidence statement each one rests on, and negation cues."""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

import numpy as np
from spacy.lang.en.stop_words import STOP_WORDS

from rag.embedding import Embedder, get_embedder
from rag.text.lexicon import negation
from rag.text.markers import find_markers, strip_markers
from rag.text.sentences import split_answer, split_sentences
from rag.text.terms import tokenize
from rag.types import Evidence, Statement

#: a bare "Yes,"/"No." opening an answer
YES_NO = re.compile(r"^\s*(?:yes|no)\b[,.!;:]?\s*", re.IGNORECASE)


def negated(text: str) -> bool:
    return bool(negation().search(text))


def sentences(text: str) -> list[str]:
    """The answer's sentences in order (markers kept with the sentence they end)."""
    return [s for line in split_answer(text) for s in line]


def statements(e: Evidence) -> tuple[Statement, ...]:
    """The evidence's statements; built from its text (sentences joined by " … ") when it came without them."""
    if e.statements:
        return e.statements
    return tuple(Statement(s) for part in e.text.split(" … ") for s in split_sentences(part))


def support(
    sentence: str, evidence: Sequence[Evidence], min_overlap: float, min_cosine: float
) -> tuple[Statement, Evidence] | None:
    """The evidence statement ``sentence`` rests on, among its cited sources first.

    The best term overlap, if it reaches ``min_overlap`` of the sentence's terms; when no statement shares that
    many words (a paraphrase: "negotiating secretly" for "undercover talks"), the closest by sentence embedding,
    if its cosine reaches ``min_cosine`` (:class:`rag.config.CheckTuning`).
    """
    body = strip_markers(sentence)
    terms = set(tokenize([body])[0])
    if not terms:
        return None
    cited = set(find_markers(sentence))  # markers after the probe text (a question appended) still count
    pools = [[e for e in evidence if e.n in cited], list(evidence)] if cited else [list(evidence)]
    for pool in pools:
        pairs = [(st, e) for e in pool for st in statements(e)]
        if not pairs:
            continue
        overlap = [len(terms & set(t)) / len(terms) for t in tokenize([st.text for st, _ in pairs])]
        best = max(range(len(pairs)), key=lambda i: overlap[i])
        if overlap[best] >= min_overlap:
            return pairs[best]
        embedder = get_embedder()
        cosine = _vectors(embedder, tuple(st.text for st, _ in pairs)) @ embedder.embed([body])[0]
        best = int(np.argmax(cosine))
        if float(cosine[best]) >= min_cosine:
            return pairs[best]
    return None


@lru_cache(maxsize=16)
def _vectors(embedder: Embedder, texts: tuple[str, ...]) -> np.ndarray:
    """Embeddings of an answer's evidence statements, computed once for all the checks and sentences that ask."""
    return embedder.embed(list(texts))


_NAME_WORD = re.compile(r"[^\W\d_]{3,}")


def stems(text: str) -> set[str]:
    """Words of 3+ letters cut to 5, so spellings of one name meet ("Sergey"/"Sergei", "Russia"/"Russia's")."""
    return {w.lower()[:5] for w in _NAME_WORD.findall(text)}


def names(person: str, text: str) -> bool:
    """Whether ``text`` mentions ``person``: a word of a name ("Lavrov" for "Sergey Lavrov"), or for a speaker
    described rather than named ("China's ambassador to Britain") a word of the description ("ambassador"): "China"
    or "Britain" in an answer is no mention of him."""
    described = stems(" ".join(w for w in _NAME_WORD.findall(person) if w.islower() and w not in STOP_WORDS))
    return bool((described or stems(person)) & stems(text))


def with_marker(sentence: str, body: str) -> str:
    """``body`` ending with the markers ``sentence`` had."""
    markers = re.findall(r"\[[\d,;\s\-–]+\]", sentence)
    body = body.rstrip()
    end = "." if not body.endswith((".", "!", "?", '"', "”")) else ""
    if not markers:
        return body + end
    return f"{body.rstrip('.')} {' '.join(dict.fromkeys(markers))}."
