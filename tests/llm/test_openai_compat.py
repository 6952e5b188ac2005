"""OpenAI-compatible backend against a REAL server (llama.cpp's, on 127.0.0.1) and real sockets."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from rag.config import Settings
from rag.errors import BackendError
from rag.llm import Evidence, LLMRequest
from rag.llm.openai_compat import LOCAL_PLACEHOLDER_KEY, OpenAICompatLLM, is_local_url

REQUEST = LLMRequest(
    system="You answer questions using only the numbered sources given. End each sentence with [n].",
    user=(
        "Sources:\n\n<source n=1>\nLavrov said Russia and Belarus signed a memorandum on biological security.\n"
        "</source>\n\nQuestion: What memorandum did Russia and Belarus sign?"
    ),
    question="What memorandum did Russia and Belarus sign?",
    evidence=[Evidence(n=1, text="Lavrov said Russia and Belarus signed a memorandum on biological security.")],
    max_tokens=40,
)


@pytest.fixture
def no_openai_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)


@pytest.mark.slow
def test_streams_from_a_real_llama_cpp_server(llama_server: str, no_openai_env: None) -> None:
    llm = OpenAICompatLLM(Settings(openai_base_url=llama_server, openai_model="local", llm_timeout=60))
    deltas = list(llm.stream(REQUEST))
    assert len(deltas) > 1  # really streamed, not one blob
    assert "biolog" in "".join(deltas).lower()


@pytest.mark.slow
def test_server_errors_become_one_line_backend_errors(llama_server: str, no_openai_env: None) -> None:
    """An over-long prompt: llama_cpp.server streams HTTP 200 with no events (unlike its 400 when not
    streaming); the backend must say so rather than return an empty answer."""
    llm = OpenAICompatLLM(Settings(openai_base_url=llama_server, openai_model="local", llm_max_retries=0))
    huge = LLMRequest(system="x", user="word " * 5000, question="q", max_tokens=10)
    with pytest.raises(BackendError, match="without an answer") as err:
        list(llm.stream(huge))
    msg = str(err.value)
    assert "\n" not in msg and "127.0.0.1" in msg


def test_local_server_needs_no_key_but_remote_does(no_openai_env: None) -> None:
    llm = OpenAICompatLLM(Settings(openai_base_url="http://127.0.0.1:9/v1"))
    assert llm._key == LOCAL_PLACEHOLDER_KEY
    with pytest.raises(BackendError, match="needs an API key"):
        OpenAICompatLLM(Settings(openai_base_url="https://api.example.com/v1"))
    assert is_local_url("http://localhost:8080/v1") and not is_local_url(None)


def test_env_fallback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", "https://api.example.com/v1")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-from-env")
    llm = OpenAICompatLLM(Settings())
    assert llm.base_url == "https://api.example.com/v1" and llm._key == "sk-from-env"


@pytest.fixture
def silent_server() -> Iterator[int]:
    """Accepts connections and never answers: the case that must not hang the chat."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(16)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        srv.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = srv.accept()
                held.append(conn)
            except OSError:
                continue

    t = threading.Thread(target=accept, daemon=True)
    t.start()
    yield int(srv.getsockname()[1])
    stop.set()
    t.join(timeout=2)
    for c in held:
        c.close()
    srv.close()


def test_the_time_limit_is_a_total_deadline_retries_included(silent_server: int, no_openai_env: None) -> None:
    secret = "sk-test-SECRET-0123456789abcdef"
    llm = OpenAICompatLLM(
        Settings(
            openai_base_url=f"http://127.0.0.1:{silent_server}/v1",
            openai_api_key=secret,
            llm_timeout=1.0,
            llm_max_retries=2,
        )
    )
    t0 = time.monotonic()
    with pytest.raises(BackendError, match=r"within 1 s \(1 try and up to 2 retries") as err:
        list(llm.stream(REQUEST))
    assert time.monotonic() - t0 < 1.8  # was 3 tries of 1 s plus backoffs: the message said "within 1 s"
    assert secret not in str(err.value) and secret[:12] not in str(err.value)


class KeepAlive(BaseHTTPRequestHandler):
    """Answers 200 with an event stream that sends only SSE comments (keep-alives), never a token."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        until = time.monotonic() + 30
        try:
            while time.monotonic() < until and not getattr(self.server, "closing", False):
                self.wfile.write(b": keep-alive\n\n")
                self.wfile.flush()
                time.sleep(0.2)
        except OSError:
            pass

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def keep_alive_server() -> Iterator[int]:
    srv = ThreadingHTTPServer(("127.0.0.1", 0), KeepAlive)
    srv.daemon_threads = True
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield int(srv.server_address[1])
    srv.closing = True  # type: ignore[attr-defined]
    srv.shutdown()
    srv.server_close()


def test_keep_alives_without_tokens_do_not_hold_the_answer_past_the_limit(
    keep_alive_server: int, no_openai_env: None
) -> None:
    llm = OpenAICompatLLM(
        Settings(openai_base_url=f"http://127.0.0.1:{keep_alive_server}/v1", llm_timeout=1.5, llm_max_retries=0)
    )
    t0 = time.monotonic()
    with pytest.raises(BackendError, match=r"no complete answer from 127\.0\.0\.1:\d+ \(model .*\) within 1\.5 s"):
        list(llm.stream(REQUEST))
    assert time.monotonic() - t0 < 3


def test_connection_refused_is_a_backend_error(no_openai_env: None) -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    llm = OpenAICompatLLM(Settings(openai_base_url=f"http://127.0.0.1:{port}/v1", llm_max_retries=0))
    with pytest.raises(BackendError, match=r"cannot reach 127\.0\.0\.1"):
        list(llm.stream(REQUEST))
