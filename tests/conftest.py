"""Shared fixtures: real embedding model, real Chroma (embedded and a server on 127.0.0.1)."""

from __future__ import annotations

import os
import shutil
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

from support import SEEDS, free_port, stop, wait_for_port


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
