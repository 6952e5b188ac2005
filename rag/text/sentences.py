"""The sentence splitter: spans for chunking, sentences for evidence, answer lines, and the cleaner's rough cut.

One set of rules with the modes its callers were tested with:

* :func:`sentence_spans` — character spans; abbreviations and initials do not
  end a sentence, a line break always does; ``glued=True`` also splits
  scraped text glued as ``end.Next`` (chunking keeps every character, passages
  shown to people or models are split further);
* :func:`split_sentences` — a passage's sentences as text, glued ones split and
  a short quotation kept with the sentence naming its speaker;
* :func:`split_answer` — a model's answer as lines of sentences: a citation
  marker stays with the sentence it ends, a quotation stays whole;
* :func:`rough_sentences` and :func:`space_glued` — what text cleaning uses to
  spot a body scraped twice and to space ``Thursday.Russia's`` (kept as they
  are: changing them changes every cleaned document, ``CLEANING_VERSION``).
"""

from __future__ import annotations

import re

from rag.text.tokens import count_tokens

QUOTE_SPAN = 3  # at most this many sentences are joined to close a quotation
QUOTE_TOKENS = 70  # and only while the joined text stays this short

# A sentence ends at . ! ? (optionally followed by closing quotes/brackets) before
# whitespace, or at a line break. Common abbreviations and initials don't end one.
_ABBREV = re.compile(
    r"(?:\b(?:Mr|Mrs|Ms|Dr|Prof|Sr|Jr|St|Gen|Col|Lt|Sgt|Capt|Gov|Sen|Rep|Rev|Inc|Ltd|Co|Corp|vs|etc|No|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec|e\.g|i\.e|U\.S|U\.K|U\.N)\.|\b[A-Z]\.)$"
)
_BOUNDARY = re.compile(r"(?<=[.!?])[\"'”’)\]]*\s+|\n+")


def sentence_spans(text: str, start: int = 0, end: int | None = None, *, glued: bool = False) -> list[tuple[int, int]]:
    """Character spans of the sentences of ``text[start:end]`` (whitespace trimmed).

    With ``glued``, scraped text glued as ``end.Next`` is split too and spans
    without a word character are left out (what passages shown to people and
    models need; chunking keeps every character).
    """
    end = len(text) if end is None else end
    spans: list[tuple[int, int]] = []
    cur = start
    for m in _BOUNDARY.finditer(text, start, end):
        piece_end = m.start() + len(m.group(0).rstrip())  # keep closing quotes with the sentence
        if m.group(0)[0] not in "\n" and _ABBREV.search(text[cur : m.start()]):
            continue
        append_trimmed(text, cur, piece_end, spans)
        cur = m.end()
    append_trimmed(text, cur, end, spans)
    return _unglue(text, spans) if glued else spans


_GLUED = re.compile(r"(?<=[a-z0-9)][.!?])(?=[A-Z\"“])|(?<=[a-z][.!?][\"”])(?=[A-Z])")


def _unglue(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """``spans`` with scraped text glued as ``end.Next`` split, and spans without a word left out."""
    out: list[tuple[int, int]] = []
    for a, b in spans:
        cut = a
        for m in _GLUED.finditer(text, a, b):
            out.append((cut, m.start()))
            cut = m.start()
        out.append((cut, b))
    return [(a, b) for a, b in out if re.search(r"\w", text[a:b])]


def append_trimmed(text: str, a: int, b: int, out: list[tuple[int, int]]) -> None:
    """Append ``(a, b)`` to ``out`` with surrounding white space trimmed off, unless nothing is left."""
    while a < b and text[a].isspace():
        a += 1
    while b > a and text[b - 1].isspace():
        b -= 1
    if b > a:
        out.append((a, b))


def split_sentences(text: str, *, quote_span: int = QUOTE_SPAN, quote_tokens: int = QUOTE_TOKENS) -> list[str]:
    """Sentences of a passage (glued ones split), a short quotation joined with its speaker's sentence.

    A quotation is joined over at most ``quote_span`` sentences and only when
    the result stays within ``quote_tokens`` cl100k tokens.
    """
    out = [text[a:b].strip() for a, b in sentence_spans(text, glued=True)]
    return _close_quotes([s for s in out if re.search(r"\w", s)], quote_span, quote_tokens)


def quote_depth(sentence: str, depth: int) -> int:
    """Quotation depth after ``sentence``; a straight quote opens when none is open, else closes."""
    depth += sentence.count("“") + sentence.count("«") - sentence.count("”") - sentence.count("»")
    if sentence.count('"') % 2:
        depth += 1 if depth <= 0 else -1
    return depth


def _close_quotes(sentences: list[str], quote_span: int, quote_tokens: int) -> list[str]:
    """Join a sentence that opens a quotation with the ones up to where it closes, when that stays short.

    News quotes end with their speaker and setting ("…such security,” Lavrov
    said during a video conference."): split apart, the quoted claim loses who
    said it and where. Long quotes stay split, or they would crowd the budget.
    """
    out: list[str] = []
    i = 0
    while i < len(sentences):
        j, depth = i, quote_depth(sentences[i], 0)
        while depth > 0 and j + 1 < len(sentences) and j - i + 1 < quote_span:
            j += 1
            depth = quote_depth(sentences[j], depth)
        joined = " ".join(sentences[i : j + 1])
        if j > i and depth <= 0 and count_tokens(joined) <= quote_tokens:
            out.append(joined)
            i = j + 1
        else:
            out.append(sentences[i])
            i += 1
    return out


# --------------------------------------------------------------------------- answers

_SENTENCE_END = re.compile(r"(?<=[.!?])[\"”’)]*\s+(?=[A-Z0-9\"“(])")
#: the same, with citation markers after the full stop ("… in June. [1] The …") kept with the sentence they end
_CITED_END = re.compile(r"(?<=[.!?])[\"”’)]*(?:\s*\[\d+(?:\s*,\s*\d+)*\])*\s+(?=[A-Z0-9\"“(])")


def split_answer(text: str) -> list[list[str]]:
    """Lines of sentences (a marker stays with the sentence it ends; a quotation stays whole; "Dr." ends none)."""
    out: list[list[str]] = []
    for line in text.splitlines():
        sentences: list[str] = []
        start = 0
        for m in _SENTENCE_END.finditer(line):
            if _open_quote(line[start : m.end()]) or _ABBREV.search(line[start : m.start()]):
                continue  # inside a quotation, or after an abbreviation or an initial ("Rep.", the "U." of "U. S.")
            sentences.append(line[start : m.start()].strip() + m.group().strip())
            start = m.end()
        sentences.append(line[start:].strip())
        if any(sentences):
            out.append([s for s in sentences if s])
    return out


def complete_end(text: str) -> int:
    """How much of a streamed answer is whole sentences: the end of the last one that the next has begun after.

    The same rules as :func:`split_answer`: a line break ends a sentence, a
    marker after the full stop still belongs to it (the next sentence has not
    begun until a capital, a digit or an opening quote follows), and an
    abbreviation or an open quotation ends none.
    """
    done = 0
    line_start = 0
    for line in text.splitlines(keepends=True):
        if line.endswith(("\n", "\r")):
            done = line_start + len(line)
        else:
            start = 0
            for m in _CITED_END.finditer(line):
                if _open_quote(line[start : m.end()]) or _ABBREV.search(line[start : m.start()]):
                    continue
                done = line_start + m.end()
                start = m.end()
        line_start += len(line)
    return done


def _open_quote(text: str) -> bool:
    return text.count('"') % 2 == 1 or text.count("“") > text.count("”")


# --------------------------------------------------------------------------- cleaning

_ROUGH_SPLIT = re.compile(r"(?<=[.!?…])\s+(?=[\"“‘(\[]?[A-Z0-9])|(?<=[.!?…][\"”’)])\s+(?=[\"“‘(\[]?[A-Z0-9])")


def rough_sentences(paragraph: str) -> list[str]:
    """Rough sentence split, good enough to spot a body that is repeated."""
    return [s for s in _ROUGH_SPLIT.split(paragraph) if s]


def space_glued(text: str) -> str:
    """``"Thursday.Russia's"`` → ``"Thursday. Russia's"``, leaving ``U.S.``, ``3.5`` and URLs alone."""
    out: list[str] = []
    straight_quotes = 0
    token_start = 0
    n = len(text)
    for i, ch in enumerate(text):
        out.append(ch)
        if ch.isspace():
            token_start = i + 1
            continue
        nxt = text[i + 1] if i + 1 < n else ""
        after = text[i + 2] if i + 2 < n else ""
        if ch == '"':
            straight_quotes += 1
        if i == 0 or not nxt or ch not in '.!?"”':
            continue
        if re.search(r"://|www\.|@|/", text[max(token_start, i - 300) : i]):
            continue  # inside a URL, address or path
        prev = text[i - 1]
        ends_word = prev.islower() or prev.isdigit() or prev in ")]"
        opening_straight = nxt == '"' and straight_quotes % 2 == 0 and after.isalpha()
        closing_quote = ch == "”" or (ch == '"' and straight_quotes % 2 == 0)
        if (ch in ".!?" and ends_word and (nxt.isupper() or nxt in "“‘" or opening_straight)) or (
            closing_quote and prev in ".!?" and nxt.isupper()
        ):
            out.append(" ")
    return "".join(out)
