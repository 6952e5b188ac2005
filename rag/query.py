"""Query analysis for retrieval: the separate searches one question needs.

A question that asks two things ("Who opened the bridge, and what did its repairs
cost?") often needs two articles; one search ranks passages for the blend of both
and finds one article. :func:`plan_query` splits it at its second question word (or
the preposition before it: "and in which city did …"), and the retriever, the
evidence step and the answer (one model call per part) treat each part on its own.

A part never carries the other part's words; a later part that points back with a
pronoun ("its repairs") borrows only the earlier part's noun phrases (from spaCy's
parse) for context. Splitting coordinated names too ("What did A and B say?") was
measured and dropped: on the seeds it split fixed pairs ("Russia and Belarus") and
cost answers, and on two-article questions it added nothing (docs/experiments.md).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from rag.ingest.dates import MONTH_PATTERN, MONTHS
from rag.speaker_pipeline import nlp

_CLAUSE_SPLIT = re.compile(
    r"\s*[,;]?\s+and\s+(?=(?:what|who|whom|whose|when|where|which|why|how|did|does|do|is|are|was|were|has|have|"
    r"had|can|will|would)\b"
    # a question word after its preposition, in a clause that asks ("and in which city did it begin")
    r"|(?:at|on|in|from|for|by|to|with|of|since|until|during|after|before|under|over|about|through)\s+"
    r"(?:what|which|whom|whose|how)\b(?=[^,;?]*\b(?:did|does|do|is|are|was|were|has|have|had|can|will|would)\b))",
    re.IGNORECASE,
)
MIN_PART_WORDS = 3
#: components the query parse needs: tags and the dependency tree
_NOT_NEEDED = ("lemmatizer", "ner", "quotation_paragraphs", "blanked_breaks")
_POINTS_BACK = {"it", "its", "he", "his", "him", "she", "her", "they", "their", "them", "this", "that", "these"}
_WH = {"what", "who", "whom", "whose", "which", "when", "where", "why", "how"}
#: a year the question names, with the month before it if any ("in 2021", "in May 2021", "on 3 May 2021")
_PERIOD = re.compile(rf"\b(?:(?P<month>{MONTH_PATTERN})\.?\s+)?(?P<year>(?:19|20)\d\d)\b", re.IGNORECASE)


@dataclass(frozen=True)
class QueryPlan:
    """What to search for one question besides the whole of it: each of its parts, and the periods it names."""

    parts: tuple[str, ...] = ()  # two or more searches, or none for a question that asks one thing
    periods: tuple[tuple[int, int | None], ...] = ()  # (year, month or None) the question names


def clause_parts(question: str) -> list[str]:
    """A double question split at its second question word (or its preposition): ``[question]`` when it asks one.

    Cheap (no parse): the answer checks use it to know that each part asks its own kind of thing.
    """
    pieces = _CLAUSE_SPLIT.split(question.strip(), maxsplit=1)
    if len(pieces) != 2 or any(len(p.split()) < MIN_PART_WORDS for p in pieces):
        return [question]
    first, second = pieces[0].rstrip(" ,;?") + "?", pieces[1].strip()
    return [first, second[0].upper() + second[1:]]


@lru_cache(maxsize=512)
def _parse(text: str) -> Any:
    """The parse without the components it does not need (``disable`` per call: the pipeline is shared by threads)."""
    pipeline = nlp()
    return pipeline(text, disable=[p for p in _NOT_NEEDED if p in pipeline.pipe_names])


def _context(doc: Any) -> list[str]:
    """The noun phrases of a part that another part's pronoun may point at (no pronouns, no question words)."""
    out = []
    for chunk in doc.noun_chunks:
        words = [t for t in chunk if t.pos_ in ("NOUN", "PROPN")]
        if words and chunk.root.lower_ not in _WH and not any(t.lower_ in _WH for t in chunk):
            out.append(chunk.text)
    return out


def _with_context(part: str, other: str) -> str:
    """A later ``part``, and, when it points back ("its", "they"), the earlier part's noun phrases in brackets."""
    words = {w.lower() for w in re.findall(r"\w+", part)}
    if not words & _POINTS_BACK:
        return part
    borrowed = [c for c in _context(_parse(other)) if c.lower() not in part.lower()]
    return f"{part} ({', '.join(borrowed)})" if borrowed else part


def periods(query: str) -> tuple[tuple[int, int | None], ...]:
    """The years, with their months where given, that a question names: an article of that time is likelier."""
    found = []
    for m in _PERIOD.finditer(query):
        month = MONTHS[m.group("month").lower()] if m.group("month") else None
        found.append((int(m.group("year")), month))
    return tuple(dict.fromkeys(found))


@lru_cache(maxsize=256)
def plan_query(query: str, split: bool = True) -> QueryPlan:
    """The searches for ``query``: one part for each of its two clauses (when ``split``), and the periods it names.

    Cached: the retriever and the evidence step both plan the question they are given, often the same one.
    """
    when = periods(query)
    if not split:
        return QueryPlan((), when)
    clauses = clause_parts(query)
    if len(clauses) == 2:
        first, second = clauses
        return QueryPlan((first, _with_context(second, first)), when)
    return QueryPlan((), when)
