"""Ingest: files and links → clean documents (:class:`~rag.types.Document`) with their source metadata.

* :mod:`~rag.ingest.reading` — which files count, and each format to the reader made for it
* :mod:`~rag.ingest.extraction` and :mod:`~rag.ingest.soup` — HTML: trafilatura's article body and metadata,
  the BeautifulSoup rules as the fallback for fragments
* :mod:`~rag.ingest.pdf` — PDF text by pypdf, with the page each paragraph is on
* :mod:`~rag.ingest.markdown` and :mod:`~rag.ingest.cleaning` — Markdown lightly stripped; the line rules
  for plain text
* :mod:`~rag.ingest.dates` and :mod:`~rag.ingest.outlets` — a document's date and publisher (the outlet
  table is data: ``outlets.toml``)
* :mod:`~rag.ingest.fetching` — articles by URL, kept as snapshots; :func:`load_document` for a file or a URL
* :mod:`~rag.ingest.transport` and :mod:`~rag.ingest.addresses` — the connections a fetch makes: one deadline
  for all of it, and, for a page served to others, only to public addresses that were checked
"""

from __future__ import annotations

from rag.ingest.addresses import check_public
from rag.ingest.fetching import fetch_document, is_url, load_document
from rag.ingest.reading import SUPPORTED_SUFFIXES, iter_files, parse_document, read_document, source_url
from rag.types import Document

__all__ = [
    "SUPPORTED_SUFFIXES",
    "Document",
    "check_public",
    "fetch_document",
    "is_url",
    "iter_files",
    "load_document",
    "parse_document",
    "read_document",
    "source_url",
]
