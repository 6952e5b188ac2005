"""Documents → sentence-aware token chunks with exact character spans.

Sizes are counted in tiktoken's cl100k_base tokens (what users configure),
but every chunk is also checked against the embedding model's own tokenizer
so nothing is silently truncated at embedding time: cl100k and WordPiece
counts differ by 5-40%, more for Cyrillic.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterator

from rag.text.sentences import append_trimmed, sentence_spans
from rag.text.tokens import count_tokens, get_encoding
from rag.types import Chunk, Document

LEAD_MIN_WORDS = 6  # shorter lines at the top of a page are datelines, bylines and captions
LEAD_MAX_TOKENS = 60
LEAD_SCAN_CHARS = 4000


def lead_sentence(doc: Document) -> str | None:
    """The document's first sentence after its title: in news, the lede that names who, what and when.

    A passage from further down says "the Belarusian leader stressed"; the lede
    is where "Belarusian President Aleksandr Lukashenko" is spelled out.
    """
    title = re.findall(r"\w+", (doc.title or "").lower())
    head = min(len(doc.text), LEAD_SCAN_CHARS)  # called for every chunk: look only at the top of the page
    for a, b in sentence_spans(doc.text, 0, head)[:8]:
        sentence = doc.text[a:b]
        words = re.findall(r"\w+", sentence.lower())
        if len(words) < LEAD_MIN_WORDS or words == title:
            continue
        if count_tokens(sentence) > LEAD_MAX_TOKENS:
            return None  # glued page text, not a sentence
        return sentence
    return None


def _token_windows(text: str, a: int, b: int, size: int) -> list[tuple[int, int]]:
    """Split one overlong span into pieces of at most ``size`` cl100k tokens, on token boundaries."""
    enc = get_encoding()
    tokens = enc.encode_ordinary(text[a:b])
    _, offsets = enc.decode_with_offsets(tokens)
    cuts = [a + offsets[i] for i in range(size, len(tokens), size)]
    bounds = [a, *cuts, b]
    out: list[tuple[int, int]] = []
    for x, y in itertools.pairwise(bounds):
        append_trimmed(text, x, y, out)
    return out


def chunk_document(
    doc: Document,
    *,
    size: int,
    overlap: int,
    model_tokens: Callable[[str], int] | None = None,
    model_max: int | None = None,
) -> list[Chunk]:
    """Pack whole sentences into chunks of about ``size`` cl100k tokens.

    Consecutive chunks share trailing sentences worth up to ``overlap``
    tokens. With ``model_tokens``/``model_max`` given, any chunk whose
    embedding text is too long for the model is split again.
    """
    if overlap >= size:
        raise ValueError("chunk overlap must be smaller than chunk size")
    enc = get_encoding()
    text = doc.text
    units: list[tuple[int, int, int]] = []  # (start, end, tokens)
    for a, b in sentence_spans(text):
        n = len(enc.encode_ordinary(text[a:b]))
        if n <= size:
            units.append((a, b, n))
        else:
            units.extend((x, y, len(enc.encode_ordinary(text[x:y]))) for x, y in _token_windows(text, a, b, size))

    groups: list[list[tuple[int, int, int]]] = []
    i = 0
    while i < len(units):
        group = [units[i]]
        total = units[i][2]
        j = i + 1
        while j < len(units) and total + units[j][2] <= size:
            group.append(units[j])
            total += units[j][2]
            j += 1
        groups.append(group)
        if j >= len(units):
            break
        # step back over trailing sentences worth <= overlap tokens (always advance by one at least)
        back, k = 0, j
        while k - 1 > i + 0 and back + units[k - 1][2] <= overlap:
            k -= 1
            back += units[k][2]
        i = max(k, i + 1)

    prefix = f"{doc.title}\n" if doc.title else ""
    spans: list[tuple[int, int, str]] = []
    for g in groups:
        spans.extend(_fit_model(text, g, prefix, model_tokens, model_max))
    return [
        Chunk(
            doc_path=doc.path,
            ordinal=n,
            text=text[a:b],
            start=a,
            end=b,
            tokens=len(enc.encode_ordinary(text[a:b])),
            embed_text=p + text[a:b],
        )
        for n, (a, b, p) in enumerate(spans)
    ]


def _fit_model(
    text: str,
    group: list[tuple[int, int, int]],
    prefix: str,
    model_tokens: Callable[[str], int] | None,
    model_max: int | None,
) -> Iterator[tuple[int, int, str]]:
    a, b = group[0][0], group[-1][1]
    if model_tokens is None or model_max is None or model_tokens(prefix + text[a:b]) <= model_max:
        yield (a, b, prefix)
        return
    if len(group) > 1:
        mid = len(group) // 2
        yield from _fit_model(text, group[:mid], prefix, model_tokens, model_max)
        yield from _fit_model(text, group[mid:], prefix, model_tokens, model_max)
        return
    # one sentence too long for the model: halve it on token boundaries until it fits
    pieces = _token_windows(text, a, b, max(1, group[0][2] // 2))
    if len(pieces) <= 1:
        if prefix:  # a huge title: drop it rather than truncate the text
            yield from _fit_model(text, group, "", model_tokens, model_max)
        else:
            yield (a, b, prefix)  # a single token longer than the model allows: nothing left to split
        return
    for x, y in pieces:
        yield from _fit_model(text, [(x, y, count_tokens(text[x:y]))], prefix, model_tokens, model_max)
