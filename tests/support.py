"""Paths and stand-ins shared by the test modules (importable as `support`; `conftest` is ambiguous with tests/llm/)."""

from __future__ import annotations

import gzip
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
QUESTIONS = ROOT / "data" / "questions.jsonl"


def second_corpus(folder: Path) -> Path:
    """The second corpus's 20 pages as <id>.html files in ``folder`` (the names its questions cite)."""
    folder.mkdir(parents=True, exist_ok=True)
    for gz in sorted((ROOT / "eval" / "second-corpus" / "pages").glob("*.html.gz")):
        (folder / gz.name.removesuffix(".gz")).write_bytes(gzip.decompress(gz.read_bytes()))
    return folder


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for_port(port: int, proc: subprocess.Popen[Any], timeout: float) -> None:
    """Bounded wait for a server we started; fails fast if it died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited early with code {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError(f"nothing listening on 127.0.0.1:{port} after {timeout:.0f}s")


def stop(proc: subprocess.Popen[Any]) -> None:
    """SIGTERM, then SIGKILL if it does not go within 15 s."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


def wait_for_openai_server(port: int, proc: subprocess.Popen[Any], timeout: float, log: Path) -> None:
    """Bounded wait until an OpenAI-compatible server's /v1/models answers (its port opens before the model loads)."""
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            tail = log.read_text(errors="replace")[-2000:]
            raise RuntimeError(f"server exited with {proc.returncode}:\n{tail}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/v1/models", timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise TimeoutError(f"server not ready on port {port} after {timeout:.0f}s")


EMBEDDING_MODEL = "all-MiniLM-L6-v2"  # the name the embedding server answers to: the project's default model name


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
                    "--model", str(gguf), "--model_alias", EMBEDDING_MODEL, "--embedding", "true",
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


class Scripted:
    """Replays fixed model outputs, one per model call: what is under test is the pipeline, not a model."""

    name = "scripted"
    context_window = 4096

    def __init__(self, *outputs: str) -> None:
        self.outputs = list(outputs)
        self.requests: list[Any] = []

    def stream(self, request: Any) -> Iterator[str]:
        self.requests.append(request)
        for word in self.outputs.pop(0).split(" "):  # as a model streams: a few characters at a time
            yield word + " "
