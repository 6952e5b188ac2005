"""Articles by URL: fetch a page (or a PDF) once, keep a snapshot, index the snapshot like a file.

A snapshot in the index folder (``<index>/web/``) makes a URL behave like a
file root: ``rag index`` re-reads it without touching the network, answers keep
citing exactly the text that was indexed even if the site changes or goes down,
and ``rag index --refetch`` refreshes every snapshot on request. The URL is kept
beside the snapshot (``.NAME.json``) and becomes the document's link.

Fetching is bounded: one deadline for the whole fetch (``RAG_FETCH_TIMEOUT``), a size cap
(``RAG_FETCH_MAX_BYTES``), HTML and PDF only, and every failure is one line. For a page served to
others, an :class:`~rag.ingest.addresses.AddressPolicy` keeps every connection on public addresses.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from rag.config import Settings, get_settings
from rag.errors import InputError
from rag.ingest.addresses import AddressPolicy, AddressRefused
from rag.ingest.pdf import pdf_document
from rag.ingest.reading import declared_charset, parse_document, read_document, source_url
from rag.ingest.transport import DeadlineBackend, DeadlineTransport
from rag.types import Document

USER_AGENT = "Mozilla/5.0 (compatible; rag-news-chat/0.1; reads one article on a user's request)"
_ACCEPT = "text/html,application/xhtml+xml;q=0.9,application/pdf;q=0.8,*/*;q=0.1"
_HTML_TYPES = {"text/html", "application/xhtml+xml"}
_PDF_TYPES = {"application/pdf", "application/x-pdf"}
MAX_REDIRECTS = 5
WEB_DIR = "web"


def is_url(text: str) -> bool:
    return bool(re.match(r"https?://\S+$", text.strip(), re.IGNORECASE))


@dataclass(frozen=True)
class Fetched:
    url: str  # as asked for
    final_url: str  # after redirects
    kind: str  # "html" | "pdf"
    content_type: str
    data: bytes  # HTML as UTF-8; a PDF as served


def fetch(url: str, settings: Settings | None = None, policy: AddressPolicy | None = None) -> Fetched:
    """GET one page; an :class:`InputError` with one line for anything that is not a readable article.

    ``RAG_FETCH_TIMEOUT`` bounds the whole fetch: connecting, every redirect, the headers and the body.
    With a ``policy`` (a page served to others), every connection, redirects included, goes only to
    addresses it allows.
    """
    s = settings or get_settings()
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise InputError(f"{url}: not an http(s) address")
    timeout = float(s.fetch_timeout)
    limit = int(s.fetch_max_bytes)
    deadline = time.monotonic() + timeout
    headers = {"User-Agent": USER_AGENT, "Accept": _ACCEPT}
    transport = DeadlineTransport(DeadlineBackend(deadline, policy))
    client = httpx.Client(
        transport=transport, follow_redirects=True, max_redirects=MAX_REDIRECTS, timeout=timeout, headers=headers
    )
    try:
        with client as c, c.stream("GET", url) as r:
            if r.status_code >= 400:
                raise InputError(f"{url}: the server answered {r.status_code} {r.reason_phrase}".rstrip())
            content_type = r.headers.get("content-type", "")
            declared = r.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > limit:
                raise InputError(f"{url}: {_size_message(int(declared), limit)}")
            body = bytearray()
            for chunk in r.iter_bytes():
                body += chunk
                if len(body) > limit:
                    raise InputError(f"{url}: {_size_message(len(body), limit)}")
                if time.monotonic() > deadline:
                    raise httpx.ReadTimeout("total time exceeded")
            final_url = str(r.url)
            charset = r.charset_encoding
    except AddressRefused as exc:  # the link, or a redirect, leads inside the server's network
        raise InputError(f"{url}: {exc}") from None
    except httpx.TimeoutException:
        raise InputError(f"{url}: no complete answer within {timeout:g} s (RAG_FETCH_TIMEOUT)") from None
    except httpx.TooManyRedirects:
        raise InputError(f"{url}: more than {MAX_REDIRECTS} redirects") from None
    except httpx.ConnectError as exc:
        raise InputError(f"{url}: cannot connect to {parts.hostname} ({_reason(exc)})") from None
    except httpx.HTTPError as exc:  # protocol errors, bad URLs, dropped connections
        raise InputError(f"{url}: fetch failed ({type(exc).__name__}: {_reason(exc)})") from None
    data = bytes(body)
    kind = _kind(content_type, data)
    if kind is None:
        shown = content_type.split(";")[0].strip() or "of no declared type"
        raise InputError(f"{url}: the server sent {shown}, not a web page or a PDF")
    if not data.strip():
        raise InputError(f"{url}: the server sent an empty page")
    if kind == "html":
        data = _to_utf8(data, charset)
    return Fetched(url=url, final_url=final_url, kind=kind, content_type=content_type, data=data)


def _reason(exc: Exception) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:200]


def _size_message(size: int, limit: int) -> str:
    shown = f"{limit / 1048576:.3g} MiB" if limit >= 1048576 else f"{limit / 1024:.0f} kB"
    return f"larger than the {shown} limit (RAG_FETCH_MAX_BYTES); not an article page"


def _kind(content_type: str, data: bytes) -> str | None:
    mime = content_type.split(";")[0].strip().lower()
    if mime in _PDF_TYPES or (mime in ("", "application/octet-stream") and data[:5] == b"%PDF-"):
        return "pdf"
    if mime in _HTML_TYPES:
        return "html"
    if not mime and re.match(rb"\s*(?:<!doctype html|<html)", data[:512], re.IGNORECASE):
        return "html"
    return None


def _to_utf8(data: bytes, header_charset: str | None) -> bytes:
    """Snapshots are stored as UTF-8, whatever the server used (its header, the page's meta tag, or a guess)."""
    try:
        data.decode("utf-8")
        return data
    except UnicodeDecodeError:
        pass

    for charset in (header_charset, declared_charset(data)):
        if charset:
            try:
                return data.decode(charset, errors="replace").encode("utf-8")
            except LookupError:
                continue
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    text = str(best) if best is not None else data.decode("cp1252", errors="replace")
    return text.encode("utf-8")


# --------------------------------------------------------------------------
# Snapshots in the index folder
# --------------------------------------------------------------------------


def web_dir(settings: Settings | None = None) -> Path:
    return Path((settings or get_settings()).index_dir) / WEB_DIR


def snapshot_name(url: str, kind: str) -> str:
    """Readable and unique: ``example.com-news-harbour-expansion-1a2b3c4d.html``."""
    parts = urlsplit(url.strip())
    host = (parts.hostname or "page").removeprefix("www.")
    slug = re.sub(r"[^A-Za-z0-9]+", "-", f"{host}{parts.path}").strip("-")[:80].rstrip("-")
    digest = hashlib.sha256(url.strip().encode()).hexdigest()[:8]
    return f"{slug}-{digest}.{'pdf' if kind == 'pdf' else 'html'}"


def _sidecar(path: Path) -> Path:
    return path.with_name(f".{path.name}.json")


def snapshot_for(url: str, settings: Settings | None = None) -> Path | None:
    """The snapshot of ``url`` in this index, if it was ever fetched."""
    folder = web_dir(settings)
    for kind in ("html", "pdf"):
        path = folder / snapshot_name(url, kind)
        if path.is_file():
            return path
    return None


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def save_snapshot(fetched: Fetched, settings: Settings | None = None) -> tuple[Path, bool]:
    """Store a fetched page; returns its path and whether its bytes changed (a new page counts as changed)."""
    folder = web_dir(settings)
    folder.mkdir(parents=True, exist_ok=True)
    old = snapshot_for(fetched.url, settings)
    path = folder / snapshot_name(fetched.url, fetched.kind)
    if old is not None and old != path:  # the URL now serves a PDF instead of a page, or the reverse
        old.unlink(missing_ok=True)
        _sidecar(old).unlink(missing_ok=True)
    changed = not path.is_file() or path.read_bytes() != fetched.data
    if changed:
        _write_atomic(path, fetched.data)
    info = {
        "url": fetched.url,
        "final_url": fetched.final_url,
        "content_type": fetched.content_type,
        "fetched": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "sha256": hashlib.sha256(fetched.data).hexdigest(),
    }
    _write_atomic(_sidecar(path), json.dumps(info, indent=1).encode())
    return path, changed


def delete_snapshot(url: str, settings: Settings | None = None) -> Path | None:
    path = snapshot_for(url, settings)
    if path is not None:
        delete_snapshot_file(path)
    return path


def delete_snapshot_file(path: Path) -> None:
    """A snapshot and the note of its URL beside it."""
    path.unlink(missing_ok=True)
    _sidecar(path).unlink(missing_ok=True)


def fetch_snapshots(
    urls: Iterable[str],
    settings: Settings | None = None,
    progress: Callable[[str], None] | None = None,
    policy: AddressPolicy | None = None,
) -> tuple[list[Path], list[str]]:
    """Fetch each URL into the index's web folder: the snapshot paths to index, and one warning per failure.

    A page that does not read as an article is not stored.
    """
    paths: list[Path] = []
    warnings: list[str] = []
    for url in urls:
        if progress is not None:
            progress(f"fetching {url}")
        try:
            path, _ = save_snapshot(readable(fetch(url, settings, policy)), settings)
        except InputError as exc:
            warnings.append(str(exc))
            continue
        paths.append(path)
    return paths, warnings


def refetch_roots(
    roots: Iterable[str], settings: Settings | None = None, progress: Callable[[str], None] | None = None
) -> list[str]:
    """Fetch again every snapshot among an index's roots; a failure keeps the old snapshot, with a warning."""
    warnings: list[str] = []
    folder = web_dir(settings).resolve()
    for root in roots:
        path = Path(root)
        if path.parent != folder or not path.is_file():
            continue
        url = source_url(path)
        if url is None:
            continue
        if progress is not None:
            progress(f"fetching {url} again")
        try:
            save_snapshot(readable(fetch(url, settings)), settings)
        except InputError as exc:
            warnings.append(f"{exc} (the copy fetched before stays indexed)")
    return warnings


def fetch_document(url: str, settings: Settings | None = None) -> Document:
    """A page fetched now and read as ``rag index`` would read it, without storing anything."""
    return _document(fetch(url, settings))


def readable(fetched: Fetched) -> Fetched:
    """``fetched`` if it reads as an article; else one :class:`InputError` line, so no snapshot is stored for it."""
    try:
        _document(fetched)
    except InputError as exc:
        raise InputError(str(exc).replace(snapshot_name(fetched.url, fetched.kind), fetched.url, 1)) from None
    except Exception as exc:  # noqa: BLE001 - a page that breaks a reader is one line, like any other failure
        cause = " ".join(str(exc).split())[:200]
        raise InputError(f"{fetched.url}: cannot be read (unexpected {type(exc).__name__}: {cause})") from None
    return fetched


def _document(fetched: Fetched) -> Document:
    name = snapshot_name(fetched.url, fetched.kind)
    if fetched.kind == "pdf":
        return pdf_document(fetched.data, source=name, path=fetched.url, url=fetched.url)
    raw = fetched.data.decode("utf-8", errors="replace")
    return parse_document(raw, source=name, path=fetched.url, suffix=".html", url=fetched.url)


def load_document(source: str | Path) -> Document:
    """What ``rag index`` indexes for a file (or, given an http(s) URL, for that page fetched now).

    The public entry point (``from rag import load_document``): ``text`` is what
    gets chunked and embedded, with ``title``, ``publisher``, ``date``, ``url``,
    ``author`` and, for PDFs, ``pages``. Any problem is an :class:`InputError`.
    """
    if isinstance(source, str) and re.match(r"https?://", source.strip(), re.IGNORECASE):
        return fetch_document(source.strip())
    return read_document(Path(source))
