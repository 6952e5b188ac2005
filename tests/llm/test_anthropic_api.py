"""Anthropic backend over a mocked HTTP transport.

The hosted Anthropic API cannot be reached from this machine (no internet, no
key), so these tests swap the SDK's HTTP layer for ``httpx2.MockTransport``
(the SDK's own client type) and check streaming, retries and error messages
end to end through the real SDK code.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import httpx2
import pytest

from rag.config import Settings
from rag.errors import BackendError
from rag.llm import LLMRequest
from rag.llm.anthropic_api import AnthropicLLM

SECRET = "sk-ant-test-SECRET-0123456789"
REQUEST = LLMRequest(system="Answer from sources.", user="Sources: ... Question: q?", question="q?", max_tokens=50)


def sse(*texts: str) -> bytes:
    events = [
        ("message_start", {"type": "message_start", "message": {
            "id": "msg_1", "type": "message", "role": "assistant", "content": [], "model": "claude-test",
            "stop_reason": None, "stop_sequence": None, "usage": {"input_tokens": 10, "output_tokens": 1}}}),
        ("content_block_start", {"type": "content_block_start", "index": 0,
                                 "content_block": {"type": "text", "text": ""}}),
        *[("content_block_delta", {"type": "content_block_delta", "index": 0,
                                   "delta": {"type": "text_delta", "text": t}}) for t in texts],
        ("content_block_stop", {"type": "content_block_stop", "index": 0}),
        ("message_delta", {"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                           "usage": {"output_tokens": 5}}),
        ("message_stop", {"type": "message_stop"}),
    ]  # fmt: skip
    return "".join(f"event: {name}\ndata: {json.dumps(data)}\n\n" for name, data in events).encode()


def backend(handler: Callable[[httpx2.Request], httpx2.Response], retries: int = 2) -> AnthropicLLM:
    client = httpx2.Client(transport=httpx2.MockTransport(handler))
    settings = Settings(anthropic_api_key=SECRET, anthropic_model="claude-test", llm_max_retries=retries)
    return AnthropicLLM(settings, http_client=client)


def ok(request: httpx2.Request) -> httpx2.Response:
    body = json.loads(request.content)
    assert body["system"] == REQUEST.system and body["stream"] is True
    assert body["messages"] == [{"role": "user", "content": REQUEST.user}]
    sent = request.headers.get("x-api-key") or request.headers.get("authorization", "").removeprefix("Bearer ")
    assert sent == SECRET  # older SDKs send x-api-key, this one a bearer token
    return httpx2.Response(200, headers={"content-type": "text/event-stream"}, content=sse("Lavrov ", "said [1]."))


def test_streams_text_deltas() -> None:
    assert list(backend(ok).stream(REQUEST)) == ["Lavrov ", "said [1]."]


def test_missing_key_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    with pytest.raises(BackendError, match="needs an API key"):
        AnthropicLLM(Settings())


def test_rate_limit_then_success_is_retried() -> None:
    calls: list[int] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        calls.append(1)
        if len(calls) == 1:
            return httpx2.Response(
                429,
                headers={"retry-after-ms": "10"},
                json={"type": "error", "error": {"type": "rate_limit_error", "message": "slow down"}},
            )
        return ok(request)

    assert "".join(backend(handler).stream(REQUEST)) == "Lavrov said [1]."
    assert len(calls) == 2


def test_persistent_500_is_a_backend_error_without_the_key() -> None:
    calls: list[int] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        calls.append(1)
        return httpx2.Response(
            500,
            headers={"retry-after-ms": "10"},
            json={"type": "error", "error": {"type": "api_error", "message": f"boom for key {SECRET}"}},
        )

    with pytest.raises(BackendError) as err:
        list(backend(handler, retries=2).stream(REQUEST))
    assert len(calls) == 3  # first try + 2 retries
    msg = str(err.value)
    assert "HTTP 500" in msg and "\n" not in msg
    assert SECRET not in msg and SECRET[:12] not in msg


def test_rejected_key_is_reported_without_the_key() -> None:
    def handler(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(
            401, json={"type": "error", "error": {"type": "authentication_error", "message": f"bad key {SECRET}"}}
        )

    with pytest.raises(BackendError, match="rejected the key") as err:
        list(backend(handler).stream(REQUEST))
    assert SECRET not in str(err.value)
