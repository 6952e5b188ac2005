"""The openai embedding backend against a real server (llama.cpp's, serving the packaged MiniLM): the same vectors
as the local model, in batches, within the hosted LLM's deadline, and an index either may build and search."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path
from typing import Any

import httpx2
import numpy as np
import pytest
from support import EMBEDDING_MODEL, SEEDS, EmbeddingServer, free_port

from rag import config
from rag.config import Settings
from rag.embedding import ServerEmbedder, get_embedder
from rag.errors import BackendError
from rag.indexing import Indexer
from rag.retrieval import Retriever
from rag.store import Store

pytestmark = pytest.mark.slow

TEXTS = [
    "The foreign ministers of Belarus and Russia met in Minsk on Thursday.",
    "Лавров заявил, что переговоры продолжатся в понедельник.",  # Cyrillic: more pieces per word
    "Q3 revenue rose 4.2% to $1.3bn, the company said (unaudited).",
    "a",
    " ".join(["The talks were described as constructive by both delegations."] * 40),  # past the 256-piece limit
]
QUESTIONS = [
    "What memorandum did Russia and Belarus sign?",
    "What did Lavrov say about the West?",
    "trade surplus with Russia",
]


def server_settings(url: str, **overrides: Any) -> Settings:
    fields: dict[str, Any] = {"embedding_backend": "openai", "embedding_url": url, "embedding_model": EMBEDDING_MODEL}
    fields.update(overrides)
    return Settings(**fields)


def test_the_server_returns_the_local_vectors(embedding_server: str, embedder: Any) -> None:
    server = ServerEmbedder(server_settings(embedding_server))
    remote, local = server.embed(TEXTS), embedder.embed(TEXTS)
    assert remote.shape == local.shape == (len(TEXTS), 384)
    assert np.allclose(np.linalg.norm(remote, axis=1), 1.0, atol=1e-5)  # llama.cpp's server does not normalise
    cosines = (remote * local).sum(axis=1)
    print(f"local vs server cosine: min {cosines.min():.6f}")
    assert cosines.min() > 0.999, cosines  # the long text too: both cut it at the model's 256 pieces
    # the chunker's token counts are the model's own, with no server round trip
    assert server.max_tokens == embedder.max_tokens == 256
    assert [server.count_tokens(t) for t in TEXTS] == [embedder.count_tokens(t) for t in TEXTS]


def test_texts_go_in_requests_of_the_batch_size_and_come_back_in_order(embedding_server: str) -> None:
    posts: list[str] = []
    client = httpx2.Client(event_hooks={"request": [lambda r: posts.append(r.url.path)]})
    server = ServerEmbedder(server_settings(embedding_server, embedding_batch_size=2), http_client=client)
    together = server.embed(TEXTS)
    assert posts == ["/v1/embeddings"] * 3  # 5 texts, 2 a request
    alone = np.vstack([server.embed([t]) for t in TEXTS])
    assert ((together * alone).sum(axis=1) > 0.9999).all()  # each text's own vector, in order (batching: ~1e-5)


def test_the_setting_chooses_the_server(embedding_server: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(config, "_settings", server_settings(embedding_server))
    chosen = get_embedder()
    assert isinstance(chosen, ServerEmbedder) and chosen is get_embedder()  # one per process
    assert chosen.dim == 384


def test_seeds_indexed_through_the_server_are_searched_alike_with_either_backend(
    embedding_server: str, embedder: Any, tmp_path: Path
) -> None:
    s = server_settings(embedding_server, index_dir=tmp_path / "index", seeds_dir=SEEDS, annotate_speakers=False)
    server = ServerEmbedder(s)
    started = time.monotonic()
    report = Indexer(s, server).update()
    print(f"{report.chunks_embedded} seed chunks through the server in {time.monotonic() - started:.1f} s")
    assert report.added == 5 and not report.warnings
    by_server, by_local = Retriever(s, server), Retriever(s, embedder)  # the local model may search it: same vectors
    for q in QUESTIONS:
        assert [p.chunk_id for p in by_server.retrieve(q, k=5)] == [p.chunk_id for p in by_local.retrieve(q, k=5)]
    local_s = s.model_copy(update={"index_dir": tmp_path / "local", "embedding_backend": "local"})
    Indexer(local_s, embedder).update()
    remote_store, local_store = Store(s.index_dir, None, s.collection), Store(local_s.index_dir, None, s.collection)
    ids = [cid for cid, _, _ in remote_store.iter_all()]
    assert sorted(ids) == sorted(cid for cid, _, _ in local_store.iter_all())  # the same chunks
    remote, local = remote_store.get(ids, embeddings=True), local_store.get(ids, embeddings=True)
    cosines = [float(remote[i]["vector"] @ local[i]["vector"]) for i in ids]
    print(f"{len(ids)} stored seed vectors, server vs local: min cosine {min(cosines):.6f}")
    assert min(cosines) > 0.999


def test_an_unreachable_server_is_one_line_not_a_hang() -> None:
    url = f"http://127.0.0.1:{free_port()}/v1"  # nothing listens there
    server = ServerEmbedder(server_settings(url, llm_timeout=10, llm_max_retries=1))
    started = time.monotonic()
    with pytest.raises(BackendError, match=r"^openai embedding backend: cannot reach 127\.0\.0\.1:\d+ \(") as info:
        server.embed(["hello"])
    assert "\n" not in str(info.value) and time.monotonic() - started < 10


def test_a_server_that_stops_answering_hits_the_total_deadline(own_embedding_server: EmbeddingServer) -> None:
    server = ServerEmbedder(server_settings(own_embedding_server.url, llm_timeout=3, llm_max_retries=2))
    assert server.embed(["before"]).shape == (1, 384)
    os.kill(own_embedding_server.proc.pid, signal.SIGSTOP)  # the port still accepts; nothing answers
    try:
        started = time.monotonic()
        with pytest.raises(
            BackendError, match=r"no vectors from 127\.0\.0\.1:\d+ \(model all-MiniLM-L6-v2\) within 3 s"
        ):
            server.embed(["during"])
        assert time.monotonic() - started < 5  # one limit for all tries, not 3 s for each
    finally:
        os.kill(own_embedding_server.proc.pid, signal.SIGCONT)
    assert server.embed(["after"]).shape == (1, 384)  # the same client recovers


def test_a_server_killed_between_requests_is_one_line(own_embedding_server: EmbeddingServer) -> None:
    server = ServerEmbedder(server_settings(own_embedding_server.url, llm_timeout=10, llm_max_retries=1))
    server.embed(["alive"])
    own_embedding_server.proc.kill()
    own_embedding_server.proc.wait(timeout=10)
    with pytest.raises(BackendError, match=r"^openai embedding backend: cannot reach 127\.0\.0\.1"):
        server.embed(["gone"])


def test_the_same_model_on_the_server_counts_as_the_index_model(
    embedding_server: str, embedder: Any, tmp_path: Path
) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "centre.txt").write_text("Belarus and Russia opened a joint space research centre in Vitebsk.\n")
    s = server_settings(embedding_server, index_dir=tmp_path / "index", seeds_dir=docs, annotate_speakers=False)
    Indexer(s, embedder).update()  # built here, by sentence-transformers
    (docs / "satellite.txt").write_text("The satellite Zubr-1, built at the centre, will launch in 2026.\n")
    server = ServerEmbedder(s)
    assert Indexer(s, server).update().added == 1  # extended through the server: the probe vectors agree
    assert Retriever(s, server).retrieve("When does Zubr-1 launch?", k=1)[0].source == "satellite.txt"
