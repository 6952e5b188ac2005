"""Incremental, idempotent index builds: documents → chunks → vectors in the store.

Chunk ids are content hashes, so a write that is repeated (after a crash, say)
lands on the same ids instead of duplicating. The manifest records the roots
the index was built from and, per document, the hash of its bytes and its
chunk ids; it is written atomically after each group of documents, so a run
killed midway leaves an index the next run completes. What is written (each
document read, who says what in it, its chunks) comes from :mod:`rag.preparation`.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout

from rag.config import Settings, get_settings
from rag.embedding import Embedder, get_embedder
from rag.embedding.identity import VectorIdentity, check_same_model
from rag.errors import IndexBusyError, InputError, RagError
from rag.ingest.reading import iter_files
from rag.lexical import LexicalIndex
from rag.manifest import Manifest
from rag.preparation import Preparer, chunk_metadata, read_file, signature
from rag.store import Store
from rag.types import Chunk, Document

__all__ = [  # chunk_metadata and signature live in rag.preparation; they stay importable from here
    "Count",
    "IndexReport",
    "Indexer",
    "chunk_metadata",
    "ensure_index",
    "list_documents",
    "signature",
]

log = logging.getLogger(__name__)

Count = Callable[[int, int], None]  # (files looked at so far, files in all roots)


@dataclass
class IndexReport:
    added: int = 0  # documents new or changed
    unchanged: int = 0
    removed: int = 0
    chunks_embedded: int = 0
    chunks_deleted: int = 0
    warnings: list[str] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)  # paths given this run that held nothing indexable

    @property
    def changed(self) -> bool:
        return bool(self.added or self.removed or self.chunks_embedded or self.chunks_deleted)


def _under(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


class Indexer:
    """Owns the write lock for the duration of one ``update`` or ``remove``."""

    def __init__(self, settings: Settings | None = None, embedder: Embedder | None = None) -> None:
        self.s = settings or get_settings()
        self._embedder = embedder
        self.index_dir = Path(self.s.index_dir)
        self.index_dir.mkdir(parents=True, exist_ok=True)
        self.lock = FileLock(str(self.index_dir / ".write.lock"), timeout=0)
        self._prep = Preparer(self.s, lambda: self.embedder)  # reading, speakers, chunks: rag.preparation
        self._identity: VectorIdentity | None = None

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:  # loaded only when something needs embedding
            self._embedder = get_embedder(self.s.embedding_model)
        return self._embedder

    @contextmanager
    def _locked(self) -> Iterator[None]:
        """The write lock, held once and released at the end (``with lock`` after ``acquire`` would hold it twice
        and leave it held until this object is garbage-collected)."""
        try:
            self.lock.acquire()
        except Timeout:
            raise IndexBusyError(
                f"another process is updating the index in {self.index_dir}; try again when it has finished"
            ) from None
        try:
            yield
        finally:
            self.lock.release()

    def update(
        self, paths: Iterable[Path] = (), progress: Callable[[str], None] | None = None, count: Count | None = None
    ) -> IndexReport:
        """Add ``paths`` to the index's roots and bring every root up to date.

        ``progress`` gets a line per stage; ``count`` gets (files looked at, files in all roots) as they go.
        """
        with self._locked():
            return self._update([Path(p) for p in paths], progress or (lambda _m: None), count or (lambda _d, _t: None))

    def add_documents(self, docs: Iterable[Document], progress: Callable[[str], None] | None = None) -> IndexReport:
        """Index documents built in code (no file, no cleaning); a later file refresh keeps them."""
        with self._locked():
            report = IndexReport()
            manifest = Manifest.load(self.index_dir)
            store = self._store()
            sig = signature(self.s)
            if manifest.signature not in ("", sig):
                raise InputError("the index was built with other settings; use a fresh index folder")
            manifest.signature = sig

            def changed() -> Iterator[tuple[Document, str]]:
                for doc in docs:
                    digest = hashlib.sha256(f"{doc.title}\0{doc.date}\0{doc.url}\0{doc.text}".encode()).hexdigest()
                    if manifest.docs.get(doc.path, {}).get("hash") == digest:
                        report.unchanged += 1
                    else:
                        yield doc, digest

            self._write(store, manifest, changed(), report, progress or (lambda _m: None), direct=True)
            manifest.save()
            self._refresh_lexical(store, manifest)
            return report

    def remove(self, path: Path) -> IndexReport:
        """Forget a root (or a single document) on purpose and drop its chunks."""
        with self._locked():
            report = IndexReport()
            manifest = Manifest.load(self.index_dir)
            store = self._store()
            target = str(path.resolve())
            before = len(manifest.roots)
            manifest.roots = [r for r in manifest.roots if not _under(r, target)]
            gone = [p for p in manifest.docs if _under(p, target)]
            if not gone and before == len(manifest.roots):
                raise InputError(f"{path} is not in the index (see `rag list`)")
            for p in gone:
                self._drop(store, manifest, p, report)
            manifest.save()
            self._refresh_lexical(store, manifest)
            return report

    # --- internals ----------------------------------------------------------

    def _store(self) -> Store:
        return Store(self.index_dir, self.s.chroma_url, self.s.collection)

    def _update(self, new_paths: list[Path], progress: Callable[[str], None], count: Count) -> IndexReport:
        report = IndexReport()
        manifest = Manifest.load(self.index_dir)
        store = self._store()
        sig = signature(self.s)
        if manifest.signature != sig:
            if manifest.docs or store.count():
                progress("index settings changed: rebuilding every document")
                store.client.delete_collection(self.s.collection)
                store = self._store()
            manifest = Manifest(manifest.path, {"signature": sig, "roots": manifest.roots})
        if manifest.docs and store.count() == 0:  # the store was wiped or swapped: redo everything
            manifest.docs, manifest.embedding = {}, None
        if not manifest.roots and not manifest.docs:
            manifest.roots = [str(Path(self.s.seeds_dir).resolve())]
        added_roots: list[str] = []
        for p in new_paths:
            if not p.exists():
                report.warnings.append(f"skipped {p}: no such file or folder")
                report.rejected.append(str(p))
                continue
            root = str(p.resolve())
            if root not in manifest.roots:
                manifest.roots.append(root)
                added_roots.append(root)

        seen: set[str] = set()
        limit = self.s.max_document_chars

        listing = [(path, warning) for root in list(manifest.roots) for path, warning in iter_files([Path(root)])]
        total = len({str(path.resolve()) for path, warning in listing if not warning})

        def changed_files() -> Iterator[tuple[Document, str]]:
            for path, warning in listing:
                if warning:
                    report.warnings.append(warning)
                    continue
                key = str(path.resolve())
                if key in seen:
                    continue
                seen.add(key)
                yield from changed_file(path, key)
                count(len(seen), total)

        def changed_file(path: Path, key: str) -> Iterator[tuple[Document, str]]:
            try:
                digest = hashlib.sha256(path.read_bytes()).hexdigest()
            except OSError as exc:
                report.warnings.append(f"skipped {path}: {exc.strerror or exc}")
                return
            if manifest.docs.get(key, {}).get("hash") == digest:
                report.unchanged += 1
                return
            doc = read_file(path, limit, report.warnings.append)
            if doc is not None:
                yield doc, digest

        self._write(store, manifest, changed_files(), report, progress)
        for root in added_roots:  # a path that held nothing indexable is not remembered (nor warned about again)
            if not any(_under(key, root) for key in manifest.docs):
                manifest.roots.remove(root)
                report.rejected.append(root)
        # deleted, or no longer under a root (documents added directly are kept)
        for key in [k for k, e in manifest.docs.items() if k not in seen and not e.get("direct")]:
            self._drop(store, manifest, key, report)
        manifest.signature = sig
        manifest.save()
        self._refresh_lexical(store, manifest, progress)
        return report

    def _write(
        self,
        store: Store,
        manifest: Manifest,
        docs: Iterable[tuple[Document, str]],
        report: IndexReport,
        progress: Callable[[str], None],
        direct: bool = False,
    ) -> None:
        """Chunk documents and write them in groups big enough for efficient embedding."""
        pending: list[tuple[Document, str, list[Chunk]]] = []
        n_pending = 0
        for doc, digest, chunks in self._prep.prepare(docs, report.warnings.append):
            pending.append((doc, digest, chunks))
            n_pending += len(chunks)
            if n_pending >= self.s.indexing.flush_chunks:
                self._flush(store, manifest, pending, report, progress, direct)
                pending, n_pending = [], 0
        self._flush(store, manifest, pending, report, progress, direct)

    def _flush(
        self,
        store: Store,
        manifest: Manifest,
        pending: list[tuple[Document, str, list[Chunk]]],
        report: IndexReport,
        progress: Callable[[str], None],
        direct: bool = False,
    ) -> None:
        if not pending:
            return
        all_ids = [c.id for _, _, chunks in pending for c in chunks]
        present = store.existing(all_ids)
        todo = [(doc, c) for doc, _, chunks in pending for c in chunks if c.id not in present]
        if todo:
            self._same_model(manifest, store)
            progress(f"embedding {len(todo)} chunks from {len(pending)} documents")
            vectors = self.embedder.embed([c.embed_text for _, c in todo])
            metadata = [self._prep.metadata(d, c) for d, c in todo]
            store.upsert([c.id for _, c in todo], vectors, [c.text for _, c in todo], metadata)
            report.chunks_embedded += len(todo)
        for doc, digest, chunks in pending:
            ids = [c.id for c in chunks]
            old = set(manifest.docs.get(doc.path, {}).get("chunks", [])) - set(ids)
            if old:
                store.delete(sorted(old))
                report.chunks_deleted += len(old)
            manifest.docs[doc.path] = {
                "hash": digest,
                "chunks": ids,
                "source": doc.source,
                "title": doc.title,
                "publisher": doc.publisher,
                "date": doc.date,
                "url": doc.url,
                "direct": direct,
            }
            self._prep.written(doc)
            report.added += 1
        manifest.save()

    def _same_model(self, manifest: Manifest, store: Store) -> None:
        """Vectors of another model never join the index's; an empty or unrecorded index takes this model's record."""
        if self._identity is None:
            self._identity = VectorIdentity.of(self.embedder)
        if manifest.docs or store.count():
            check_same_model(VectorIdentity.from_record(manifest.embedding), self._identity, self.index_dir)
        if manifest.embedding is None or not (manifest.docs or store.count()):
            manifest.embedding = self._identity.record()

    def _drop(self, store: Store, manifest: Manifest, key: str, report: IndexReport) -> None:
        entry = manifest.docs.pop(key, None)
        ids = set(entry["chunks"]) if entry else set()
        ids |= store.ids_for_path(key)
        if ids:
            store.delete(sorted(ids))
            report.chunks_deleted += len(ids)
        report.removed += 1

    def _refresh_lexical(
        self, store: Store, manifest: Manifest, progress: Callable[[str], None] = lambda _m: None
    ) -> None:
        """Rebuild BM25 unless the published build was made from exactly the manifest's chunks.

        Compared by digest rather than by "did this run change anything": a run
        killed during the rebuild leaves the old build published, and the next
        run must redo it even though no document changed.
        """
        digest = manifest.corpus_digest()
        if LexicalIndex.built_for(self.index_dir) == digest:
            return
        progress("rebuilding the lexical index")
        self._rebuild_lexical(store, digest)

    def _rebuild_lexical(self, store: Store, digest: str) -> None:
        ids: list[str] = []
        texts: list[str] = []
        sources: list[str] = []
        dates: list[int] = []
        for cid, text, meta in store.iter_all():
            title = meta.get("title")
            ids.append(cid)
            texts.append(f"{title}\n{text}" if title else text)
            sources.append(str(meta.get("source", "")))
            dates.append(int(meta.get("date_int", 0) or 0))
        LexicalIndex.build(ids, texts, sources, dates, corpus=digest).save(self.index_dir)


def list_documents(settings: Settings | None = None) -> list[dict[str, Any]]:
    """What is indexed: source, title, date, publisher, chunk count, path (from the manifest)."""
    s = settings or get_settings()
    manifest = Manifest.load(Path(s.index_dir))
    rows = [
        {
            "source": d["source"],
            "title": d.get("title"),
            "publisher": d.get("publisher"),
            "date": d.get("date"),
            "url": d.get("url"),
            "chunks": len(d.get("chunks", [])),
            "path": path,
        }
        for path, d in manifest.docs.items()
    ]
    return sorted(rows, key=lambda r: r["path"])


def ensure_index(settings: Settings | None = None, progress: Callable[[str], None] | None = None) -> IndexReport:
    """Bring the index up to date before serving or answering; whatever stops the refresh, the last good index
    is served and the report says why (the chat and ``rag search`` must start even when a file breaks indexing).
    """
    try:
        return Indexer(settings).update(progress=progress)
    except IndexBusyError as exc:
        reason = f"{exc}; using the index as it is"
    except RagError as exc:
        reason = f"the index could not be refreshed ({exc}); using the last good index"
    except Exception as exc:  # a refresh that fails must not take the chat down
        log.debug("index refresh failed", exc_info=exc)
        cause = " ".join(str(exc).split())[:200]
        reason = (
            f"the index could not be refreshed (unexpected {type(exc).__name__}: {cause}); using the last good index"
        )
    log.info("%s", reason)  # the caller shows it: the CLI on stderr, the page in its status line
    return IndexReport(warnings=[reason])
