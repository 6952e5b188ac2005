"""Text → normalised vectors from an OpenAI-compatible ``/v1/embeddings`` server.

For corpora beyond one machine: llama.cpp's server, vLLM, Text Embeddings
Inference, Ollama or infinity do the encoding, this process only sends text.
Chosen with ``RAG_EMBEDDING_BACKEND=openai`` and ``RAG_EMBEDDING_URL``; the
model is ``RAG_EMBEDDING_MODEL`` (the name the server knows it by).

- Batches of ``embedding_batch_size`` texts per request.
- The hosted LLM's rules (:mod:`rag.llm.openai_compat`): the SDK retries
  ``llm_max_retries`` times and every request has one total time limit,
  ``llm_timeout``, retries included (:mod:`rag.llm.deadline`); what still fails
  is a one-line :class:`BackendError` that never holds the key.
- Vectors are normalised here: llama.cpp's server returns them unnormalised.
- A server cannot count tokens for the chunker, so counting is local: the
  model's own tokenizer when its name resolves to a folder holding
  ``tokenizer.json`` (the packaged MiniLM does), else a conservative 1.5 x the
  cl100k count against ``embedding_max_tokens``. Longer inputs are cut to the
  limit before sending, as sentence-transformers cuts them locally, so a
  server serving the packaged MiniLM returns the local vectors.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from rag.config import Settings, get_settings
from rag.embedding.local import resolve_model_location
from rag.errors import BackendError
from rag.llm.deadline import within
from rag.llm.openai_compat import api_error, api_key, client, host
from rag.text.tokens import count_tokens, truncate_tokens

if TYPE_CHECKING:
    import httpx2
    from tokenizers import Tokenizer

CL100K_FACTOR = 1.5  # WordPiece vs cl100k on the seeds: 1.06 for English, ~1.4 for Cyrillic; a margin on top


class ServerEmbedder:
    """Batched, normalised embeddings from an OpenAI-compatible server, one total deadline per request."""

    def __init__(self, settings: Settings | None = None, *, http_client: httpx2.Client | None = None) -> None:
        s = settings or get_settings()
        self.name = s.embedding_model
        self.base_url = s.embedding_url or os.environ.get("OPENAI_BASE_URL") or None  # as the hosted LLM
        self.batch_size = s.embedding_batch_size
        self.timeout = float(s.llm_timeout)
        self.retries = int(s.llm_max_retries)
        self._key = api_key(
            s.embedding_api_key,
            self.base_url,
            "the openai embedding backend",
            ("RAG_EMBEDDING_API_KEY", "RAG_EMBEDDING_URL"),
        )
        self._tokenizer, limit = _local_tokenizer(self.name)
        self.max_tokens = limit or s.embedding_max_tokens
        self._dim: int | None = None
        self._client = client(self._key, self.base_url, self.timeout, self.retries, http_client)

    @property
    def where(self) -> str:
        return host(self.base_url)

    @property
    def dim(self) -> int:
        """The server's vector size, asked once (one short request)."""
        if self._dim is None:
            self.embed(["dimension probe"])
        assert self._dim is not None
        return self._dim

    def count_tokens(self, text: str) -> int:
        if self._tokenizer is not None:
            return len(self._tokenizer.encode(text).ids)
        return math.ceil(count_tokens(text) * CL100K_FACTOR) + 2

    def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self._dim or 0), dtype=np.float32)
        parts = [self._request(texts[i : i + self.batch_size]) for i in range(0, len(texts), self.batch_size)]
        vecs = np.vstack(parts)
        norms = np.linalg.norm(vecs, axis=1, keepdims=True)
        return np.asarray(vecs / np.maximum(norms, 1e-12), dtype=np.float32)

    # --- internals ----------------------------------------------------------

    def _request(self, batch: list[str]) -> np.ndarray:
        """One request within ``llm_timeout`` seconds in total, the SDK's retries included."""
        return next(within(self._call([self._fit(t) for t in batch]), self.timeout, self._expired))

    def _call(self, batch: list[str]) -> Iterator[np.ndarray]:
        import openai

        try:
            res = self._client.embeddings.create(model=self.name, input=batch, encoding_format="float")
        except openai.APITimeoutError:
            raise self._expired() from None
        except openai.OpenAIError as exc:
            raise api_error(exc, "openai embedding backend", self.where, self._key) from None
        rows = sorted(res.data, key=lambda d: d.index)
        if len(rows) != len(batch):
            raise BackendError(
                f"openai embedding backend: {self.where} answered {len(rows)} vectors for {len(batch)} texts"
            )
        vecs = np.asarray([r.embedding for r in rows], dtype=np.float32)
        if vecs.ndim != 2 or (self._dim is not None and vecs.shape[1] != self._dim):
            raise BackendError(
                f"openai embedding backend: {self.where} changed its vector size "
                f"({self._dim} before, {vecs.shape[-1]} now): is it serving another model?"
            )
        self._dim = int(vecs.shape[1])
        yield vecs

    def _fit(self, text: str) -> str:
        """Cut to the model's limit, as sentence-transformers does locally (servers refuse or differ)."""
        if self._tokenizer is not None:
            enc = self._tokenizer.encode(text)
            if len(enc.ids) <= self.max_tokens:
                return text
            # the last kept piece: [CLS] is piece 0 and [SEP] is added after the cut
            return text[: enc.offsets[self.max_tokens - 2][1]]
        if self.count_tokens(text) <= self.max_tokens:
            return text
        return truncate_tokens(text, int((self.max_tokens - 2) / CL100K_FACTOR))

    def _expired(self) -> BackendError:
        tries = f"1 try and up to {self.retries} retr{'y' if self.retries == 1 else 'ies'}" if self.retries else "1 try"
        return BackendError(
            f"openai embedding backend: no vectors from {self.where} (model {self.name}) within {self.timeout:g} s "
            f"({tries}; RAG_LLM_TIMEOUT is the total time limit)"
        )


def _local_tokenizer(name: str) -> tuple[Tokenizer | None, int | None]:
    """The model's own tokenizer (truncation and padding off) and input limit, where a local folder has them."""
    folder = Path(resolve_model_location(name))
    if not (folder / "tokenizer.json").is_file():
        return None, None
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(folder / "tokenizer.json"))
    tok.no_truncation()  # the packaged tokenizer.json truncates at 128
    tok.no_padding()
    limit = None
    with contextlib.suppress(OSError, ValueError, KeyError, TypeError):  # no limit on record: the setting's
        limit = int(json.loads((folder / "sentence_bert_config.json").read_text())["max_seq_length"])
    return tok, limit
