"""Who published a page: known outlets by domain or masthead, else the page's own site name or its domain.

A reader trusts or discounts a claim by its outlet, so citations name it. The
outlet table holds only what general rules cannot infer (a masthead phrase, a
brand whose domain reads differently); any other site is named by what the page
declares (``og:site_name``) or by its registrable domain.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit


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


def publisher_of(url: str | None, site_name: str | None, page: str) -> str | None:
    """Known outlet by URL, then the page's own site name, then a masthead, then the domain."""
    host = host_of(url) if url else None
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
