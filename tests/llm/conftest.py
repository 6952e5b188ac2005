"""Fixtures for backend tests: the real 0.5B GGUF and a real llama.cpp OpenAI-compatible server."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from support import free_port, stop

TEST_MODEL = os.environ.get("RAG_TEST_LOCAL_MODEL", "qwen2.5-coder-0.5b")  # the fastest usable model


@pytest.fixture(scope="session")
def test_model_name() -> str:
    return TEST_MODEL


@pytest.fixture(scope="session")
def gguf_path() -> Path:
    """The assembled test model (built once into the configured cache)."""
    from rag.llm.local import prepare

    return prepare(TEST_MODEL)


@pytest.fixture(scope="session")
def llama_server(gguf_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``python -m llama_cpp.server`` on a free loopback port; yields its /v1 base URL."""
    pytest.importorskip("llama_cpp.server", reason="llama-cpp-python[server] not installed")
    port = free_port()
    log = tmp_path_factory.mktemp("llama-server") / "server.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [
                sys.executable, "-m", "llama_cpp.server",
                "--model", str(gguf_path),
                "--host", "127.0.0.1", "--port", str(port),
                "--n_ctx", "2048", "--n_threads", "2",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        _wait_ready(port, proc, timeout=120, log=log)
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        stop(proc)


def _wait_ready(port: int, proc: subprocess.Popen[bytes], timeout: float, log: Path) -> None:
    """Bounded wait until /v1/models answers (the port opens before the model is loaded)."""
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            tail = log.read_text(errors="replace")[-2000:]
            raise RuntimeError(f"llama_cpp.server exited with {proc.returncode}:\n{tail}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/v1/models", timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise TimeoutError(f"llama_cpp.server not ready on port {port} after {timeout:.0f}s")
