"""HTML pages → the article's paragraphs and metadata, by trafilatura.

On 91 real article pages (the ScrapingHub article-extraction benchmark, see
``benchmarks/results/extraction.md``) trafilatura finds the article body far
more reliably than hand-written rules, and htmldate underneath it reads the
publication date from the page's markup. Its text is kept as it comes, one
paragraph per block: the line rules written for scraped plain text remove real
article lines here (they lowered trafilatura's body F1 from 0.953 to 0.933).
The project's BeautifulSoup rules (:mod:`rag.ingest.soup`) remain the fallback for
fragments and tiny pages, where trafilatura finds nothing or very little.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import dataclass
from typing import Any

from rag.ingest.outlets import host_of, registrable_domain

log = logging.getLogger(__name__)

#: trafilatura's own minimum output size: below it, it falls back to a crude baseline that keeps
#: hidden and newsletter text, so the project's fallback rules get a look as well
MIN_ARTICLE_CHARS = 250
_BLOCK_TAGS = frozenset({"p", "head", "item", "list", "quote", "code", "table", "row", "div", "body", "main"})
_SKIP_TAGS = frozenset({"graphic", "ref-target", "note"})
#: text a reader never sees is not the article (trafilatura's crude baseline for short pages keeps it)
_STYLE = "translate(@style, ' ', '')"
HIDDEN_XPATH = (  # one path with one predicate: three '|'-joined paths cost 10 ms a page
    f"//*[@hidden or @aria-hidden='true' or (@style and (contains({_STYLE}, 'display:none') "
    f"or contains({_STYLE}, 'visibility:hidden')))]"
)


@dataclass
class PageMeta:
    """Metadata a page states about itself (HTML tags, front matter, header line)."""

    title: str | None = None
    date: str | None = None  # ISO YYYY-MM-DD
    url: str | None = None
    site_name: str | None = None
    author: str | None = None


def extract_article(raw: str, url: str | None = None) -> tuple[str, PageMeta]:
    """The article body (paragraphs separated by blank lines) and the page's metadata.

    ``url`` is where the page came from, when known (a fetched page): it helps
    trafilatura and becomes the document's URL when the page names no canonical one.
    Returns ``("", meta)`` when trafilatura finds no article.
    """
    import trafilatura
    from trafilatura.metadata import extract_metadata
    from trafilatura.utils import load_html

    for name in ("trafilatura", "htmldate", "courlan"):  # they log an ERROR for every odd page; ours is one line
        logging.getLogger(name).setLevel(logging.CRITICAL)
    tree = load_html(raw)
    if tree is None:
        return "", PageMeta(url=url)
    try:
        found = extract_metadata(tree, default_url=url, date_config=_date_params())
    except Exception as exc:  # noqa: BLE001 - a metadata bug must not cost the article text
        log.debug("trafilatura metadata failed: %s", exc)
        found = None
    doc = trafilatura.bare_extraction(
        tree,
        url=url,
        include_comments=False,  # reader comments are not the article
        favor_precision=True,  # measured: body F1 0.975 against 0.965 with the default balance
        include_tables=True,
        with_metadata=False,
        prune_xpath=HIDDEN_XPATH,
    )
    body = getattr(doc, "body", None) if doc is not None else None
    text = body_text(body) if body is not None else ""
    meta = PageMeta(url=url)
    if found is not None:
        meta = PageMeta(
            title=_clean(found.title),
            date=_clean(found.date),
            url=_http_url(found.url) or url,
            site_name=_clean(found.sitename),
            author=_clean(found.author),
        )
    return text, meta


def _date_params() -> dict[str, Any]:
    # extensive_search off: htmldate otherwise turns a bare year in a headline into 1 January of it
    return {
        "original_date": True,
        "extensive_search": False,
        "max_date": dt.date.today().isoformat(),
        "outputformat": "%Y-%m-%d",
    }


def _clean(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    text = " ".join(value.split())
    return text or None


def _http_url(value: object) -> str | None:
    text = _clean(value)
    return text if text and re.match(r"https?://", text, re.IGNORECASE) else None


def body_text(body: Any) -> str:
    """trafilatura's XML body → one paragraph per block element, line breaks kept inside them."""
    parts: list[str] = []

    def walk(el: Any) -> None:
        tag = el.tag if isinstance(el.tag, str) else ""
        if tag in _SKIP_TAGS:
            return
        if tag == "lb":
            parts.append("\n")
            return
        block = tag in _BLOCK_TAGS
        if block:
            parts.append("\n\n")
        elif tag == "cell" and parts and not parts[-1].endswith("\n\n"):
            parts.append(" | ")
        if el.text:
            parts.append(el.text)
        for child in el:
            walk(child)
            if child.tail:
                parts.append(child.tail)
        if block:
            parts.append("\n\n")

    walk(body)
    paragraphs = []
    for block in re.split(r"\n\s*\n", "".join(parts)):
        lines = [" ".join(line.split()) for line in block.split("\n")]
        paragraph = "\n".join(line for line in lines if line)
        if paragraph:
            paragraphs.append(paragraph)
    return "\n\n".join(paragraphs)


# --------------------------------------------------------------------------
# Titles
# --------------------------------------------------------------------------

_TITLE_SEPARATOR_RE = re.compile(r"\s+(?:[|–—·•»~]|-{1,2}|::)\s+")


def _squash(text: str) -> str:
    return re.sub(r"[\W_]+", "", text.lower())


def _site_names(site_name: str | None, url: str | None) -> set[str]:
    names = {_squash(site_name)} if site_name else set()
    host = host_of(url) if url else None
    if host:
        domain = registrable_domain(host)
        names |= {_squash(domain), _squash(domain.split(".")[0])}
    return {n for n in names if len(n) >= 3}


def _is_site(part: str, names: set[str]) -> bool:
    squashed = _squash(part)
    if len(squashed) < 3:
        return False
    # "Inexhibit" names "Inexhibit magazine" and "SpaceNews.com" names spacenews.com, but
    # "The Guardian view on Hong Kong" is a headline that merely starts with the site's name
    return any(
        squashed == n or n.startswith(squashed) or (squashed.startswith(n) and len(squashed) <= len(n) + 6)
        for n in names
    )


def clean_title(title: str | None, site_name: str | None, url: str | None) -> str | None:
    """``"Headline | Site"``, ``"Site - Headline"``, ``"Site: Headline"`` → ``"Headline"``.

    Only a part that names the site (its declared name or its domain) is cut,
    so "Brexit: what happens next" keeps both halves.
    """
    if not title:
        return None
    title = " ".join(title.split())
    names = _site_names(site_name, url)
    if not names:
        return title
    if site_name and title.lower().startswith(site_name.lower()):  # "LinkNaija | News platform: Headline"
        rest = title[len(site_name) :].lstrip()
        if rest[:1] in (":", "|", "-", "–", "—") and len(rest) > 12:
            title = rest[1:].strip()
    while True:  # cut site-name parts off either end, keeping the separators between the others
        cuts = list(_TITLE_SEPARATOR_RE.finditer(title))
        if not cuts:
            break
        if _is_site(title[cuts[-1].end() :], names):
            title = title[: cuts[-1].start()]
        elif _is_site(title[: cuts[0].start()], names):
            title = title[cuts[0].end() :]
        else:
            break
    return title or None
