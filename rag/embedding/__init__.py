"""Text → normalised vectors: the :class:`Embedder` the rest of the project uses, and the configured one.

Two backends, chosen by ``RAG_EMBEDDING_BACKEND``: ``local`` (sentence-transformers
in this process, :mod:`rag.embedding.local`) and ``openai`` (an OpenAI-compatible
``/v1/embeddings`` server, :mod:`rag.embedding.server`). Which model made an
index's vectors is recorded and checked by :mod:`rag.embedding.identity`.
"""

from __future__ import annotations

import threading
from typing import Protocol

import numpy as np

from rag.config import get_settings
from rag.embedding.local import SentenceTransformerEmbedder, cached_local, resolve_model_location
from rag.embedding.server import ServerEmbedder

__all__ = ["Embedder", "SentenceTransformerEmbedder", "ServerEmbedder", "get_embedder", "resolve_model_location"]


class Embedder(Protocol):
    """What the rest of the project needs from an embedding model."""

    name: str
    max_tokens: int  # longest input in the model's own tokens, special tokens included

    @property
    def dim(self) -> int: ...

    def embed(self, texts: list[str]) -> np.ndarray: ...

    def count_tokens(self, text: str) -> int: ...

    def __hash__(self) -> int: ...  # caches key on the embedder


_lock = threading.Lock()
_servers: dict[tuple[object, ...], Embedder] = {}


def get_embedder(name: str | None = None, batch_size: int | None = None) -> Embedder:
    """The process-wide embedder for the configured model and backend (loaded, or connected, once).

    ``RAG_EMBEDDING_BACKEND=openai`` sends the text to an OpenAI-compatible server
    (:mod:`rag.embedding.server`); the default encodes it here.
    """
    s = get_settings()
    name, batch_size = name or s.embedding_model, batch_size or s.embedding_batch_size
    if s.embedding_backend == "local":
        return cached_local(name, batch_size)
    key = (name, batch_size, s.embedding_url, s.embedding_api_key, s.llm_timeout, s.llm_max_retries)
    with _lock:
        if key not in _servers:
            _servers[key] = ServerEmbedder(
                s.model_copy(update={"embedding_model": name, "embedding_batch_size": batch_size})
            )
        return _servers[key]
