"""Which sentences of the retrieved passages the model is given: ranked for the question, within a token budget.

Measured here (docs/machine-facts.md, benchmarks/RESULTS.md): sending only the most relevant
sentences instead of whole chunks cut time to first token about threefold
and raised accuracy; ranking sentences by cosine plus half a normalised BM25
score found the answer far more often than cosine alone, and ranking the
sentences of all passages together with a prior for the passage's rank did
better still.
"""

from __future__ import annotations

import logging
import re
import threading
from collections import OrderedDict
from collections.abc import Sequence

import numpy as np

from rag.answering.questions import WHO_QUESTION
from rag.config import EvidenceTuning
from rag.embedding import get_embedder
from rag.errors import RagError
from rag.text.sentences import split_sentences
from rag.text.terms import bm25, lexical_terms
from rag.text.tokens import count_tokens, truncate_tokens
from rag.types import Passage

log = logging.getLogger(__name__)

SOURCE_HEADER_TOKENS = 30  # what a <source n=.. title=.. publisher=.. date=..> fence costs in the budget
_sentence_vectors: OrderedDict[tuple[str, str], np.ndarray] = OrderedDict()
_cache_lock = threading.Lock()
_VECTOR_CACHE_SIZE = 4096


def _embed(question: str, sentences: list[str]) -> np.ndarray | None:
    """Cosines of each sentence to the question; None when no embedder is available.

    Sentence vectors are cached per embedding model: a conversation keeps
    hitting the same passages, and MiniLM on 2 cores is the slow part here.
    """

    try:
        embedder = get_embedder()
        with _cache_lock:
            missing = [s for s in dict.fromkeys(sentences) if (embedder.name, s) not in _sentence_vectors]
        vecs = embedder.embed([question, *missing])
    except RagError as exc:
        log.warning("sentence ranking without embeddings: %s", exc)
        return None
    with _cache_lock:
        for s, v in zip(missing, vecs[1:], strict=True):
            _sentence_vectors[(embedder.name, s)] = v
        rows = [_sentence_vectors.get((embedder.name, s)) for s in sentences]
        while len(_sentence_vectors) > _VECTOR_CACHE_SIZE:
            _sentence_vectors.popitem(last=False)
    if any(r is None for r in rows):  # evicted meanwhile by another thread: embed directly
        rows = list(embedder.embed(sentences))
    mat = np.stack(rows) if rows else np.zeros((0, vecs.shape[1]), dtype=np.float32)  # type: ignore[arg-type]
    return mat @ vecs[0]


def rank_sentences(question: str, sentences: list[str], lexical_weight: float | None = None) -> np.ndarray:
    """cosine + ``lexical_weight`` x BM25 normalised to [0, 1]; higher is more relevant.

    ``lexical_weight`` defaults to :attr:`EvidenceTuning.lexical_weight`.
    """
    if lexical_weight is None:
        lexical_weight = EvidenceTuning().lexical_weight
    if not sentences:
        return np.zeros(0, dtype=np.float32)
    terms = lexical_terms([question, *sentences])
    lex = bm25(terms[0], terms[1:])
    if lex.max() > 0:
        lex = lex / lex.max()
    cos = _embed(question, sentences)
    return (cos if cos is not None else 0.0) + lexical_weight * lex


def select_sentences(
    question: str,
    passages: list[Passage],
    budget: float,
    tuning: EvidenceTuning,
    who_lede: bool = True,
    parts: Sequence[str] = (),
) -> tuple[list[list[str]], set[int]]:
    """The best sentences across all passages (each passage's in document order), within ``budget`` tokens,
    and the passages that hold the best sentence for one of the question's parts.

    Sentences are ranked globally, each scored by its own relevance plus a prior
    for its passage's retrieval rank: on the seed questions that put a sentence
    holding the answer in the top 5 for 80% of questions (70% without the prior),
    and a global cut gives the small model fewer distracting passages than
    taking the best few sentences of every passage. A question with ``parts``
    (two things asked, two names) is ranked for the whole and for each part, and
    the rankings take turns: ranked for the whole alone, the sentences for one part
    filled the budget and the other part's answer was left out.
    """
    t = tuning
    seen: list[frozenset[str]] = []
    flat: list[str] = []
    owner: list[int] = []
    lead_of: dict[int, int] = {}  # passage -> index in ``flat`` of its document's lead, for "who" questions
    for i, p in enumerate(passages):
        if p.title:  # the header carries the title; repeated in the body, small models answer with it
            seen.append(frozenset(re.findall(r"\w+", p.title.lower())))
        lead = [p.lead] if p.lead and who_lede and WHO_QUESTION.match(question) else []
        for n, s in enumerate(
            [*lead, *split_sentences(p.text, quote_span=t.quote_span, quote_tokens=t.max_sentence_tokens)]
        ):
            words = frozenset(re.findall(r"\w+", s.lower()))
            if words and not any(len(words & w) >= t.near_duplicate * len(words | w) for w in seen):
                seen.append(words)  # scraped pages repeat their lead, often with a word changed
                if lead and n == 0:
                    lead_of[i] = len(flat)
                flat.append(truncate_tokens(s, t.max_sentence_tokens))
                owner.append(i)
    prior = np.array([t.passage_prior / (1 + i) for i in owner], dtype=np.float32)
    rankings = [rank_sentences(q, flat, t.lexical_weight) + prior for q in (question, *parts)]
    orders = [[int(i) for i in np.argsort(-scores, kind="stable")] for scores in rankings]
    # each sentence is judged by the ranking that proposed it: its score there, against that ranking's floor;
    # a turn's proposals (the whole's next best, then each part's) come before their neighbours
    floors = [float(scores.max()) - t.relative_drop for scores in rankings]
    picked: list[int] = []
    fenced: set[int] = set()  # passages that already have a <source> header in the prompt
    used = 0.0
    ranked_picks = 0
    candidates: list[tuple[int, bool, float, float]] = []  # (sentence, is a neighbour, score, floor)
    leads = set(lead_of.values())
    proposed: set[int] = set()
    for turn in zip(*orders, strict=True):
        neighbours: list[tuple[int, bool, float, float]] = []
        for scores, floor, i in zip(rankings, floors, turn, strict=True):
            score = float(scores[i])
            if i in proposed:
                continue
            rank = len(proposed)
            proposed.add(i)
            candidates.append((i, False, score, floor))
            neighbours += [(j, True, score, floor) for j in _around(i, rank, owner, lead_of, t)]
        candidates += neighbours
    for i, neighbour, score, floor in candidates:
        if i in picked or (neighbour and i in leads and owner[i] not in fenced):
            continue  # a lead comes along only with a sentence picked from its passage
        cost = count_tokens(flat[i]) + SOURCE_HEADER_TOKENS * (owner[i] not in fenced)
        if picked and (used + cost > budget or (score < floor and not neighbour)):
            continue
        picked.append(i)
        fenced.add(owner[i])
        used += cost
        ranked_picks += not neighbour
        if ranked_picks >= t.max_sentences:
            break
    chosen: list[list[str]] = [[] for _ in passages]
    for i in sorted(picked):
        chosen[owner[i]].append(flat[i])
    # the passage holding a part's best sentence is the last to be shed
    firsts = {owner[order[0]] for order in orders[1:] if order and order[0] in picked}
    return chosen, firsts


def _around(i: int, rank: int, owner: list[int], lead_of: dict[int, int], t: EvidenceTuning) -> list[int]:
    """The sentences that come with the ``rank``-th proposed sentence ``i``, from its own passage."""
    after = t.after_best if rank == 0 else 1 if rank < t.neighbours else 0
    # the answer often sits in the sentences after the best
    out = [j for j in range(i + 1, i + 1 + after) if j < len(owner) and owner[j] == owner[i]]
    if rank < t.previous and i > 0 and owner[i - 1] == owner[i]:
        out.append(i - 1)
    if owner[i] in lead_of:  # a role ("the head of state said") needs the lede that names the person
        out.append(lead_of[owner[i]])
    return out


__all__ = ["SOURCE_HEADER_TOKENS", "rank_sentences", "select_sentences"]
