"""Files → clean documents with source metadata.

Scraped news pages arrive with their furniture still attached: navigation and
icon word lists, promo blocks, cookie notices, tag lists, mastheads and whole
bodies repeated twice. Anything left in ``Document.text`` gets embedded and can
be cited, so it is removed here with general line-based rules (never special
cases per file) that apply equally to the seeds and to the articles users add.
HTML goes through BeautifulSoup first and Markdown is lightly stripped, so all
three formats share the same cleaning rules.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bs4 import BeautifulSoup, NavigableString, Tag
from bs4.element import Comment, Declaration, Doctype, ProcessingInstruction

from rag.errors import InputError

#: bump when the cleaning rules change: every document is then cleaned and indexed again
CLEANING_VERSION = 1


@dataclass(frozen=True)
class Document:
    """A cleaned article. ``text`` is what gets chunked; spans index into it."""

    source: str  # the file name, e.g. "000_2e59.txt"
    path: str  # absolute path: the document's identity in the index
    text: str
    title: str | None = None
    publisher: str | None = None
    date: str | None = None  # ISO YYYY-MM-DD
    url: str | None = None


TEXT_SUFFIXES = frozenset({".txt", ".text"})
MARKDOWN_SUFFIXES = frozenset({".md", ".markdown"})
HTML_SUFFIXES = frozenset({".html", ".htm", ".xhtml"})
SUPPORTED_SUFFIXES: frozenset[str] = TEXT_SUFFIXES | MARKDOWN_SUFFIXES | HTML_SUFFIXES

MAX_FILE_BYTES = 20 * 1024 * 1024  # a news article is kilobytes; anything this big is not one

# --------------------------------------------------------------------------
# Files
# --------------------------------------------------------------------------


def _supported_list() -> str:
    return " ".join(sorted(SUPPORTED_SUFFIXES))


def iter_files(paths: Iterable[Path]) -> Iterator[tuple[Path, str | None]]:
    """Yield ``(path, None)`` per usable file, ``(path, warning)`` per unusable one.

    Warnings instead of exceptions so one bad path in a batch never stops the
    others; folders are walked in sorted order so indexing is reproducible.
    """
    seen_dirs: set[Path] = set()
    for path in paths:
        path = Path(path)
        if path.is_dir():
            yield from _walk(path, seen_dirs)
        elif not path.exists():
            yield path, f"{path}: no such file or folder, skipped"
        else:
            warning = _unsupported_warning(path)
            yield path, warning


def _unsupported_warning(path: Path) -> str | None:
    if path.suffix.lower() in SUPPORTED_SUFFIXES:
        return None
    kind = f"'{path.suffix}'" if path.suffix else "without a suffix"
    return f"{path}: unsupported file type {kind} (supported: {_supported_list()}), skipped"


def _walk(folder: Path, seen_dirs: set[Path]) -> Iterator[tuple[Path, str | None]]:
    try:
        real = folder.resolve()
        if real in seen_dirs:  # symlink loop or the same folder given twice
            return
        seen_dirs.add(real)
        children = sorted(folder.iterdir(), key=lambda p: p.name)
    except OSError as exc:
        yield folder, f"{folder}: cannot list folder ({exc.strerror or exc}), skipped"
        return
    for child in children:
        if child.name.startswith("."):
            continue
        if child.is_dir():
            yield from _walk(child, seen_dirs)
        elif child.is_file():
            yield child, _unsupported_warning(child)


def read_document(path: Path) -> Document:
    """Read one file into a cleaned :class:`Document`; any problem is an :class:`InputError`."""
    path = Path(path)
    if path.is_dir():
        raise InputError(f"{path}: is a folder, not a file")
    if path.suffix.lower() not in SUPPORTED_SUFFIXES:
        raise InputError(_unsupported_warning(path) or f"{path}: unsupported file type")
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise InputError(f"{path}: file is too large ({size // (1024 * 1024)} MiB) to be an article")
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{path}: file not found") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read file ({exc.strerror or exc})") from None
    raw = _decode(data, path)
    return parse_document(raw, source=path.name, path=str(path.resolve()), suffix=path.suffix)


def _decode(data: bytes, path: Path) -> str:
    if not data.strip():
        raise InputError(f"{path}: file is empty")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InputError(f"{path}: file is UTF-16; save it as UTF-8 and try again")
    if b"\x00" in data:
        raise InputError(f"{path}: looks like a binary file, not text")
    try:
        raw = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{path}: not valid UTF-8 (bad byte at offset {exc.start}); save it as UTF-8 and try again"
        ) from None
    controls = sum(1 for ch in raw if unicodedata.category(ch) == "Cc" and ch not in "\t\n\r\f\v")
    if controls > max(2, len(raw) // 200):
        raise InputError(f"{path}: looks like a binary file, not text")
    if not raw.strip():
        raise InputError(f"{path}: file is empty")
    return raw


# --------------------------------------------------------------------------
# Parsing
# --------------------------------------------------------------------------


@dataclass
class _Meta:
    """Metadata a page states about itself (HTML tags, front matter, header line)."""

    title: str | None = None
    date: str | None = None
    url: str | None = None
    site_name: str | None = None


def parse_document(raw: str, *, source: str, path: str, suffix: str = ".txt") -> Document:
    """Turn raw file content into a :class:`Document`; pure, so tests need no files."""
    suffix = suffix.lower()
    raw = _normalise(raw)
    if suffix in HTML_SUFFIXES or (suffix not in MARKDOWN_SUFFIXES and _looks_like_html(raw)):
        body, meta = _html_to_text(raw)
    elif suffix in MARKDOWN_SUFFIXES:
        body, meta = _markdown_to_text(raw)
    else:
        body, meta = raw, _Meta()

    header_date, header_url = _parse_header(body)
    text = clean_text(body)
    if not text:
        raise InputError(f"{source}: no article text left after removing page furniture")

    if meta.title and meta.title not in text.split("\n\n"):
        # A structural headline (<h1>, "# Title", front matter) is article text even when it is
        # too short to pass the line rules, which cannot tell "Budget passes" from "Top stories".
        text = f"{meta.title}\n\n{text}"
    url = header_url or meta.url
    date = header_date or meta.date or find_date(_without_header(body))
    title = meta.title or _guess_title(text)
    publisher = _publisher(url, meta.site_name, body)
    return Document(source=source, path=path, text=text, title=title, publisher=publisher, date=date, url=url)


def _looks_like_html(raw: str) -> bool:
    head = raw.lstrip()[:200].lower()
    return head.startswith(("<!doctype html", "<html"))


_HEADER_RE = re.compile(r"^\s*date\s+(\d{4}-\d{2}-\d{2})\b(.*)$")


def _first_nonblank_index(lines: list[str]) -> int | None:
    for i, line in enumerate(lines):
        if line.strip():
            return i
    return None


def _parse_header(text: str) -> tuple[str | None, str | None]:
    """The scraper's ``" date YYYY-MM-DD [URL] [junk]"`` first line, if present."""
    lines = text.split("\n")
    i = _first_nonblank_index(lines)
    if i is None:
        return None, None
    m = _HEADER_RE.match(lines[i])
    if not m:
        return None, None
    date = _iso_if_valid(m.group(1))
    url = next((tok for tok in m.group(2).split() if re.match(r"https?://", tok)), None)
    return date, url


def _without_header(text: str) -> str:
    lines = text.split("\n")
    i = _first_nonblank_index(lines)
    if i is not None and _HEADER_RE.match(lines[i]):
        del lines[i]
    return "\n".join(lines)


# --------------------------------------------------------------------------
# Dates
# --------------------------------------------------------------------------

_MONTHS = {
    "january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6,
    "july": 7, "august": 8, "september": 9, "october": 10, "november": 11, "december": 12,
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8,
    "sep": 9, "sept": 9, "oct": 10, "nov": 11, "dec": 12,
}  # fmt: skip
_MONTH = "|".join(sorted(_MONTHS, key=len, reverse=True))
_DATE_RE = re.compile(
    rf"""(?<![\w-])(?:
        (?P<iy>\d{{4}})-(?P<im>\d{{2}})-(?P<id>\d{{2}})(?![\d-])
      | (?P<dd>\d{{1,2}})(?:st|nd|rd|th)?\s+(?P<dm>{_MONTH})\.?,?\s+(?P<dy>\d{{4}})(?!\d)
      | (?P<mm>{_MONTH})\.?\s+(?P<md>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<my>\d{{4}})(?!\d)
    )""",
    re.IGNORECASE | re.VERBOSE,
)


def _iso_if_valid(text: str) -> str | None:
    try:
        day = dt.date.fromisoformat(text[:10])
    except ValueError:
        return None
    return day.isoformat() if 1900 <= day.year <= 2100 else None


def _match_to_iso(m: re.Match[str]) -> str | None:
    if m.group("iy"):
        y, mo, d = int(m.group("iy")), int(m.group("im")), int(m.group("id"))
    elif m.group("dd"):
        y, mo, d = int(m.group("dy")), _MONTHS[m.group("dm").lower()], int(m.group("dd"))
    else:
        y, mo, d = int(m.group("my")), _MONTHS[m.group("mm").lower()], int(m.group("md"))
    try:
        day = dt.date(y, mo, d)
    except ValueError:
        return None
    return day.isoformat() if 1900 <= y <= 2100 else None


def find_date(text: str) -> str | None:
    """The first full date (day, month and year) in ``text`` as ISO ``YYYY-MM-DD``."""
    for m in _DATE_RE.finditer(text):
        iso = _match_to_iso(m)
        if iso:
            return iso
    return None


# --------------------------------------------------------------------------
# Publisher
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Outlet:
    name: str
    domains: tuple[str, ...]
    mastheads: tuple[str, ...] = ()  # regexes matched against the raw page text


_OUTLETS: tuple[_Outlet, ...] = (
    _Outlet(
        "Sputnik",
        ("sputniknews.com", "sputnikglobe.com", "sputniknews.ru"),
        (r"\bSputnik International\s+feedback@", r"\bfeedback@sputnik(?:news|globe)\.com\b"),
    ),
    _Outlet(
        "RT",
        ("rt.com",),
        (r"Autonomous Nonprofit Organization\W+TV-Novosti", r"\bRT News App\b", r"\bRead RT Privacy policy\b"),
    ),
    _Outlet(
        "Ukrainska Pravda",
        ("pravda.com.ua",),
        (r"\bSupport Ukrainska Pravda\b", r"©\s*(?:\d{4}[–-]\d{4}\s*)?Ukrainska Pravda\b"),
    ),
    _Outlet(
        "President of the Republic of Belarus",
        ("president.gov.by",),
        (r"Official (?:Internet )?(?:Portal|website) of the President of the Republic of Belarus",),
    ),
    _Outlet("BelTA", ("belta.by",), (r"©\s*BelTA\b",)),
    _Outlet("TASS", ("tass.com", "tass.ru")),
    _Outlet("Reuters", ("reuters.com",), (r"Reuters, the news and media division of Thomson Reuters",)),
    _Outlet("Associated Press", ("apnews.com",), (r"Copyright \d{4} The Associated Press",)),
    _Outlet("BBC", ("bbc.co.uk", "bbc.com"), (r"Copyright ©\s*\d{4} BBC\b",)),
    _Outlet("The Guardian", ("theguardian.com",), (r"©\s*\d{4} Guardian News & Media",)),
    _Outlet("Al Jazeera", ("aljazeera.com",)),
    _Outlet("The Kyiv Independent", ("kyivindependent.com",)),
    _Outlet("Meduza", ("meduza.io",)),
)

_SECOND_LEVEL = {"co", "com", "org", "net", "gov", "ac", "edu", "gv", "or", "ne", "go"}


def _host(url: str) -> str | None:
    try:
        host = urlsplit(url).hostname
    except ValueError:
        return None
    return host.lower().rstrip(".") if host else None


def registrable_domain(host: str) -> str:
    """``news.example.co.uk`` → ``example.co.uk``: the name a reader would recognise."""
    host = host.lower().rstrip(".").removeprefix("www.")
    labels = host.split(".")
    if len(labels) <= 2 or all(label.isdigit() for label in labels):
        return host
    if len(labels[-1]) == 2 and labels[-2] in _SECOND_LEVEL:
        return ".".join(labels[-3:])
    return ".".join(labels[-2:])


def _publisher(url: str | None, site_name: str | None, page: str) -> str | None:
    """Known outlet by URL, then the page's own site name, then a masthead, then the domain."""
    host = _host(url) if url else None
    if host:
        for outlet in _OUTLETS:
            if any(host == d or host.endswith("." + d) for d in outlet.domains):
                return outlet.name
    if site_name:
        return site_name
    best: tuple[int, str] | None = None
    for outlet in _OUTLETS:
        hits = sum(len(re.findall(p, page)) for p in outlet.mastheads)
        if hits and (best is None or hits > best[0]):
            best = (hits, outlet.name)
    if best:
        return best[1]
    return registrable_domain(host) if host else None


# --------------------------------------------------------------------------
# HTML and Markdown → plain text with paragraph breaks
# --------------------------------------------------------------------------

_BLOCK_TAGS = frozenset(
    {
        "address", "article", "aside", "blockquote", "body", "dd", "details", "dialog", "div", "dl", "dt",
        "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header",
        "hgroup", "hr", "li", "main", "nav", "ol", "p", "pre", "section", "summary", "table", "tbody", "td",
        "tfoot", "th", "thead", "tr", "ul",
    }
)  # fmt: skip
_DROP_TAGS = [
    "script", "style", "noscript", "template", "svg", "canvas", "iframe", "object", "embed", "video", "audio",
    "form", "button", "select", "input", "textarea", "nav", "aside", "figcaption",
]  # fmt: skip
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


def _html_meta(soup: BeautifulSoup) -> _Meta:
    ld = _json_ld(soup)

    def ld_value(key: str) -> str | None:
        for item in ld:
            value = item.get(key)
            if isinstance(value, dict):
                value = value.get("name")
            if isinstance(value, str) and value.strip():
                return " ".join(value.split())
        return None

    h1 = soup.find("h1")
    h1_text = " ".join(h1.get_text(" ").split()) if isinstance(h1, Tag) else ""
    title_tag = soup.find("title")
    page_title = " ".join(title_tag.get_text(" ").split()) if isinstance(title_tag, Tag) else ""
    site = _meta_content(soup, "og:site_name", "application-name") or ld_value("publisher")
    title = (
        h1_text
        or _meta_content(soup, "og:title", "twitter:title")
        or ld_value("headline")
        or _strip_site_suffix(page_title, site)
        or None
    )

    url = None
    for link in soup.find_all("link"):
        rel: Any = link.get("rel") or []
        rels = rel if isinstance(rel, list) else str(rel).split()
        href = _attr(link, "href")
        if "canonical" in [r.lower() for r in rels] and href and re.match(r"https?://", href):
            url = href
            break
    if url is None:
        og_url = _meta_content(soup, "og:url")
        url = og_url if og_url and re.match(r"https?://", og_url) else None

    date_text = _meta_content(
        soup, "article:published_time", "datePublished", "date", "pubdate", "publishdate",
        "dc.date", "dc.date.issued", "dcterms.created", "parsely-pub-date", "sailthru.date",
    ) or ld_value("datePublished")  # fmt: skip
    if date_text is None:
        time_tag = soup.find("time")
        if isinstance(time_tag, Tag):
            date_text = _attr(time_tag, "datetime") or time_tag.get_text(" ")
    date = find_date(date_text) if date_text else None
    return _Meta(title=title, date=date, url=url, site_name=site)


def _strip_site_suffix(title: str, site: str | None) -> str:
    """``"Headline | Site"`` → ``"Headline"``: the site name is not part of the headline."""
    parts = re.split(r"\s+[|–—-]\s+", title)
    if len(parts) > 1 and (site is None or parts[-1].strip().lower() == site.lower()):
        return " - ".join(parts[:-1]).strip()
    return title.strip()


def _pick_root(soup: BeautifulSoup) -> Tag:
    articles = [a for a in soup.find_all("article") if isinstance(a, Tag)]
    if articles:
        return max(articles, key=lambda a: len(a.get_text(" ", strip=True)))
    for candidate in (soup.find("main"), soup.find(role="main"), soup.body):
        if isinstance(candidate, Tag):
            return candidate
    return soup


def _html_to_text(raw: str) -> tuple[str, _Meta]:
    """Main article text with one paragraph per block element, plus page metadata."""
    soup = BeautifulSoup(raw, "html.parser")
    meta = _html_meta(soup)
    root = _pick_root(soup)
    for tag in root.find_all(_DROP_TAGS):
        tag.decompose()
    if root.name in ("body", "[document]"):  # no article element: page header/footer are site furniture
        for tag in root.find_all(["header", "footer"]):
            tag.decompose()
    root_chars = len(root.get_text(" ", strip=True))
    for tag in root.find_all(True):
        if tag.decomposed or tag.attrs is None:
            continue
        classes = " ".join([_attr(tag, "class") or "", _attr(tag, "id") or ""])
        style = (_attr(tag, "style") or "").replace(" ", "").lower()
        hidden = tag.has_attr("hidden") or _attr(tag, "aria-hidden") == "true" or "display:none" in style
        # a junk-looking class on a wrapper holding most of the page is a theme flag, not a widget
        if hidden or (_JUNK_CLASS_RE.search(classes) and len(tag.get_text(" ", strip=True)) * 2 < root_chars):
            tag.decompose()

    parts: list[str] = []

    def walk(node: Tag) -> None:
        for child in node.children:
            if isinstance(child, (Comment, Declaration, Doctype, ProcessingInstruction)):
                continue
            if isinstance(child, NavigableString):
                parts.append(re.sub(r"\s+", " ", str(child)))
            elif isinstance(child, Tag):
                if child.name == "br":
                    parts.append("\n")
                    continue
                block = child.name in _BLOCK_TAGS
                if block:
                    parts.append("\n\n")
                walk(child)
                if block:
                    parts.append("\n\n")

    walk(root)
    lines = [line.strip() for line in "".join(parts).split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip(), meta


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


def _front_matter(raw: str) -> tuple[_Meta, str]:
    m = _FRONT_MATTER_RE.match(raw)
    if not m:
        return _Meta(), raw
    fields: dict[str, str] = {}
    for line in m.group(1).split("\n"):
        key, sep, value = line.partition(":")
        if sep and value.strip():
            fields[key.strip().lower()] = value.strip().strip("'\"")
    url = next((fields[k] for k in ("url", "canonical", "link", "source_url") if k in fields), None)
    date = next((fields[k] for k in ("date", "published", "pubdate") if k in fields), None)
    meta = _Meta(
        title=fields.get("title"),
        date=find_date(date) if date else None,
        url=url if url and re.match(r"https?://", url) else None,
        site_name=fields.get("publisher") or fields.get("site") or fields.get("site_name"),
    )
    return meta, raw[m.end() :]


def _markdown_to_text(raw: str) -> tuple[str, _Meta]:
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


# --------------------------------------------------------------------------
# Cleaning
# --------------------------------------------------------------------------

_SPACES_RE = re.compile(r"[ \t\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]+")
_INVISIBLE_RE = re.compile(r"[\u00ad\u200b\u200c\u200d\u2060\ufeff]")


def _normalise(raw: str) -> str:
    raw = unicodedata.normalize("NFC", raw.replace("\r\n", "\n").replace("\r", "\n"))
    raw = _INVISIBLE_RE.sub("", raw)
    return "\n".join(_SPACES_RE.sub(" ", line).strip() for line in raw.split("\n"))


_TERMINAL_RE = re.compile(r"[.!?…][\"”’)\]]*$")
_URL_TOKEN_RE = re.compile(r"^(?:https?://|www\.)\S+$")
_EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
_PHONE_RE = re.compile(r"(?<![\w+])\+\d[\d ()-]{7,}\d(?!\w)")
_TIME_RE = re.compile(r"(?<!\d)\d{1,2}:\d{2}(?::\d{2})?(?:\s*[ap]\.?m\.?)?(?!\d)", re.IGNORECASE)
_ISO_STAMP_RE = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?")
_DAY_MONTH_RE = re.compile(rf"\b(?:\d{{1,2}}\s+(?:{_MONTH})|(?:{_MONTH})\.?\s+\d{{1,2}})\b", re.IGNORECASE)
_STAMP_WORDS_RE = re.compile(
    r"\b(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|mon|tue|wed|thu|fri|sat|sun|"
    r"updated|published|posted|last|modified|on|at|gmt|utc|msk|cet|cest|eet|eest|bst|est|edt|pst|pdt|"
    r"kyiv|moscow|minsk|time)\b",
    re.IGNORECASE,
)
_LANGUAGES = frozenset(
    {
        "english", "русский", "українська", "беларуская", "español", "deutsch", "français", "italiano",
        "português", "polski", "türkçe", "عربي", "العربية", "中文", "日本語", "srpski", "српски",
        "eng", "rus", "ukr", "bel", "esp", "deu", "fra", "en", "ru", "uk", "be", "es", "de", "fr",
    }
)  # fmt: skip

_PROMO_HEADING_RE = re.compile(
    r"^(?:top stories|top news|\w+ features|features|podcasts|all podcasts|most read|most popular|"
    r"most viewed|trending(?: now| stories)?|related(?: articles| stories| news| content| posts)?|"
    r"more stories|more news|more to read|more from [\w ]{1,30}|you (?:may|might) also like|"
    r"recommended(?: for you| stories)?|editor[’']?s picks|latest(?: news| stories)?|"
    r"popular(?: now| stories)?|don[’']t miss|in other news|also on [\w ]{1,30})\s*:?$",
    re.IGNORECASE,
)
# Lines that are furniture wherever they appear (checked before any joining).
_FURNITURE_RES = tuple(
    re.compile(p, flags)
    for p, flags in (
        (r"^Home(?=[A-Z])|^Home\s*[>›»/|]", 0),  # breadcrumbs: "HomeRussia & FSU"
        (r"^support us\b", re.IGNORECASE),
        (r"\bbecome (?:our|a) (?:patron|member|supporter|subscriber)\b", re.IGNORECASE),
        (r"\bsubscribe to (?:our|the)\b.{0,40}\b(?:newsletter|channel|mailing list)\b", re.IGNORECASE),
        (r"^(?:read|see|watch|listen)(?: also| more)\b", re.IGNORECASE),  # "Read also ...", "Read more:"
        (r"^(?:also read|related|more on this)\s*:", re.IGNORECASE),
        (r"\bread more\s*:", re.IGNORECASE),  # "Headline READ MORE: Headline"
        (r"(?:^|\s)/html/|/@content\b|\[@\w+=", 0),  # scraper xpath residue
        (r"^(?:(?:https?://|www\.)\S+\s*)+$", 0),  # bare URLs, image URLs
        (r"^[•·▪●◦*-]\s*\S{1,8}$", 0),  # bullet counters "• 9", "• 6:10"
        (r"\s(?:FEATURE|VIDEO|PODCAST|OPINION|ANALYSIS|PHOTOS?|GALLERY|EXCLUSIVE)$", 0),  # promo items
        (r"^(?:photo|image|picture|illustration|credit|photograph)s?(?:\s+by)?\s*[:©]", re.IGNORECASE),
        (r"^(?:\S+\s+){0,15}(?:photo|image|picture)s?(?:\s+by|\s+credit)?\s*:\s*[^.!?]{1,60}$", re.IGNORECASE),
        (r"^(?:tags|topics|keywords)\s*:", re.IGNORECASE),
        (
            r"^(?:follow us|share (?:this|on)|skip to (?:main )?content|sign in|log in|sign up|subscribe now)\b"
            r"(?!.*[.!?]\s+\S)",
            re.IGNORECASE,
        ),  # account and social widgets, when not part of a sentence
    )
)
_SHORT_FURNITURE_RES = tuple(  # furniture only on short lines: a long paragraph may mention these words
    re.compile(p, re.IGNORECASE)
    for p in (
        r"\b(?:use|uses|using|accept|allow|reject|manage)\b.*\bcookies?\b|\bcookies? (?:policy|settings|preferences)\b",
        r"©|\ball rights reserved\b|^copyright\b",
        _EMAIL_RE.pattern,
        _PHONE_RE.pattern,
    )
)
_NAV_SEPARATOR_RE = re.compile(r"\s+[|›»·/]\s+")


def _words(line: str) -> int:
    return len(line.split())


def _is_timestamp(line: str) -> bool:
    """A line made only of a date and/or time: the page's dateline, not article text."""
    rest = _ISO_STAMP_RE.sub(" ", line)
    rest = _DATE_RE.sub(" ", rest)
    rest = _DAY_MONTH_RE.sub(" ", rest)
    rest = _TIME_RE.sub(" ", rest)
    if rest == line:
        return False
    rest = _STAMP_WORDS_RE.sub(" ", rest)
    return not re.search(r"[^\W_]", rest)


def _is_icon_list(tokens: list[str]) -> bool:
    """Icon-font names left by the scraper: "bookmark-bicon cameraicon chevron downicon ..."."""
    icons = sum(1 for t in tokens if t.lower().endswith("icon") and t.lower() != "icon")
    return icons >= 3 and icons * 3 >= len(tokens)


def _is_nav_trail(line: str) -> bool:
    """Menus and breadcrumbs: "News | World | Europe", "Home › Russia › Politics"."""
    parts = _NAV_SEPARATOR_RE.split(line)
    return len(parts) >= 3 and all(0 < _words(p) <= 5 and not _TERMINAL_RE.search(p) for p in parts)


def _is_strong_furniture(line: str) -> bool:
    tokens = line.split()
    if _is_icon_list(tokens) or _is_nav_trail(line) or any(r.search(line) for r in _FURNITURE_RES):
        return True
    if _words(line) <= 30 and any(r.search(line) for r in _SHORT_FURNITURE_RES):
        return True
    if _is_timestamp(line):
        return True
    if all(re.fullmatch(r"[\W\d_]+|true|false|null|none|undefined", t, re.IGNORECASE) for t in tokens):
        return True  # "1920 1080 true", "0:00", "2023", "252 60"
    return len(tokens) >= 2 and all(t.lower().strip(",|/") in _LANGUAGES for t in tokens)


def _is_weak_furniture(line: str) -> bool:
    """Short label/tag lines. Not applied to a fragment that continues the previous line."""
    if _TERMINAL_RE.search(line):
        return False
    words = _words(line)
    if words <= 1:  # "News", "en_EN", "belarus", glued language switchers
        return True
    if words <= 3:  # section labels and mastheads: "Top stories", "RT News App"
        return True
    segments = [s.strip() for s in line.split(",")]
    if not any(ch.isupper() for ch in line) and (words <= 8 or len(segments) >= 3):
        return True  # lower-case tags and keyword lists: "union state", "russia and belarus, sanctions, ..."
    return len(segments) >= 4 and all(0 < _words(s) <= 4 for s in segments)  # "Tag One, Tag Two, ..."


def _is_continuation(line: str) -> bool:
    """A line that starts mid-sentence: lower case, or closing punctuation like ``," said``."""
    first = line[0]
    if first.islower() or first in ",;:.)]}”’…":
        return True
    return first == '"' and (len(line) == 1 or not line[1].isalnum())


def _join(previous: str, fragment: str) -> str:
    if fragment[0] in ',;:.)]}”’…"' or previous.endswith(("(", "[", "“", "-")):
        return previous + fragment
    return previous + " " + fragment


def _assemble(lines: list[str]) -> list[str]:
    """Drop furniture lines and promo blocks; join lines broken mid-sentence."""
    out: list[str] = []
    block_open = False  # previous line was kept and no blank line since: fragments may join it
    in_promo = False
    first = True  # a file's first line is its headline unless it is unmistakable furniture
    for line in lines:
        if not line:
            block_open = False
            continue
        is_first, first = first, False
        if in_promo:
            words = _words(line)
            if words >= 30 or (words >= 20 and _TERMINAL_RE.search(line)):
                in_promo = False
            else:
                continue
        if _PROMO_HEADING_RE.match(line):
            in_promo, block_open = True, False
            continue
        if _is_strong_furniture(line):
            continue
        if block_open and out and _is_continuation(line) and not _TERMINAL_RE.search(out[-1]):
            out[-1] = _join(out[-1], line)
            continue
        if not is_first and _is_weak_furniture(line):
            block_open = False
            continue
        out.append(line)
        block_open = True
    return out


def _space_glued_sentences(text: str) -> str:
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


_SENTENCE_SPLIT_RE = re.compile(r"(?<=[.!?…])\s+(?=[\"“‘(\[]?[A-Z0-9])|(?<=[.!?…][\"”’)])\s+(?=[\"“‘(\[]?[A-Z0-9])")
MIN_DEDUP_WORDS = 4  # "Yes." or "Thank you." may legitimately repeat


def split_sentences(paragraph: str) -> list[str]:
    """Rough sentence split, good enough to spot a body that is repeated."""
    return [s for s in _SENTENCE_SPLIT_RE.split(paragraph) if s]


def _dedupe(paragraphs: list[str]) -> list[str]:
    """Keep the first copy of repeated lines and of repeated sentences (bodies scraped twice)."""
    seen_lines: set[str] = set()
    seen_sentences: set[str] = set()
    out: list[str] = []
    for paragraph in paragraphs:
        if paragraph in seen_lines:
            continue
        seen_lines.add(paragraph)
        kept: list[str] = []
        for sentence in split_sentences(paragraph):
            if _words(sentence) >= MIN_DEDUP_WORDS:
                if sentence in seen_sentences:
                    continue
                seen_sentences.add(sentence)
            kept.append(sentence)
        if kept and any(re.search(r"[^\W_]", s) for s in kept):
            out.append(" ".join(kept))
    return out


def clean_text(raw: str) -> str:
    """Article text without page furniture: one paragraph per line, separated by blank lines."""
    lines = _normalise(raw).split("\n")
    first = _first_nonblank_index(lines)
    if first is not None and _HEADER_RE.match(lines[first]):
        lines[first] = ""
    paragraphs = [_space_glued_sentences(p) for p in _assemble(lines)]
    return "\n\n".join(_dedupe(paragraphs))


# --------------------------------------------------------------------------
# Title
# --------------------------------------------------------------------------

_BYLINE_RE = re.compile(r"^(?:by|from|source|author)\b", re.IGNORECASE)


def _guess_title(text: str) -> str | None:
    """First plausible headline among the opening lines: short, not a sentence, not a byline."""
    for line in text.split("\n\n")[:3]:
        words = _words(line)
        headline_like = 2 <= words <= 25 and not line.endswith(".") and any(ch.isupper() for ch in line)
        if headline_like and not _BYLINE_RE.match(line):
            return line
    return None
