"""Who published a page: a known outlet by its domain, the page's own site name, a known outlet its furniture
names, else its domain.

A reader trusts or discounts a claim by its outlet, so citations name it. The
outlet table (data: ``outlets.toml`` beside this module) holds only what general
rules cannot infer: an outlet's name and its domains. Any other site is named by
what the page declares (``og:site_name``) or by its registrable domain. A page
saved as text has neither URL nor site name; it is named by the known outlet
that its furniture (the lines that are not article text, and copyright lines)
names most often, by name or by domain ("Get the Example News app",
"© 2024 Example News", "tips@example.com"): never by one its article cites.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from importlib import resources
from urllib.parse import urlsplit

from rag.text.lexicon import reported_speech


@dataclass(frozen=True)
class _Outlet:
    name: str
    domains: tuple[str, ...]
    #: the outlet's name or an alias as words of their own, or one of its domains (in an address or a URL)
    mention: re.Pattern[str]


def _outlet(name: str, domains: list[str], aliases: list[str]) -> _Outlet:
    words = "|".join(re.escape(w) for w in (name, *aliases, *domains))
    return _Outlet(name, tuple(domains), re.compile(r"(?<![\w-])(?:" + words + r")(?![\w-])"))


def _load_outlets() -> tuple[_Outlet, ...]:
    """The outlet table, kept as data beside this module (``outlets.toml``)."""
    text = resources.files("rag.ingest").joinpath("outlets.toml").read_text(encoding="utf-8")
    return tuple(_outlet(o["name"], o["domains"], o.get("aliases", [])) for o in tomllib.loads(text)["outlet"])


_OUTLETS: tuple[_Outlet, ...] = _load_outlets()

_SECOND_LEVEL = {"co", "com", "org", "net", "gov", "ac", "edu", "gv", "or", "ne", "go"}


def host_of(url: str) -> str | None:
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


def publisher_of(url: str | None, site_name: str | None, page: str, article: str | None = None) -> str | None:
    """Known outlet by URL, then the page's own site name, then the known outlet its furniture names, then the domain.

    ``page`` is the text as read, ``article`` what cleaning kept of it (``None``: all of ``page`` is furniture).
    """
    host = host_of(url) if url else None
    if host:
        for outlet in _OUTLETS:
            if any(host == d or host.endswith("." + d) for d in outlet.domains):
                return outlet.name
    if site_name:
        return site_name
    named = _named_in_furniture(page, article)
    if named:
        return named
    return registrable_domain(host) if host else None


_COPYRIGHT = re.compile(r"©|\bcopyright\b|\ball rights reserved\b", re.IGNORECASE)
#: a byline or a credit names the source of a story or a photo, not the page's publisher: "By X", "(Name/X)"
_BYLINE = re.compile(r"^\W*(?:by\s+)?(?:the\s+)?\W*$", re.IGNORECASE)


def _is_credit(line: str, start: int, end: int) -> bool:
    """The outlet named at ``line[start:end]`` only signs a story or a picture ("By X", "(Ana Ruiz / X)",
    "[File: X]"), where any page may carry any agency's name."""
    if _BYLINE.match(line[:start] + line[end:]):
        return True
    before, after = line[:start].rstrip(), line[end:].lstrip()
    if before.endswith(("/", ":")) or after.startswith("/"):
        return True
    return before.count("(") > before.count(")") or before.count("[") > before.count("]")


def _named_in_furniture(page: str, article: str | None) -> str | None:
    """The known outlet named most often in the lines of ``page`` that are not in ``article`` and in its copyright
    lines, leaving out bylines, credits and lines that cite it ("X reported"); ``None`` when none is named, or two
    are named equally often."""
    flat = " ".join(article.split()) if article is not None else ""
    counts = dict.fromkeys((o.name for o in _OUTLETS), 0)
    for line in page.splitlines():
        if not line.strip() or reported_speech().search(line):
            continue
        if article is not None and not _COPYRIGHT.search(line) and " ".join(line.split()) in flat:
            continue
        for outlet in _OUTLETS:
            counts[outlet.name] += sum(not _is_credit(line, *m.span()) for m in outlet.mention.finditer(line))
    ranked = sorted(((n, name) for name, n in counts.items()), reverse=True)
    (most, name), (second, _) = ranked[0], ranked[1]
    return name if most > second else None
