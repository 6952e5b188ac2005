"""The project's own BeautifulSoup rules for HTML: the fallback behind trafilatura.

Kept for what trafilatura is not made for: fragments and tiny pages with a
paragraph or two, where it finds nothing or falls back to a crude baseline
that keeps hidden text. The output is raw text for :func:`rag.ingest.cleaning.clean_text`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from typing import Any

from bs4 import BeautifulSoup, NavigableString, Tag
from bs4.element import Comment, Declaration, Doctype, ProcessingInstruction

from rag.ingest.dates import find_date
from rag.ingest.extraction import PageMeta, clean_title

_BLOCK_TAGS = frozenset(
    {
        "address", "article", "aside", "blockquote", "body", "dd", "details", "dialog", "div", "dl", "dt",
        "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header",
        "hgroup", "hr", "li", "main", "nav", "ol", "p", "pre", "section", "summary", "table", "tbody", "td",
        "tfoot", "th", "thead", "tr", "ul",
    }
)  # fmt: skip
_DROP_TAGS = frozenset({
    "script", "style", "noscript", "template", "svg", "canvas", "iframe", "object", "embed", "video", "audio",
    "form", "button", "select", "input", "textarea", "nav", "aside", "figcaption",
})  # fmt: skip
_NOT_TEXT = (Comment, Declaration, Doctype, ProcessingInstruction)
_JUNK_CLASS_RE = re.compile(
    r"(?:^|[\s_-])(?:cookies?|consent|gdpr|newsletter|subscribe|subscription|promo|related|"
    r"share|sharing|social|advert\w*|ads?|banner|popup|modal|breadcrumbs?|comments?|"
    r"recommended|most-read|trending|paywall)(?:$|[\s_-])",
    re.IGNORECASE,
)


def _attr(tag: Tag, name: str) -> str | None:
    value = tag.get(name)
    if value is None:
        return None
    text = " ".join(value) if isinstance(value, list) else str(value)
    return text.strip() or None


def _meta_content(soup: BeautifulSoup, *keys: str) -> str | None:
    wanted = {k.lower() for k in keys}
    for tag in soup.find_all("meta"):
        key = (_attr(tag, "property") or _attr(tag, "name") or _attr(tag, "itemprop") or "").lower()
        if key in wanted:
            content = _attr(tag, "content")
            if content:
                return " ".join(content.split())
    return None


def _json_ld(soup: BeautifulSoup) -> list[dict[str, Any]]:
    """schema.org objects from JSON-LD blocks; malformed blocks are ignored."""
    found: list[dict[str, Any]] = []
    for tag in soup.find_all("script", attrs={"type": "application/ld+json"}):
        try:
            data = json.loads(tag.get_text())
        except ValueError:
            continue
        stack = data if isinstance(data, list) else [data]
        while stack:
            item = stack.pop(0)
            if isinstance(item, dict):
                found.append(item)
                graph = item.get("@graph")
                if isinstance(graph, list):
                    stack.extend(graph)
    return found


def _html_meta(soup: BeautifulSoup) -> PageMeta:
    ld = _json_ld(soup)

    def ld_value(key: str) -> str | None:
        for item in ld:
            value = item.get(key)
            if isinstance(value, dict):
                value = value.get("name")
            if isinstance(value, str) and value.strip():
                return " ".join(value.split())
        return None

    title_tag = soup.find("title")
    page_title = " ".join(title_tag.get_text(" ").split()) if isinstance(title_tag, Tag) else ""
    site = _meta_content(soup, "og:site_name", "application-name") or ld_value("publisher")
    url = _canonical_url(soup)
    site_like = {(site or "").lower(), (clean_title(site, site, url) or "").lower()} - {""}
    headings = (" ".join(h.get_text(" ").split()) for h in soup.find_all("h1") if isinstance(h, Tag))
    h1_text = next((h for h in headings if h and h.lower() not in site_like), "")  # not the site's logo
    og_title = _meta_content(soup, "og:title", "twitter:title")
    title = (
        h1_text
        or clean_title(og_title, site, url)
        or ld_value("headline")
        or (clean_title(page_title, site, url) if site or url else _strip_site_suffix(page_title, site))
        or None
    )

    date_text = _meta_content(
        soup, "article:published_time", "datePublished", "date", "pubdate", "publishdate",
        "dc.date", "dc.date.issued", "dcterms.created", "parsely-pub-date", "sailthru.date",
    ) or ld_value("datePublished")  # fmt: skip
    if date_text is None:
        time_tag = soup.find("time")
        if isinstance(time_tag, Tag):
            date_text = _attr(time_tag, "datetime") or time_tag.get_text(" ")
    date = find_date(date_text) if date_text else None
    return PageMeta(title=title, date=date, url=url, site_name=site)


def _canonical_url(soup: BeautifulSoup) -> str | None:
    for link in soup.find_all("link"):
        rel: Any = link.get("rel") or []
        rels = rel if isinstance(rel, list) else str(rel).split()
        href = _attr(link, "href")
        if "canonical" in [r.lower() for r in rels] and href and re.match(r"https?://", href):
            return href
    og_url = _meta_content(soup, "og:url")
    return og_url if og_url and re.match(r"https?://", og_url) else None


def _strip_site_suffix(title: str, site: str | None) -> str:
    """``"Headline | Site"`` → ``"Headline"``: the site name is not part of the headline."""
    parts = re.split(r"\s+[|–—-]\s+", title)
    if len(parts) > 1 and (site is None or parts[-1].strip().lower() == site.lower()):
        return " - ".join(parts[:-1]).strip()
    return title.strip()


MIN_ROOT_CHARS = 200  # a "see also" box or an <article> holding only <meta> tags is not the article
MAX_ROOT_CANDIDATES = 20  # a real page has a few <article>/<main> elements; a hostile one, thousands nested


def _outermost(root: Tag, wanted: Callable[[Tag], bool]) -> list[Tag]:
    """Tags under ``root`` that are ``wanted`` and not inside another wanted one, in document order.

    A stack walk, not ``find_all``: work on each found tag then covers the page once, not once per level of a
    page nested thousands deep.
    """
    found: list[Tag] = []
    stack: list[Iterator[Any]] = [iter(root.children)]
    while stack:
        child = next(stack[-1], None)
        if child is None:
            stack.pop()
        elif isinstance(child, Tag):
            if wanted(child):
                found.append(child)
            else:
                stack.append(iter(child.children))
    return found


def _paragraph_chars(tag: Tag) -> int:
    return sum(len(p.get_text(" ", strip=True)) for p in _outermost(tag, lambda t: t.name == "p"))


def _text_sizes(root: Tag) -> dict[int, int]:
    """``len(tag.get_text(" ", strip=True))`` for every tag under ``root`` (by ``id``), in one pass."""
    sizes: dict[int, int] = {}
    pieces: dict[int, tuple[int, int]] = {}  # id → (characters, non-blank strings) so far
    stack: list[tuple[Tag, Iterator[Any]]] = [(root, iter(root.children))]
    while stack:
        tag, children = stack[-1]
        child = next(children, None)
        if child is None:
            stack.pop()
            chars, count = pieces.pop(id(tag), (0, 0))
            sizes[id(tag)] = chars + max(count - 1, 0)
            if stack:
                parent = id(stack[-1][0])
                p_chars, p_count = pieces.get(parent, (0, 0))
                pieces[parent] = (p_chars + chars, p_count + count)
        elif isinstance(child, Tag):
            stack.append((child, iter(child.children)))
        elif isinstance(child, NavigableString) and not isinstance(child, _NOT_TEXT):
            text = child.strip()
            if text:
                chars, count = pieces.get(id(tag), (0, 0))
                pieces[id(tag)] = (chars + len(text), count + 1)
    return sizes


def _pick_root(soup: BeautifulSoup) -> Tag:
    """The <article>, <main> or role=main element with the most paragraph text, else <body>.

    Nested candidates (an <article> inside <main>) go to the inner one when it holds
    most of the text: the outer one usually adds related-story teasers.
    """
    candidates = [t for t in soup.find_all(["article", "main"], limit=MAX_ROOT_CANDIDATES) if isinstance(t, Tag)]
    candidates += [
        t
        for t in soup.find_all(True, attrs={"role": "main"}, limit=MAX_ROOT_CANDIDATES)
        if isinstance(t, Tag) and all(t is not c for c in candidates)  # identity: bs4's == compares whole trees
    ]
    scored = [(_paragraph_chars(t), t) for t in candidates]
    body = soup.body if isinstance(soup.body, Tag) else soup
    body_chars = _paragraph_chars(body)
    scored = [(n, t) for n, t in scored if n >= MIN_ROOT_CHARS or (n and n * 2 >= body_chars)]
    if not scored:
        return body
    best_chars, best = max(scored, key=lambda x: x[0])
    inner = [
        (n, t) for n, t in scored if t is not best and any(p is best for p in t.parents) and n * 10 >= best_chars * 7
    ]
    return min(inner, key=lambda x: x[0])[1] if inner else best


def soup_extract(raw: str) -> tuple[str, PageMeta]:
    """Main article text with one paragraph per block element, plus page metadata."""
    soup = BeautifulSoup(raw, "html.parser")
    meta = _html_meta(soup)
    root = _pick_root(soup)
    page_furniture = _DROP_TAGS | ({"header", "footer"} if root.name in ("body", "[document]") else set())
    for tag in _outermost(root, lambda t: t.name in page_furniture):  # no article element: header, footer too
        tag.decompose()
    sizes = _text_sizes(root)
    root_chars = sizes[id(root)]

    def widget(tag: Tag) -> bool:
        classes = " ".join([_attr(tag, "class") or "", _attr(tag, "id") or ""])
        style = (_attr(tag, "style") or "").replace(" ", "").lower()
        hidden = tag.has_attr("hidden") or _attr(tag, "aria-hidden") == "true" or "display:none" in style
        # a junk-looking class on a wrapper holding most of the page is a theme flag, not a widget
        return hidden or bool(_JUNK_CLASS_RE.search(classes) and sizes[id(tag)] * 2 < root_chars)

    for tag in _outermost(root, widget):
        tag.decompose()

    lines = [line.strip() for line in _block_text(root).split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip(), meta


def _block_text(root: Tag) -> str:
    """The text under ``root``, blank lines around block elements, walked with a stack.

    Not recursive: a page nested a thousand elements deep would exceed Python's recursion limit.
    """
    parts: list[str] = []
    stack: list[Any] = [iter(root.children)]  # iterators over children, and "\n\n" to close a block
    while stack:
        top = stack[-1]
        if isinstance(top, str):
            parts.append(stack.pop())
            continue
        child = next(top, None)
        if child is None:
            stack.pop()
        elif isinstance(child, _NOT_TEXT):
            continue
        elif isinstance(child, NavigableString):
            parts.append(re.sub(r"\s+", " ", str(child)))
        elif isinstance(child, Tag):
            if child.name == "br":
                parts.append("\n")
            elif child.name in _BLOCK_TAGS:
                parts.append("\n\n")
                stack += ["\n\n", iter(child.children)]
            else:
                stack.append(iter(child.children))
    return "".join(parts)
