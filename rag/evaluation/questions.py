"""Labelled questions (JSON lines) and the key-phrase matching that scores answers and passages."""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from rag.errors import InputError

# --------------------------------------------------------------------------- questions


@dataclass(frozen=True)
class Question:
    """One labelled question; the last of `turns` is scored, earlier ones are history."""

    id: str
    turns: tuple[str, ...]
    answers: tuple[str, ...] = ()
    all: bool = False
    sources: tuple[str, ...] = ()
    kind: str | None = None
    claimant: tuple[str, ...] = ()  # a contested claim or denial: the answer must name one of these
    denial: bool = False  # the sources report a denial: the answer must keep it one

    @property
    def question(self) -> str:
        return self.turns[-1]

    @property
    def answerable(self) -> bool:
        """Empty `answers` marks a question the corpus cannot answer."""
        return bool(self.answers)


def _str_list(value: Any, name: str, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InputError(f"{where}: '{name}' must be a list of strings")
    items = tuple(v.strip() for v in value)
    if any(not v for v in items):
        raise InputError(f"{where}: '{name}' contains an empty string")
    return items


def parse_question(obj: Any, where: str) -> Question:
    """Validate one decoded JSON line; `where` prefixes every error message."""
    if not isinstance(obj, dict):
        raise InputError(f"{where}: expected a JSON object, got {type(obj).__name__}")
    qid = obj.get("id")
    if not isinstance(qid, str) or not qid.strip():
        raise InputError(f"{where}: 'id' must be a non-empty string")
    has_q, has_t = "question" in obj, "turns" in obj
    if has_q == has_t:
        raise InputError(f"{where}: give exactly one of 'question' or 'turns'")
    if has_q:
        q = obj["question"]
        if not isinstance(q, str) or not q.strip():
            raise InputError(f"{where}: 'question' must be a non-empty string")
        turns: tuple[str, ...] = (q.strip(),)
    else:
        turns = _str_list(obj["turns"], "turns", where)
        if not turns:
            raise InputError(f"{where}: 'turns' must not be empty")
    answers = _str_list(obj.get("answers", []), "answers", where)
    sources = _str_list(obj.get("sources", []), "sources", where)
    require_all = obj.get("all", False)
    if not isinstance(require_all, bool):
        raise InputError(f"{where}: 'all' must be true or false")
    kind = obj.get("kind")
    if kind is not None and not isinstance(kind, str):
        raise InputError(f"{where}: 'kind' must be a string")
    claimant = _str_list(obj.get("claimant", []), "claimant", where)
    denial = obj.get("denial", False)
    if not isinstance(denial, bool):
        raise InputError(f"{where}: 'denial' must be true or false")
    return Question(qid.strip(), turns, answers, require_all, sources, kind, claimant, denial)


def load_questions(path: str | Path) -> list[Question]:
    """Read a JSON-lines question file; errors name the offending line number."""
    p = Path(path)
    try:
        lines = p.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise InputError(f"{p}: question file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{p}: cannot read question file ({exc})") from None
    questions: list[Question] = []
    seen: set[str] = set()
    for lineno, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        where = f"{p}:{lineno}"
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(f"{where}: invalid JSON ({exc.msg})") from None
        q = parse_question(obj, where)
        if q.id in seen:
            raise InputError(f"{where}: duplicate id {q.id!r}")
        seen.add(q.id)
        questions.append(q)
    if not questions:
        raise InputError(f"{p}: no questions found")
    return questions


# --------------------------------------------------------------------------- key phrases

_DASHES = dict.fromkeys(map(ord, "\u2010\u2011\u2012\u2013\u2014\u2015\u2212"), "-")
_QUOTES = {0x2018: "'", 0x2019: "'", 0x201C: '"', 0x201D: '"'}


def normalize_text(text: str) -> str:
    """Case-fold and unify dashes, quotes, hyphens and spaces so spelling noise doesn't score."""
    t = unicodedata.normalize("NFKC", text).translate(_DASHES).translate(_QUOTES).casefold()
    return " ".join(t.replace("-", " ").split())


@lru_cache(maxsize=4096)
def _phrase_pattern(phrase: str) -> re.Pattern[str] | None:
    p = normalize_text(phrase)
    if not p:
        return None
    # Whole-word edges, so "10" does not match "100" and "us" not "must".
    head = r"(?<!\w)" if p[0].isalnum() else ""
    tail = r"(?!\w)" if p[-1].isalnum() else ""
    return re.compile(head + re.escape(p) + tail)


def _has(normalized: str, phrase: str) -> bool:
    pat = _phrase_pattern(phrase)
    return pat is not None and pat.search(normalized) is not None


def contains_phrase(text: str, phrase: str) -> bool:
    """True if `phrase` occurs in `text` as whole words, ignoring case and dash style."""
    return _has(normalize_text(text), phrase)


def matches_answers(text: str, answers: Sequence[str], require_all: bool) -> bool:
    """Key-phrase check of an answer: all phrases if `require_all`, else any one."""
    if not answers:
        return False
    norm = normalize_text(text)
    hits = (_has(norm, a) for a in answers)
    return all(hits) if require_all else any(hits)


def contains_any_phrase(text: str, answers: Sequence[str]) -> bool:
    """Used for passages: one key phrase is enough to call a passage answer-bearing."""
    return matches_answers(text, answers, require_all=False)
