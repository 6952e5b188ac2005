"""Page furniture out of plain text: the line rules for scraped pages, pasted text and Markdown.

Scraped news pages arrive with their furniture still attached: navigation and
icon word lists, promo blocks, cookie notices, tag lists, mastheads and whole
bodies repeated twice. Anything left in ``Document.text`` gets embedded and can
be cited, so it is removed here with general line-based rules (never special
cases per file) that apply equally to the seeds and to the articles users add.
Saved web pages do not come through here (trafilatura finds their article;
these rules removed real lines from its output), except tiny ones that fall
back to the BeautifulSoup rules.
"""

from __future__ import annotations

import re
import unicodedata

from rag.ingest.dates import DATE_RE as _DATE_RE
from rag.ingest.dates import MONTH_PATTERN as _MONTH
from rag.text.sentences import rough_sentences, space_glued

HEADER_RE = re.compile(r"^\s*date\s+(\d{4}-\d{2}-\d{2})\b(.*)$")


def first_nonblank_index(lines: list[str]) -> int | None:
    for i, line in enumerate(lines):
        if line.strip():
            return i
    return None


# --------------------------------------------------------------------------
# Cleaning
# --------------------------------------------------------------------------

_SPACES_RE = re.compile(r"[ \t\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]+")
_INVISIBLE_RE = re.compile(r"[\u00ad\u200b\u200c\u200d\u2060\ufeff]")


def normalise(raw: str) -> str:
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
    r"updated|published|posted|last|modified|on|at|gmt|utc|msk|cet|cest|eet|eest|bst|est|edt|pst|pdt|time)\b",
    re.IGNORECASE,
)
#: a named time zone beside a time: "Lisbon time", "Eastern Time", "Central European Summer Time" (a name, then "time")
_ZONE_NAME_RE = re.compile(r"\b(?:[A-Z][\w'’-]*\s+){1,3}(?i:time)\b")
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
        (r"^Home\s*[>›»/|]", 0),  # breadcrumbs: "Home › World"
        (r"^support us\b", re.IGNORECASE),
        (r"\bbecome (?:our|a) (?:patron|member|supporter|subscriber)\b", re.IGNORECASE),
        (r"\bsubscribe to (?:our|the)\b.{0,40}\b(?:newsletter|channel|mailing list)\b", re.IGNORECASE),
        (r"^(?:read|see|watch|listen)(?: also| more)\b", re.IGNORECASE),  # "Read also ...", "Read more:"
        (r"^(?:also read|related|more on this)\s*:", re.IGNORECASE),
        (r"\bread more\s*:", re.IGNORECASE),  # "Headline READ MORE: Headline"
        (r"(?:^|\s)/html/|/@content\b|\[@\w+=", 0),  # scraper xpath residue
        (r"^(?:(?:https?://|www\.)\S+\s*)+$", 0),  # bare URLs, image URLs
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
    rest = _ZONE_NAME_RE.sub(" ", rest)
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


MIN_DEDUP_WORDS = 4  # "Yes." or "Thank you." may legitimately repeat


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
        for sentence in rough_sentences(paragraph):
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
    lines = normalise(raw).split("\n")
    first = first_nonblank_index(lines)
    if first is not None and HEADER_RE.match(lines[first]):
        lines[first] = ""
    paragraphs = [space_glued(p) for p in _assemble(lines)]
    return "\n\n".join(_dedupe(paragraphs))


# --------------------------------------------------------------------------
# Title
# --------------------------------------------------------------------------

_BYLINE_RE = re.compile(r"^(?:by|from|source|author)\b", re.IGNORECASE)


def guess_title(text: str) -> str | None:
    """First plausible headline among the opening lines: short, not a sentence, not a byline."""
    for line in text.split("\n\n")[:3]:
        words = _words(line)
        headline_like = 2 <= words <= 25 and not line.endswith(".") and any(ch.isupper() for ch in line)
        if headline_like and not _BYLINE_RE.match(line):
            return line
    return None
