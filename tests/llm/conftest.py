"""Fixtures for backend tests: the real 0.5B GGUF and a real llama.cpp OpenAI-compatible server."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from support import free_port, stop, wait_for_openai_server

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
        wait_for_openai_server(port, proc, timeout=120, log=log)
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        stop(proc)
