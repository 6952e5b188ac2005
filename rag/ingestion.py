"""Files → clean documents with source metadata.

Scraped news pages arrive with their furniture still attached: navigation and
icon word lists, promo blocks, cookie notices, tag lists, mastheads and whole
bodies repeated twice. Anything left in ``Document.text`` gets embedded and can
be cited, so it is removed here with general line-based rules (never special
cases per file) that apply equally to the seeds and to the articles users add.

Each format has the reader made for it: saved web pages go through trafilatura
(:mod:`rag.extraction`, with the older BeautifulSoup rules of :mod:`rag.soup` as
the fallback for fragments), PDFs through pypdf (:mod:`rag.pdf`), and plain text
and Markdown through the line rules below. Text in any language is kept, though
the default embedding model is English-only and retrieves other languages poorly.
"""

from __future__ import annotations

import bisect
import codecs
import json
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from rag.dates import DATE_RE as _DATE_RE
from rag.dates import MONTH_PATTERN as _MONTH
from rag.dates import find_date, iso_if_valid
from rag.errors import InputError
from rag.extraction import MIN_ARTICLE_CHARS, PageMeta, clean_title, extract_article
from rag.outlets import publisher_of

#: bump when the cleaning rules change: every document is then cleaned and indexed again
#: (2: HTML through trafilatura, PDFs, CJK paragraphs kept)
CLEANING_VERSION = 2


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
    author: str | None = None
    pages: tuple[int, ...] = ()  # PDFs: the offset in ``text`` where each page starts (page 1 at index 0)

    def page_at(self, offset: int) -> int | None:
        """The 1-based page holding character ``offset``, for documents that have pages."""
        if not self.pages:
            return None
        return max(1, bisect.bisect_right(self.pages, offset))  # pages starting at or before it

    def page_label(self, start: int, end: int) -> str | None:
        """``"3"`` or ``"3-4"``: the pages a span of ``text`` lies on, for citations."""
        first = self.page_at(start)
        if first is None:
            return None
        last = self.page_at(max(start, end - 1)) or first
        return str(first) if last == first else f"{first}-{last}"


TEXT_SUFFIXES = frozenset({".txt", ".text"})
MARKDOWN_SUFFIXES = frozenset({".md", ".markdown"})
HTML_SUFFIXES = frozenset({".html", ".htm", ".xhtml"})
PDF_SUFFIXES = frozenset({".pdf"})
SUPPORTED_SUFFIXES: frozenset[str] = TEXT_SUFFIXES | MARKDOWN_SUFFIXES | HTML_SUFFIXES | PDF_SUFFIXES

MAX_FILE_BYTES = 20 * 1024 * 1024  # a news article is kilobytes (a PDF a few MB); anything this big is not one

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


def load_document(source: str | Path) -> Document:
    """What ``rag index`` indexes for a file (or, given an http(s) URL, for that page fetched now).

    The public entry point (``from rag import load_document``): ``text`` is what
    gets chunked and embedded, with ``title``, ``publisher``, ``date``, ``url``,
    ``author`` and, for PDFs, ``pages``. Any problem is an :class:`InputError`.
    """
    if isinstance(source, str) and re.match(r"https?://", source.strip(), re.IGNORECASE):
        from rag.fetching import fetch_document

        return fetch_document(source.strip())
    return read_document(Path(source))


def read_document(path: Path) -> Document:
    """Read one file into a cleaned :class:`Document`; any problem is an :class:`InputError`."""
    path = Path(path)
    if path.is_dir():
        raise InputError(f"{path}: is a folder, not a file")
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
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
    origin = source_url(path)
    if suffix in PDF_SUFFIXES:
        from rag.pdf import pdf_document

        return pdf_document(data, source=path.name, path=str(path.resolve()), url=origin)
    raw = _decode(data, path, html=suffix in HTML_SUFFIXES)
    return parse_document(raw, source=path.name, path=str(path.resolve()), suffix=path.suffix, url=origin)


def source_url(path: Path) -> str | None:
    """The URL a fetched page came from, kept beside its snapshot (``.NAME.json``, see :mod:`rag.fetching`)."""
    sidecar = path.with_name(f".{path.name}.json")
    try:
        url = json.loads(sidecar.read_text(encoding="utf-8")).get("url")
    except (OSError, ValueError, AttributeError):
        return None
    return url if isinstance(url, str) and re.match(r"https?://", url) else None


_CHARSET_RE = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9_.:-]+)""", re.IGNORECASE)


def _declared_charset(data: bytes) -> str | None:
    m = _CHARSET_RE.search(data[:4096])
    if not m:
        return None
    try:
        return codecs.lookup(m.group(1).decode("ascii")).name
    except (LookupError, UnicodeDecodeError):
        return None


_CONTROL_RE = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f]")  # Unicode category Cc, less \t \n \v \f \r


def _decode(data: bytes, path: Path, html: bool = False) -> str:
    if not data.strip():
        raise InputError(f"{path}: file is empty")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InputError(f"{path}: file is UTF-16; save it as UTF-8 and try again")
    if b"\x00" in data:
        raise InputError(f"{path}: looks like a binary file, not text")
    try:
        raw = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        charset = _declared_charset(data) if html else None
        if charset is None or charset == "utf-8":
            raise InputError(
                f"{path}: not valid UTF-8 (bad byte at offset {exc.start}); save it as UTF-8 and try again"
            ) from None
        raw = data.decode(charset, errors="replace")  # a saved page in the charset it declares
    controls = len(_CONTROL_RE.findall(raw))  # a regex: a per-character loop took 56 ms on a 500 kB page
    if controls > max(2, len(raw) // 200):
        raise InputError(f"{path}: looks like a binary file, not text")
    if not raw.strip():
        raise InputError(f"{path}: file is empty")
    return raw


# --------------------------------------------------------------------------
# Parsing
# --------------------------------------------------------------------------


def parse_document(raw: str, *, source: str, path: str, suffix: str = ".txt", url: str | None = None) -> Document:
    """Turn raw file content into a :class:`Document`; pure, so tests need no files.

    ``url`` is where the content came from when that is known from outside it (a fetched page).
    """
    suffix = suffix.lower()
    if suffix in HTML_SUFFIXES or (suffix not in MARKDOWN_SUFFIXES and _looks_like_html(raw)):
        return _html_document(raw, source=source, path=path, url=url or _saved_from(raw))
    raw = _normalise(raw)
    if suffix in MARKDOWN_SUFFIXES:
        body, meta = _markdown_to_text(raw)
    else:
        body, meta = raw, PageMeta()
    return _cleaned_document(body, meta, source=source, path=path, url=url)


def _cleaned_document(body: str, meta: PageMeta, *, source: str, path: str, url: str | None) -> Document:
    """Text that still holds page furniture: the line rules, then metadata from the header, tags or text."""
    header_date, header_url = _parse_header(body)
    text = clean_text(body)
    if not text:
        raise InputError(f"{source}: no article text left after removing page furniture")

    if meta.title and meta.title not in text.split("\n\n"):
        # A structural headline (<h1>, "# Title", front matter) is article text even when it is
        # too short to pass the line rules, which cannot tell "Budget passes" from "Top stories".
        text = f"{meta.title}\n\n{text}"
    url = header_url or meta.url or url
    date = header_date or meta.date or find_date(_without_header(body))
    title = meta.title or _guess_title(text)
    publisher = publisher_of(url, meta.site_name, body)
    return Document(
        source=source, path=path, text=text, title=title, publisher=publisher, date=date, url=url, author=meta.author
    )


def _html_document(raw: str, *, source: str, path: str, url: str | None) -> Document:
    """trafilatura's article; the BeautifulSoup rules when it finds nothing or very little."""
    text, meta = extract_article(raw, url=url)
    text = _normalise(text)
    if len(text) < MIN_ARTICLE_CHARS:
        from rag.soup import soup_extract

        body, soup_meta = soup_extract(_normalise(raw))
        if clean_text(body):
            merged = PageMeta(
                title=soup_meta.title or clean_title(meta.title, meta.site_name, meta.url),
                date=meta.date or soup_meta.date,
                url=meta.url or soup_meta.url or url,
                site_name=meta.site_name or soup_meta.site_name,
                author=meta.author,
            )
            return _cleaned_document(body, merged, source=source, path=path, url=url)
        text = ""  # both found next to nothing: trafilatura's crude baseline then holds menus, not an article
    # no line rules and no de-duplication here: both removed real article text (recipes repeat their steps)
    if not text:
        raise InputError(f"{source}: no article text found in the page")
    page_url = meta.url or url
    return Document(
        source=source,
        path=path,
        text=text,
        title=clean_title(meta.title, meta.site_name, page_url) or _guess_title(text),
        publisher=publisher_of(page_url, meta.site_name, text),
        date=meta.date or find_date("\n".join(text.split("\n\n")[:3])),
        url=page_url,
        author=meta.author,
    )


_SAVED_FROM_RE = re.compile(r"<!--\s*saved from url=\(\d+\)(https?://[^\s>]+?)\s*-->", re.IGNORECASE)


def _saved_from(raw: str) -> str | None:
    """The address a browser notes at the top of a page it saved: ``<!-- saved from url=(0042)https://… -->``."""
    m = _SAVED_FROM_RE.search(raw[:2048])
    return m.group(1) if m else None


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
    date = iso_if_valid(m.group(1))
    url = next((tok for tok in m.group(2).split() if re.match(r"https?://", tok)), None)
    return date, url


def _without_header(text: str) -> str:
    lines = text.split("\n")
    i = _first_nonblank_index(lines)
    if i is not None and _HEADER_RE.match(lines[i]):
        del lines[i]
    return "\n".join(lines)


# --------------------------------------------------------------------------
# Markdown → plain text with paragraph breaks
# --------------------------------------------------------------------------

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


def _markdown_to_text(raw: str) -> tuple[str, PageMeta]:
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


_TERMINAL_RE = re.compile(r"[.!?…。！？][\"”’)\]」』）]*$")
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


# Chinese and Japanese write words without spaces (and Korean syllables are dense): counted by characters,
# a paragraph of them would otherwise be "one word" and dropped as a label
_CJK_RE = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")
_CJK_CHARS_PER_WORD = 2


def _words(line: str) -> int:
    cjk = len(_CJK_RE.findall(line))
    if not cjk:
        return len(line.split())
    return len(_CJK_RE.sub(" ", line).split()) + cjk // _CJK_CHARS_PER_WORD


count_words = _words  # public: `rag show` reports it


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
    lower_case = any(ch.islower() for ch in line) and not any(ch.isupper() for ch in line)  # CJK has no case
    if lower_case and (words <= 8 or len(segments) >= 3):
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
