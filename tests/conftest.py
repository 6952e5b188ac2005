"""Shared fixtures: real embedding model, real Chroma (embedded and a server on 127.0.0.1), a real embedding server.

The embedding server is llama-cpp-python's OpenAI-compatible server serving the packaged MiniLM. Why this one: it
is the llama.cpp the project already pins and builds (scripts/build_llama.sh, with its ``[server]`` extra), so it
installs offline with nothing new; it serves ``/v1/embeddings`` for BERT models with mean pooling; and llama.cpp's
own converter (scripts/minilm_gguf.py) turns the packaged sentence-transformers folder into a GGUF whose vectors
match the local ones. Started on 127.0.0.1 on a free port, ready in about a second, stopped at teardown.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from support import ROOT, SEEDS, EmbeddingServer, free_port, stop, wait_for_port


@pytest.fixture(scope="session")
def embedder():  # type: ignore[no-untyped-def]
    """The real default model, loaded once for the whole run."""
    from rag.embedding import get_embedder

    return get_embedder("all-MiniLM-L6-v2", 64)


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real `chroma run` server on a free loopback port; yields its URL."""
    exe = shutil.which("chroma") or str(Path(sys.executable).parent / "chroma")
    port = free_port()
    path = tmp_path_factory.mktemp("chroma-server")
    proc = subprocess.Popen(
        [exe, "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port, proc, timeout=60)
        yield f"http://127.0.0.1:{port}"
    finally:
        stop(proc)


@pytest.fixture(params=["embedded", "server"])
def store_kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def make_settings(tmp_path: Path, store_kind: str, request: pytest.FixtureRequest):  # type: ignore[no-untyped-def]
    """Settings for a fresh index in a temp dir, on the embedded store or the server."""
    from rag.config import Settings

    url = request.getfixturevalue("chroma_server") if store_kind == "server" else None
    # a fresh collection per test on the shared server
    collection = f"t{uuid.uuid4().hex[:12]}" if url else "passages"

    def make(**overrides):  # type: ignore[no-untyped-def]
        fields = {"index_dir": tmp_path / "index", "seeds_dir": SEEDS, "chroma_url": url, "collection": collection}
        fields.update(overrides)
        return Settings(**fields)

    return make


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """A writable copy of the seed articles."""
    dest = tmp_path / "corpus"
    shutil.copytree(SEEDS, dest)
    return dest


@pytest.fixture(scope="session")
def minilm_gguf() -> Path:
    """The packaged MiniLM as an f32 GGUF (converted once by scripts/setup.sh, or here)."""
    pytest.importorskip("llama_cpp.server", reason="llama-cpp-python[server] not installed")
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "minilm_gguf.py")], capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return Path(done.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="session")
def embedding_server(minilm_gguf: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The shared server; yields its /v1 base URL."""
    server = EmbeddingServer(minilm_gguf, tmp_path_factory.mktemp("embedding-server") / "server.log")
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture
def own_embedding_server(minilm_gguf: Path, tmp_path: Path) -> Iterator[EmbeddingServer]:
    """A server of the test's own, for tests that stop or kill it."""
    server = EmbeddingServer(minilm_gguf, tmp_path / "server.log")
    try:
        yield server
    finally:
        if server.proc.poll() is None:
            server.proc.send_signal(signal.SIGCONT)  # a stopped process cannot act on SIGTERM
        server.stop()
