"""Markdown → plain text with paragraph breaks, and the metadata its front matter gives."""

from __future__ import annotations

import re

from rag.ingest.dates import find_date
from rag.ingest.extraction import PageMeta

_FRONT_MATTER_RE = re.compile(r"\A---[ \t]*\n(.*?)\n(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.DOTALL)
_ATX_RE = re.compile(r"^ {0,3}(#{1,6})\s+(.*?)(?:\s+#+)?\s*$")
_SETEXT_RE = re.compile(r"^ {0,3}(=+|-+)\s*$")
_FENCE_RE = re.compile(r"^ {0,3}(```|~~~)")
_LIST_RE = re.compile(r"^\s*(?:[-*+]|\d{1,3}[.)])\s+")
_RULE_RE = re.compile(r"^\s*(?:[-*_]\s*){3,}$")
_TABLE_RULE_RE = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(?:\|\s*:?-{3,}:?\s*)*\|?\s*$")
_REF_DEF_RE = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*\S+.*$")


def _strip_inline_markdown(line: str) -> str:
    line = re.sub(r"!\[[^\]]*\]\([^)]*\)", "", line)  # images carry no article text
    line = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", line)  # [text](url) → text
    line = re.sub(r"\[([^\]]+)\]\[[^\]]*\]", r"\1", line)  # [text][ref] → text
    line = re.sub(r"<(https?://[^>]+)>", r"\1", line)
    line = re.sub(r"</?[A-Za-z][^>]*>", "", line)  # inline HTML tags
    line = re.sub(r"`([^`]+)`", r"\1", line)
    line = re.sub(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1", r"\2", line)
    line = re.sub(r"(?<![\w*])\*(?=\S)(.+?)(?<=\S)\*(?![\w*])", r"\1", line)
    line = re.sub(r"(?<!\w)_(?=\S)(.+?)(?<=\S)_(?!\w)", r"\1", line)
    line = re.sub(r"~~(.+?)~~", r"\1", line)
    return line


def _front_matter(raw: str) -> tuple[PageMeta, str]:
    m = _FRONT_MATTER_RE.match(raw)
    if not m:
        return PageMeta(), raw
    fields: dict[str, str] = {}
    for line in m.group(1).split("\n"):
        key, sep, value = line.partition(":")
        if sep and value.strip():
            fields[key.strip().lower()] = value.strip().strip("'\"")
    url = next((fields[k] for k in ("url", "canonical", "link", "source_url") if k in fields), None)
    date = next((fields[k] for k in ("date", "published", "pubdate") if k in fields), None)
    meta = PageMeta(
        title=fields.get("title"),
        date=find_date(date) if date else None,
        url=url if url and re.match(r"https?://", url) else None,
        site_name=fields.get("publisher") or fields.get("site") or fields.get("site_name"),
    )
    return meta, raw[m.end() :]


def markdown_to_text(raw: str) -> tuple[str, PageMeta]:
    """Light Markdown stripping: headings become lines, links their text, soft wraps are joined."""
    meta, raw = _front_matter(raw)
    paragraphs: list[str] = []
    current: list[str] = []
    headings: list[tuple[int, str]] = []  # (level, text)
    in_fence = False

    def flush() -> None:
        if current:
            paragraphs.append(" ".join(current))
            current.clear()

    for line in raw.split("\n"):
        if _FENCE_RE.match(line):
            flush()
            in_fence = not in_fence
            continue
        if in_fence:
            paragraphs.append(line)
            continue
        setext = _SETEXT_RE.match(line)
        if setext and len(current) == 1:  # "Title\n=====": the line above is a heading
            headings.append((1 if setext.group(1)[0] == "=" else 2, current[0]))
            flush()
            continue
        if not line.strip() or _RULE_RE.match(line) or _TABLE_RULE_RE.match(line) or _REF_DEF_RE.match(line):
            flush()
            continue
        atx = _ATX_RE.match(line)
        if atx:
            flush()
            text = _strip_inline_markdown(atx.group(2)).strip()
            headings.append((len(atx.group(1)), text))
            paragraphs.append(text)
            continue
        line = re.sub(r"^\s*>\s?", "", line)
        if _LIST_RE.match(line):
            flush()
            line = _LIST_RE.sub("", line)
        current.append(_strip_inline_markdown(line).strip())
    flush()
    if meta.title is None and headings:
        meta.title = min(headings, key=lambda h: h[0])[1] or None  # the first top-level heading
    return "\n\n".join(p for p in paragraphs if p.strip()), meta
