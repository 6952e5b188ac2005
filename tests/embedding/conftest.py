"""A real embedding server: llama-cpp-python's OpenAI-compatible server serving the packaged MiniLM.

Why this server: it is the llama.cpp the project already pins and builds
(scripts/build_llama.sh, with its ``[server]`` extra), so it installs offline
with nothing new; it serves ``/v1/embeddings`` for BERT models with mean
pooling; and llama.cpp's own converter (scripts/minilm_gguf.py) turns the
packaged sentence-transformers folder into a GGUF whose vectors match the
local ones. Started on 127.0.0.1 on a free port, ready in about a second,
stopped at teardown.
"""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from support import ROOT, free_port, stop, wait_for_openai_server

MODEL_NAME = "all-MiniLM-L6-v2"  # the name the server answers to: the project's default model name


@pytest.fixture(scope="session")
def minilm_gguf() -> Path:
    """The packaged MiniLM as an f32 GGUF (converted once by scripts/setup.sh, or here)."""
    pytest.importorskip("llama_cpp.server", reason="llama-cpp-python[server] not installed")
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "minilm_gguf.py")], capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return Path(done.stdout.strip().splitlines()[-1])


class EmbeddingServer:
    """One ``python -m llama_cpp.server --embedding true`` process."""

    def __init__(self, gguf: Path, log: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/v1"
        self.log = log
        with log.open("wb") as out:
            self.proc = subprocess.Popen(
                [
                    sys.executable, "-m", "llama_cpp.server",
                    "--model", str(gguf), "--model_alias", MODEL_NAME, "--embedding", "true",
                    "--host", "127.0.0.1", "--port", str(self.port),
                    "--n_ctx", "512", "--n_batch", "512", "--n_ubatch", "512", "--n_threads", "2",
                ],
                stdout=out,
                stderr=subprocess.STDOUT,
            )  # fmt: skip
        try:
            wait_for_openai_server(self.port, self.proc, timeout=60, log=log)
        except BaseException:
            stop(self.proc)
            raise

    def stop(self) -> None:
        stop(self.proc)


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
