"""Check a generated answer against the evidence the model was given.

Small local models cite the wrong source number for a right sentence, leave a
sentence uncited, or invent a figure that no source holds. Measured on the
seed questions (1.5B): a third of the correct answers cited a passage that did
not hold the answer, and wrong figures appeared in answers to unanswerable
questions ("$1.5 billion"). This module re-attaches each sentence to the
source that holds its words, and drops sentences whose numbers no source
(or the question) contains; an answer left with nothing is a refusal.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

from rag.answering.evidence import human_date
from rag.answering.questions import QUANTITY_QUESTION
from rag.config import CheckTuning
from rag.ingest.dates import MONTH_PATTERN
from rag.text.lexicon import FRAMING, forms
from rag.text.markers import find_markers, format_marker, strip_markers
from rag.text.sentences import split_answer
from rag.text.terms import tokenize
from rag.types import Evidence

# the thresholds (re-citing, attaching, dropping a sentence) are rag.config.CheckTuning
#: how answers are framed rather than what they claim
FRAME_WORDS = " ".join(["according to the sources source yes no", *sorted(f for v in FRAMING for f in forms(v))])

_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_WORDS = "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen"
_NUMBER_WORDS = {w: str(i) for i, w in enumerate([*_WORDS.split(), "seventeen", "eighteen", "nineteen", "twenty"])}
_NUMBER_WORD = re.compile(r"\b(" + "|".join(_NUMBER_WORDS) + r")\b", re.IGNORECASE)
_YEAR = re.compile(r"(?:19|20)\d\d")
_MONTH = rf"(?:{MONTH_PATTERN})\.?"
#: numbers that place something in the calendar ("19 January", "Nov. 3, 2019", "in 2018"), not a count or an amount
_CALENDAR = re.compile(
    rf"\b(?:{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?(?:,?\s+(?:19|20)\d\d)?|\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?"
    rf"{_MONTH}(?:,?\s+(?:19|20)\d\d)?|(?:{_MONTH}|in|since|from|until|by)\s+(?:19|20)\d\d)(?=\W|$)",
    re.IGNORECASE,
)
_LIST_ITEM = re.compile(r"^\s*(?:\d{1,2}[.)]|[-*\u2022])\s+")


def shown(e: Evidence) -> str:
    """A source as the model saw it: header fields (with the written-out date) and text."""
    day = human_date(e.date) if e.date else None
    return " ".join(x for x in (e.title, e.publisher, e.date, day, e.text) if x)


def _numbers(text: str) -> set[str]:
    """Numbers in ``text``, digits normalised ("1,000" → "1000", "ten" → "10"); dates split into parts."""
    text = _NUMBER_WORD.sub(lambda m: _NUMBER_WORDS[m.group(1).lower()], text)
    out: set[str] = set()
    for m in _NUMBER.finditer(text.replace("-", " ")):
        raw = m.group()
        out.add(raw.replace(",", "").rstrip(".").lstrip("0") or "0")
    return out


@lru_cache(maxsize=1)
def _frame_terms() -> frozenset[str]:
    return frozenset(tokenize([FRAME_WORDS])[0])


def _support(terms: list[str], question: set[str], source_terms: set[str], question_weight: float) -> float:
    weights = [question_weight if t in question else 1.0 for t in terms]
    total = sum(weights)
    return sum(w for t, w in zip(terms, weights, strict=True) if t in source_terms) / total if total else 0.0


def ground(text: str, question: str, sources: Sequence[Evidence], tuning: CheckTuning | None = None) -> str:
    """``text`` with each sentence cited by the source that holds it and ungrounded numbers removed.

    Returns "" when no sentence survives (the caller turns that into a refusal).
    A "how many/much" question whose answer names no grounded number also gets "".
    ``tuning`` holds the thresholds (default: :class:`CheckTuning`'s defaults).
    """
    if not sources:
        return text
    t = tuning or CheckTuning()
    q_terms = set(tokenize([question])[0])
    texts = {s.n: shown(s) for s in sources}
    src_terms = {n: set(terms) for n, terms in zip(texts, tokenize(list(texts.values())), strict=True)}
    allowed = _numbers(question).union(*(_numbers(t) for t in texts.values()))
    years = [int(n) for n in allowed if _YEAR.fullmatch(n)]
    if years:  # "19 December" in an article of January 2023 means December 2022: a neighbouring year is inferred
        allowed |= {str(y) for y in range(min(years) - 1, max(years) + 2)}
    lines: list[str] = []
    grounded_number = False
    for line in split_answer(text):
        kept: list[str] = []
        for sentence in line:
            body = strip_markers(sentence).strip()
            claim = _LIST_ITEM.sub("", body) if not kept else body
            if not re.search(r"\w", claim):
                continue
            numbers = _numbers(claim)
            if numbers - allowed:
                continue  # a figure no source gives is never shown
            # a date is no answer to "how many/much/old" (lacking the figure, small models give the event's date)
            grounded_number = grounded_number or bool(_numbers(_CALENDAR.sub(" ", claim)))
            terms = tokenize([claim])[0]
            novel = novel_terms(terms, q_terms)
            if novel and max(sum(t in st for t in novel) / len(novel) for st in src_terms.values()) < t.min_support:
                continue  # mostly words that no source has: not grounded
            cited = [n for n in find_markers(sentence) if n in src_terms]
            scores = {n: _support(terms, q_terms, st, t.question_term_weight) for n, st in src_terms.items()}
            best = max(scores, key=lambda n: (scores[n], -n))
            if cited:
                if scores[best] - max(scores[n] for n in cited) >= t.remap_margin:
                    cited = [best]
            elif scores[best] >= t.attach_min:
                cited = [best]
            kept.append(_cite(body, cited))
        if kept:
            lines.append(" ".join(kept))
    if QUANTITY_QUESTION.match(question) and not grounded_number:
        return ""
    return "\n".join(lines)


def novel_terms(terms: list[str], q_terms: set[str]) -> list[str]:
    """The terms that are neither the question's nor framing ("according to", "said")."""
    return [t for t in terms if t not in q_terms and t not in _frame_terms()]


def _cite(body: str, numbers: list[int]) -> str:
    """The sentence with its marker placed before the final punctuation."""
    if not numbers:
        return body
    marker = format_marker(numbers)
    m = re.search(r"[.!?]+[\"”’)]*$", body)
    if m:
        return f"{body[: m.start()].rstrip()} {marker}{body[m.start() :]}"
    return f"{body} {marker}"


__all__ = ["ground", "novel_terms", "shown", "split_answer"]
