"""Chunk lengths for a server's model, counted here: the model's own tokenizer where a local folder has one, else a
conservative estimate from cl100k; inputs past the limit are cut before they are sent."""

from __future__ import annotations

import math
from typing import Any

import pytest

from rag.config import Settings
from rag.embedding import ServerEmbedder
from rag.embedding.server import CL100K_FACTOR
from rag.errors import BackendError
from rag.text.tokens import count_tokens

TEXT = "Лавров заявил, что переговоры в Женеве продолжатся в понедельник. " * 3


def server(model: str, **overrides: Any) -> ServerEmbedder:
    fields: dict[str, Any] = {"embedding_backend": "openai", "embedding_url": "http://127.0.0.1:9/v1"}
    fields.update(overrides)
    return ServerEmbedder(Settings(embedding_model=model, **fields))  # no request is made until something is embedded


def test_the_packaged_model_is_counted_with_its_own_tokenizer(embedder: object) -> None:
    minilm = server("all-MiniLM-L6-v2")
    assert minilm.max_tokens == 256
    assert minilm.count_tokens(TEXT) == embedder.count_tokens(TEXT)  # type: ignore[attr-defined]
    long = "word " * 1000
    cut = minilm._fit(long)
    assert len(cut) < len(long) and minilm.count_tokens(cut) == 256  # [CLS], 254 pieces, [SEP]: as the local model


def test_a_model_known_only_to_the_server_is_estimated_from_cl100k() -> None:
    other = server("nomic-embed-text", embedding_max_tokens=128)
    assert other.max_tokens == 128
    assert other.count_tokens(TEXT) == math.ceil(count_tokens(TEXT) * CL100K_FACTOR) + 2
    cut = other._fit(TEXT * 20)
    assert other.count_tokens(cut) <= 128 + 3  # the ellipsis the cut adds
    assert other._fit("A short sentence.") == "A short sentence."  # under the limit: sent as it is


def test_a_remote_server_needs_a_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with pytest.raises(
        BackendError, match=r"^the openai embedding backend needs an API key: set RAG_EMBEDDING_API_KEY"
    ):
        server("text-embedding-3-small", embedding_url="https://embeddings.example.com/v1")
