"""Per-document preparation for the index: a file read within the length limit, who says what in it, its chunks
and each chunk's metadata.

This is the work a strange document can break, and each such failure is one warning while the run goes on; it
lives apart from :mod:`rag.indexing`, whose one job is the locked, crash-safe writes to the store, the manifest
and the lexical index. :func:`signature` names what the prepared chunks depend on.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from itertools import islice
from pathlib import Path

from rag import speakers
from rag.chunking import chunk_document, lead_sentence
from rag.config import Settings
from rag.embedding import Embedder
from rag.errors import InputError
from rag.ingest.reading import CLEANING_VERSION, MARKDOWN_SUFFIXES, TEXT_SUFFIXES, read_document
from rag.store import Metadata
from rag.types import Attribution, Chunk, Document

log = logging.getLogger(__name__)

METADATA_VERSION = "speakers-7"  # chunks carry their lead sentence and who says what in them
# speakers-7: a speaker's span stops at a paragraph break
PLAIN_TEXT = TEXT_SUFFIXES | MARKDOWN_SUFFIXES  # a byte is at most one character: the size is checked unread
Warn = Callable[[str], None]  # takes one line for a document that was skipped


def signature(s: Settings) -> str:
    """What the stored vectors depend on: change any of it and every document is redone."""
    meta = METADATA_VERSION if s.annotate_speakers else "lead-1"
    return f"{s.embedding_model}|{s.chunk_size}|{s.chunk_overlap}|cleaning-{CLEANING_VERSION}|{meta}"


def _date_int(iso: str | None) -> int:
    return int(iso.replace("-", "")) if iso else 0


def chunk_metadata(doc: Document, chunk: Chunk, attributions: Sequence[Attribution] = ()) -> Metadata:
    """Chroma metadata can't hold None: absent fields are left out."""
    meta: Metadata = {
        "source": doc.source,
        "path": doc.path,
        "start": chunk.start,
        "end": chunk.end,
        "ordinal": chunk.ordinal,
        "date_int": _date_int(doc.date),
    }
    for key in ("title", "publisher", "date", "url", "author"):
        value = getattr(doc, key)
        if value:
            meta[key] = value
    pages = doc.page_label(chunk.start, chunk.end)
    if pages:  # PDFs: citations name the page
        meta["pages"] = pages
    lead = lead_sentence(doc)
    if lead:
        meta["lead"] = lead
    if attributions:
        meta["speakers"] = speakers.to_metadata(list(attributions), chunk.start, chunk.end)
    return meta


def _too_long(size: int, limit: int) -> str:
    return (
        f"{size:,} characters is over the limit of {limit:,} for one document (RAG_MAX_DOCUMENT_CHARS); "
        "split it into articles"
    )


def failure(path: Path, exc: Exception) -> str:
    """One line for a document that could not be indexed: the file and the cause, never a traceback."""
    if isinstance(exc, InputError):
        return f"skipped {exc}"  # already names the file
    log.debug("indexing %s failed", path, exc_info=exc)
    cause = " ".join(str(exc).split())[:200] or "no message"
    return f"skipped {path}: unexpected {type(exc).__name__} ({cause})"


def read_file(path: Path, limit: int, warn: Warn) -> Document | None:
    """The document in ``path``; None, with one warning, when it is over ``limit`` characters or cannot be read."""
    if path.suffix.lower() in PLAIN_TEXT and path.stat().st_size > 4 * limit:
        warn(f"skipped {path}: {_too_long(path.stat().st_size, limit)}")
        return None  # refused before reading: cleaning and embedding it would hold the lock for minutes
    try:
        doc = read_document(path)
    except Exception as exc:  # noqa: BLE001 - one bad file is one warning; an indexed version stays
        warn(failure(path, exc))
        return None
    if len(doc.text) > limit:
        warn(f"skipped {path}: {_too_long(len(doc.text), limit)}")
        return None
    return doc


def _batches(items: Iterable[tuple[Document, str]], size: int) -> Iterator[list[tuple[Document, str]]]:
    """Groups of ``size`` (itertools.batched is Python 3.12)."""
    it = iter(items)
    while batch := list(islice(it, size)):
        yield batch


class Preparer:
    """Documents to chunks for one index run; who says what in a document is kept until its chunks are written."""

    def __init__(self, settings: Settings, embedder: Callable[[], Embedder]) -> None:
        self.s = settings
        self._embedder = embedder  # called when a document is chunked, so the model loads only when needed
        self._speakers: dict[str, list[Attribution]] = {}  # per document path, for its chunks' metadata

    def prepare(self, docs: Iterable[tuple[Document, str]], warn: Warn) -> Iterator[tuple[Document, str, list[Chunk]]]:
        """Each (document, digest) with its chunks, annotated ``indexing.speaker_batch`` documents at a time;
        a document that fails is one warning and is left out."""
        for batch in _batches(docs, self.s.indexing.speaker_batch):
            yield from self._prepare_batch(batch, warn)

    def metadata(self, doc: Document, chunk: Chunk) -> Metadata:
        """The chunk's metadata, with who says what in it."""
        return chunk_metadata(doc, chunk, self._speakers.get(doc.path, ()))

    def written(self, doc: Document) -> None:
        """The document's chunks are in the store: its speakers are no longer needed."""
        self._speakers.pop(doc.path, None)

    def _prepare_batch(
        self, batch: Sequence[tuple[Document, str]], warn: Warn
    ) -> Iterator[tuple[Document, str, list[Chunk]]]:
        """Speakers for a batch of documents in one spaCy pass, then each document's chunks."""
        if self.s.annotate_speakers and len(batch) > 1:
            try:
                found = speakers.attribute_many([doc.text for doc, _ in batch])
            except Exception:  # one document broke the batch: each is annotated alone below, and only it skipped
                log.debug("speaker batch failed; annotating one by one", exc_info=True)
            else:
                self._speakers.update((doc.path, f) for (doc, _), f in zip(batch, found, strict=True))
        for doc, digest in batch:
            try:
                chunks = self._prepare(doc)
            except Exception as exc:  # noqa: BLE001 - one bad document is one warning, the run goes on
                self._speakers.pop(doc.path, None)
                warn(failure(Path(doc.path), exc))
                continue
            yield doc, digest, chunks

    def _prepare(self, doc: Document) -> list[Chunk]:
        """Who says what, then the chunks: the per-document work that a strange document could break."""
        if self.s.annotate_speakers and doc.path not in self._speakers:
            self._speakers[doc.path] = speakers.attribute(doc.text)
        embedder = self._embedder()
        return chunk_document(
            doc,
            size=self.s.chunk_size,
            overlap=self.s.chunk_overlap,
            model_tokens=embedder.count_tokens,
            model_max=embedder.max_tokens,
        )
