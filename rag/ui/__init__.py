"""The web chat: streaming cited answers, a sources panel, filters, and an API.

``python app.py`` (or ``rag serve``) refreshes the index, then serves a Gradio 6
page on 127.0.0.1. The embedding model and the local LLM load in a background
thread so the page is up within seconds; the page says while they load.

Safety: every piece of document text (passages, titles, publishers, the
answer, which quotes documents) goes through :func:`html.escape` before it is
put into HTML, and only http(s) links are rendered.

API (``gradio_client``):

* ``/chat`` (question, history, [backend, k, sources, since, until]) streams
  dicts ``{answer, citations, abstained, query, error, done}``; the last one
  (``done: true``) is the cited answer.
* ``/retrieve`` (query, k, sources, since, until) returns a list of passage dicts.

Modules:

* :mod:`~rag.ui.render` — the HTML (pure functions, escaped, unit-tested)
* :mod:`~rag.ui.warmup` — the models loading in the background
* :mod:`~rag.ui.handlers` — the streamed answer, the API endpoints and the corpus tab's actions
* :mod:`~rag.ui.app` — the page: :func:`build_app`
* :mod:`~rag.ui.access` — loopback or a login: :func:`is_loopback`, :func:`auth_for`
* :mod:`~rag.ui.serving` — :func:`serve`
"""

from __future__ import annotations

import os

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from rag.ui.access import LOOPBACK_NAMES, auth_for, is_loopback
from rag.ui.app import CHAT_CONCURRENCY, DEFAULT_CHAT_K, EXAMPLES, RETRIEVE_CONCURRENCY, build_app
from rag.ui.handlers import api_chat, api_retrieve, stream_answer
from rag.ui.render import (
    CSS,
    answer_html,
    claims_citing,
    clean_history,
    esc,
    highlight_html,
    normalise,
    render_answer,
    render_error,
    render_partial,
    safe_url,
    sentence_spans,
    source_html,
    sources_panel,
    supporting_spans,
)
from rag.ui.serving import serve
from rag.ui.warmup import Warmup

__all__ = [
    "CHAT_CONCURRENCY",
    "CSS",
    "DEFAULT_CHAT_K",
    "EXAMPLES",
    "LOOPBACK_NAMES",
    "RETRIEVE_CONCURRENCY",
    "Warmup",
    "answer_html",
    "api_chat",
    "api_retrieve",
    "auth_for",
    "build_app",
    "claims_citing",
    "clean_history",
    "esc",
    "highlight_html",
    "is_loopback",
    "normalise",
    "render_answer",
    "render_error",
    "render_partial",
    "safe_url",
    "sentence_spans",
    "serve",
    "source_html",
    "sources_panel",
    "stream_answer",
    "supporting_spans",
]
