"""The Corpus tab's actions: upload articles with visible progress, add one by its link, remove a document.

Everything here runs behind the page's login when it is served beyond loopback (gradio's auth covers
every event); the size limit is enforced by gradio (``max_file_size``) and again here.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from rag.config import get_settings
from rag.corpus import add_files, add_url, remove_document
from rag.errors import RagError
from rag.indexing import list_documents
from rag.ui.render import esc

log = logging.getLogger(__name__)

UPLOAD_TYPES = [".txt", ".md", ".markdown", ".html", ".htm", ".pdf"]


def corpus_rows() -> list[list[Any]]:
    return [
        [r["source"], r["title"] or "", r["publisher"] or "", r["date"] or "", r["chunks"]] for r in list_documents()
    ]


def document_choices() -> list[tuple[str, str]]:
    """(label, manifest path) for every indexed document: what the remove field offers."""
    return [(f"{r['title'] or r['source']} ({r['source']})", r["path"]) for r in list_documents()]


def upload(files: Sequence[str] | None, progress: Any = None) -> tuple[str, list[list[Any]]]:
    """Index the files dropped on the page: one line per file (indexed, or why not), then the new table."""
    if not files:
        return "", corpus_rows()

    def count(done: int, total: int) -> None:
        if progress is not None and total:
            progress((done, total), desc="indexing", unit="files")

    try:
        lines = add_files([Path(f) for f in files], get_settings(), count=count)
        message = "\n".join(f"- {esc(line)}" for line in lines)
    except RagError as exc:
        message = f"error: {esc(exc)}"
    except Exception as exc:  # one line on the page, the traceback in the log
        log.exception("upload failed")
        message = f"error: unexpected {type(exc).__name__}"
    return message, corpus_rows()


def remove(path: str | None) -> tuple[str, list[list[Any]]]:
    """Forget the chosen document and drop its passages."""
    if not path:
        return "choose a document to remove", corpus_rows()
    return _one_line(f"removing {path}", lambda: remove_document(path, get_settings())), corpus_rows()


def add_link(url: str) -> tuple[str, list[list[Any]]]:
    """The URL field: fetch the page, index it, and say in one line what happened.

    Served beyond loopback, ``add_url`` fetches public addresses only, checked on the connection itself.
    """
    return _one_line(f"adding {url}", lambda: add_url(url, get_settings())), corpus_rows()


def _one_line(what: str, action: Callable[[], str]) -> str:
    """``action``'s message, or its failure in one line for the page (the traceback goes to the log)."""
    try:
        return esc(action())
    except RagError as exc:
        return esc(f"error: {exc}")
    except Exception as exc:  # one line on the page, the traceback in the log
        log.exception("%s failed", what)
        return esc(f"error: unexpected {type(exc).__name__}")
