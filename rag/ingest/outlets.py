"""Who published a page: known outlets by domain or masthead, else the page's own site name or its domain.

A reader trusts or discounts a claim by its outlet, so citations name it. The
outlet table (data: ``outlets.toml`` beside this module) holds only what general
rules cannot infer (a masthead phrase, a brand whose domain reads differently);
any other site is named by what the page declares (``og:site_name``) or by its
registrable domain.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from importlib import resources
from urllib.parse import urlsplit


@dataclass(frozen=True)
class _Outlet:
    name: str
    domains: tuple[str, ...]
    mastheads: tuple[str, ...] = ()  # regexes matched against the raw page text


def _load_outlets() -> tuple[_Outlet, ...]:
    """The outlet table, kept as data beside this module (``outlets.toml``)."""
    text = resources.files("rag.ingest").joinpath("outlets.toml").read_text(encoding="utf-8")
    return tuple(
        _Outlet(o["name"], tuple(o["domains"]), tuple(o.get("mastheads", ()))) for o in tomllib.loads(text)["outlet"]
    )


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
