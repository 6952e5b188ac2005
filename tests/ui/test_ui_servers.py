"""The page with its store and its embedding model on servers: ``python app.py`` against a `chroma run` server and
llama.cpp's embedding server (serving the packaged MiniLM), over HTTP with gradio_client, as a deployment beyond one
machine runs it. The app builds the seed index itself at start, through both servers."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support import EMBEDDING_MODEL, SEEDS, stop
from test_ui import BRIDGEHEAD_Q, KREMLIN_UNDATED, SPUTNIK_2023, launch_app, wait_http

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def served(
    tmp_path_factory: pytest.TempPathFactory, chroma_server: str, embedding_server: str
) -> Iterator[tuple[Any, Path]]:
    """(gradio_client.Client, index folder) of an app whose index lives in the Chroma server."""
    from gradio_client import Client

    root = tmp_path_factory.mktemp("ui-servers")
    log = root / "app.log"
    env = {
        "RAG_INDEX_DIR": str(root / "index"),
        "RAG_SEEDS_DIR": str(SEEDS),
        "RAG_CHROMA_URL": chroma_server,
        "RAG_COLLECTION": "page",
        "RAG_EMBEDDING_BACKEND": "openai",
        "RAG_EMBEDDING_URL": embedding_server,
        "RAG_EMBEDDING_MODEL": EMBEDDING_MODEL,
    }
    proc, url, _ = launch_app(log, **env)
    try:
        wait_http(url, proc, timeout=180, log=log)
        yield Client(url, verbose=False), root / "index"
    finally:
        stop(proc)


def test_the_index_was_built_through_the_servers(served: tuple[Any, Path], embedding_server: str) -> None:
    _, index_dir = served
    manifest = json.loads((index_dir / "manifest.json").read_text())
    assert len(manifest["documents"]) == 5
    assert manifest["embedding"]["made_by"] == embedding_server.split("//")[1].removesuffix("/v1")
    assert not (index_dir / "chroma").exists()  # the vectors are in the server, not in the folder


def test_the_chat_gives_a_cited_answer(served: tuple[Any, Path]) -> None:
    client, _ = served
    job = client.submit(question=BRIDGEHEAD_Q, history=[], api_name="/chat")
    final = job.result()
    assert final["done"] is True and final["error"] is None and not final["abstained"]
    assert "bridgehead" in final["answer"].lower()
    assert any(c["source"] == SPUTNIK_2023 and "bridgehead" in c["text"] for c in final["citations"])


def test_retrieve_filters(served: tuple[Any, Path]) -> None:
    client, _ = served
    q = "Lukashenko meeting with Lavrov, cooperation between the foreign ministries"
    assert KREMLIN_UNDATED in {p["source"] for p in client.predict(query=q, k=10, api_name="/retrieve")}
    only = client.predict(query=q, k=5, sources=[SPUTNIK_2023], api_name="/retrieve")
    assert only and {p["source"] for p in only} == {SPUTNIK_2023}
    dated = client.predict(query=q, k=10, since="2023-01-01", until="2023-12-31", api_name="/retrieve")
    assert dated and all(p["date"] and "2023-01-01" <= p["date"] <= "2023-12-31" for p in dated)


def test_the_local_model_answers_from_the_servers(served: tuple[Any, Path]) -> None:
    """The default backend too: its evidence and answer checks embed through the server."""
    client, _ = served
    final = client.submit(question=BRIDGEHEAD_Q, history=[], backend="local", api_name="/chat").result()
    assert final["error"] is None and final["abstained"] is False, final
    assert "bridgehead" in final["answer"].lower(), final["answer"]
    assert final["citations"] and all(c["source"] and c["text"] for c in final["citations"])
