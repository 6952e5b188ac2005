"""Lexical terms (lower-cased, English stop words out, Porter-stemmed) and BM25 over a handful of texts.

The same analysis as the BM25 index over the chunks (:mod:`rag.lexical`), so
that sentence ranking, grounding, the answer checks and the UI's highlights
agree with retrieval about what a "word" is.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from typing import Any

import bm25s
import numpy as np

logging.getLogger("bm25s").setLevel(logging.WARNING)  # it logs every build at DEBUG to the console


@lru_cache(maxsize=1)
def _stemmer() -> Any:
    try:
        import Stemmer

        return Stemmer.Stemmer("english")
    except ImportError:  # PyStemmer is a dependency; keep working without it
        return None


def tokenize(texts: list[str]) -> list[list[str]]:
    """Lower-cased, English stop words out, Porter-stemmed (measured best on Vaswani)."""
    out = bm25s.tokenize(texts, stopwords="en", stemmer=_stemmer(), return_ids=False, show_progress=False)
    return [list(t) for t in out]  # type: ignore[union-attr]


def lexical_terms(texts: list[str]) -> list[list[str]]:
    """Stemmed, stop-word-free terms (the same analysis as the BM25 index)."""
    return tokenize(texts) if texts else []


def bm25(query_terms: list[str], docs: list[list[str]]) -> np.ndarray:
    """BM25 (bm25s) of each doc for the query, IDF taken over ``docs`` themselves."""
    scores = np.zeros(len(docs), dtype=np.float32)
    if not docs or not query_terms or not any(docs):
        return scores
    model = bm25s.BM25()
    model.index([d or ["\u2205"] for d in docs], show_progress=False)  # bm25s needs a token per doc
    known = [t for t in query_terms if t in model.vocab_dict]
    return np.asarray(model.get_scores(known), dtype=np.float32) if known else scores
