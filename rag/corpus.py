"""What the CLI and the web page share for adding, removing and inspecting articles, by path or by URL.

A URL is fetched into a snapshot in the index folder (:mod:`rag.ingest.fetching`) and
from then on indexed like a file; these helpers turn what a person typed into
the paths the indexer works on, and show a document as the index will see it.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from rag.config import Settings, get_settings
from rag.errors import InputError
from rag.indexing import Count, Indexer, IndexReport
from rag.ingest.addresses import AddressPolicy, is_loopback, system_resolver
from rag.ingest.cleaning import count_words
from rag.ingest.fetching import (
    delete_snapshot,
    delete_snapshot_file,
    fetch_snapshots,
    is_url,
    load_document,
    refetch_roots,
    snapshot_for,
    web_dir,
)
from rag.ingest.reading import SUPPORTED_SUFFIXES, read_document
from rag.manifest import Manifest
from rag.types import Document

Progress = Callable[[str], None]
UPLOADS_DIR = "uploads"  # files added through the page, inside the index folder


def index_targets(
    items: Sequence[str | Path],
    *,
    refetch: bool = False,
    settings: Settings | None = None,
    progress: Progress | None = None,
    policy: AddressPolicy | None = None,
) -> tuple[list[Path], list[str]]:
    """Paths to give the indexer (URLs fetched into snapshots first) and one warning per URL that failed.

    With ``refetch``, every URL already among the index's roots is fetched again
    first. If every item given was a URL and none could be fetched, that is an
    error rather than a warning: there is nothing to index.
    """
    s = settings or get_settings()
    warnings: list[str] = []
    if refetch:
        warnings += refetch_roots(Manifest.load(Path(s.index_dir)).roots, s, progress)
    urls = [str(i).strip() for i in items if isinstance(i, str) and is_url(i)]
    paths = [Path(i) for i in items if not (isinstance(i, str) and is_url(i))]
    snapshots, failed = fetch_snapshots(urls, s, progress, policy)
    if urls and not snapshots and not paths:
        raise InputError(failed[0] if len(failed) == 1 else f"none of the {len(urls)} URLs could be fetched")
    return paths + snapshots, warnings + failed


def index_items(
    items: Sequence[str | Path],
    *,
    refetch: bool = False,
    settings: Settings | None = None,
    progress: Progress | None = None,
    policy: AddressPolicy | None = None,
    count: Count | None = None,
) -> tuple[IndexReport, list[Path]]:
    """Fetch the URLs, index everything, and keep no snapshot of a link whose page could not be indexed.

    Returns the indexer's report (fetch failures among its warnings) and the paths given to the indexer.
    """
    s = settings or get_settings()
    paths, fetch_warnings = index_targets(items, refetch=refetch, settings=s, progress=progress, policy=policy)
    report = Indexer(s).update(paths, progress=progress, count=count)
    report.warnings[:0] = fetch_warnings
    indexed = Manifest.load(Path(s.index_dir)).docs
    folder = web_dir(s).resolve()
    for path in paths:  # a snapshot the indexer refused (a reader or the speaker step broke on it) is not kept
        real = path.resolve()
        if real.parent == folder and str(real) not in indexed:
            delete_snapshot_file(real)
    return report, paths


def add_files(
    files: Sequence[Path],
    settings: Settings | None = None,
    progress: Progress | None = None,
    count: Count | None = None,
) -> list[str]:
    """Files uploaded through the page: kept in the index folder's ``uploads/`` and indexed; one line per file.

    A file over ``RAG_UPLOAD_MAX_BYTES``, of a type that cannot be read, or that indexing refuses is not kept.
    """
    s = settings or get_settings()
    folder = Path(s.index_dir) / UPLOADS_DIR
    folder.mkdir(parents=True, exist_ok=True)
    lines: list[str] = []
    kept: list[Path] = []
    for file in files:
        name = _safe_name(Path(file).name)
        size = Path(file).stat().st_size
        if size > s.upload_max_bytes:
            lines.append(f"{name}: {size / 1048576:.1f} MiB is over the upload limit (RAG_UPLOAD_MAX_BYTES)")
        elif Path(name).suffix.lower() not in SUPPORTED_SUFFIXES:
            lines.append(f"{name}: not a file type that can be indexed ({' '.join(sorted(SUPPORTED_SUFFIXES))})")
        else:
            shutil.copyfile(file, folder / name)
            kept.append(folder / name)
    if not kept:
        return lines
    report = Indexer(s).update(kept, progress=progress, count=count)
    indexed = Manifest.load(Path(s.index_dir)).docs
    for path in kept:
        key = str(path.resolve())
        mine = [w.removeprefix("skipped ").replace(key, path.name) for w in report.warnings if path.name in w]
        if key in indexed and not mine:
            entry = indexed[key]
            lines.append(
                f"{path.name}: indexed — {entry.get('title') or 'no title'} ({entry.get('date') or 'undated'})"
            )
        else:
            lines.append(mine[0] if mine else f"{path.name}: nothing indexable")
            if key not in indexed:
                path.unlink(missing_ok=True)
    return lines


def _safe_name(name: str) -> str:
    """An uploaded file's own name, reduced to a plain file name (no folders, no hidden files)."""
    cleaned = re.sub(r"[^\w.() -]+", "_", name).strip(" .") or "upload"
    return cleaned.lstrip(".") or "upload"


def remove_document(path: str, settings: Settings | None = None) -> str:
    """Forget one indexed document (a file, an upload or a link) and drop its passages; one line."""
    s = settings or get_settings()
    entry = Manifest.load(Path(s.index_dir)).docs.get(path)
    if entry is None:
        raise InputError(f"{path} is not in the index (see `rag list`)")
    report = Indexer(s).remove(Path(path))
    target = Path(path)
    if target.parent == web_dir(s).resolve():
        delete_snapshot_file(target)
    elif target.parent == (Path(s.index_dir) / UPLOADS_DIR).resolve():
        target.unlink(missing_ok=True)
    return f"removed {entry.get('title') or entry.get('source')} ({report.chunks_deleted} passages)"


def remove_target(item: str | Path, settings: Settings | None = None) -> Path:
    """The path the indexer knows an item by: a URL's snapshot, or the path itself."""
    if isinstance(item, str) and is_url(item):
        snapshot = snapshot_for(item, settings)
        if snapshot is None:
            raise InputError(f"{item} is not in the index (see `rag list`)")
        return snapshot
    return Path(item)


def forget_url(item: str | Path, settings: Settings | None = None) -> None:
    """Delete a URL's snapshot once its passages are gone from the index."""
    if isinstance(item, str) and is_url(item):
        delete_snapshot(item, settings)


def show_document(item: str | Path, settings: Settings | None = None) -> tuple[Document, str]:
    """The document as ``rag index`` reads it, and where it came from (a file, a snapshot, or fetched now)."""
    if isinstance(item, str) and is_url(item):
        snapshot = snapshot_for(item, settings)
        if snapshot is not None:
            return read_document(snapshot), f"snapshot {snapshot}"
        return load_document(item), "fetched now (not indexed)"
    return load_document(Path(item)), "file"


# 36 of the commonest English words: in English prose they are about 40% of all words, in other
# languages (Latin script included) a few percent.
_ENGLISH = frozenset(
    {
        "the", "of", "and", "to", "a", "in", "is", "that", "for", "it", "as", "was", "with", "be", "by", "on",
        "not", "he", "i", "this", "are", "or", "his", "from", "at", "which", "but", "have", "an", "they", "you",
        "were", "her", "she", "there", "been",
    }
)  # fmt: skip


def looks_english(text: str) -> bool:
    words = re.findall(r"\w+", text[:20_000].lower())
    if len(words) < 20:
        return True  # too little to tell
    return sum(w in _ENGLISH for w in words) / len(words) >= 0.15


def language_note(doc: Document, embedding_model: str) -> str | None:
    if looks_english(doc.text) or "minilm" not in embedding_model.lower():
        return None
    return (
        f"this text does not look English: it is indexed as it is, but the embedding model ({embedding_model}) "
        "is English-only, so questions will find it poorly"
    )


def describe(doc: Document, origin: str, settings: Settings | None = None, full: bool = True) -> str:
    """``rag show``: the metadata, then the text exactly as it will be chunked."""
    s = settings or get_settings()
    words = count_words(doc.text)
    lines = [
        f"source:    {doc.source} ({origin})",
        f"title:     {doc.title or '(none found)'}",
        f"publisher: {doc.publisher or '(unknown)'}",
        f"date:      {doc.date or '(none found)'}",
        f"author:    {doc.author or '-'}",
        f"url:       {doc.url or '-'}",
    ]
    if doc.pages:
        lines.append(f"pages:     {len(doc.pages)}")
    paragraphs = doc.text.count("\n\n") + 1
    lines.append(f"text:      {len(doc.text):,} characters, {words:,} words, {paragraphs:,} paragraphs")
    note = language_note(doc, s.embedding_model)
    if note:
        lines.append(f"note:      {note}")
    body = doc.text if full else doc.text[:1500] + ("…" if len(doc.text) > 1500 else "")
    return "\n".join(lines) + "\n\n" + body


def document_json(doc: Document, origin: str) -> dict[str, Any]:
    data = asdict(doc)
    data["pages"] = list(doc.pages)
    data["origin"] = origin
    return data


def add_url(
    url: str, settings: Settings | None = None, progress: Progress | None = None, policy: AddressPolicy | None = None
) -> str:
    """Fetch one article and index it now: one line for the web page to show (errors included).

    Served beyond loopback, the page fetches public addresses only (``policy``: public ones, unless given).
    """

    s = settings or get_settings()
    url = (url or "").strip()
    if not is_url(url):
        raise InputError("give an address starting with http:// or https://")
    if policy is None and not is_loopback(s.host):
        policy = AddressPolicy(resolve=system_resolver(s.fetch_timeout))
    report, paths = index_items([url], settings=s, progress=progress, policy=policy)
    snapshot = paths[0]
    mine = [w for w in report.warnings if snapshot.name in w]  # other roots may warn about their own files
    if mine:
        line = mine[0].removeprefix("skipped ").replace(str(snapshot.resolve()), url, 1)
        raise InputError(line.replace(snapshot.name, url, 1))
    doc = read_document(snapshot)
    state = "indexed" if report.added else "already indexed, unchanged"
    return f"{state}: {doc.title or doc.source} ({doc.publisher or 'unknown publisher'}, {doc.date or 'undated'})"
