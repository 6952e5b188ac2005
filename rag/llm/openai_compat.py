"""Any OpenAI-compatible chat server (OpenAI itself, llama.cpp's server, vLLM, ...).

Settings first, then the SDK's usual ``OPENAI_BASE_URL`` / ``OPENAI_API_KEY``
environment variables. A server on this machine needs no real key, so a
placeholder is sent there. The SDK retries 429, 5xx, connection errors and
timeouts ``llm_max_retries`` times with backoff, all inside one total time
limit (``llm_timeout``, :mod:`rag.llm.deadline`); whatever still fails becomes
a one-line :class:`BackendError` that never contains the key.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from rag.config import get_settings
from rag.errors import BackendError
from rag.llm import LLMRequest
from rag.llm.deadline import within

if TYPE_CHECKING:
    import httpx2
    import openai
    from pydantic import SecretStr

    from rag.config import Settings

LOCAL_PLACEHOLDER_KEY = "sk-local-no-key-needed"
_LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1", "0.0.0.0"}


def is_local_url(url: str | None) -> bool:
    host = (urlparse(url).hostname or "") if url else ""
    return host in _LOCAL_HOSTS or host.startswith("127.")


def scrub(message: str, secret: str | None) -> str:
    """One line, at most 300 chars, with the key (and anything like it) masked."""
    line = " ".join(message.split())[:300]
    if secret:
        line = line.replace(secret, "***")
        if len(secret) > 12:
            line = line.replace(secret[:12], "***")
    return line


def client(key: str, base_url: str | None, timeout: float, retries: int, http_client: Any = None) -> openai.OpenAI:
    """The SDK client both OpenAI-compatible backends (chat and embeddings) talk through."""
    try:
        import openai
    except ImportError:
        raise BackendError("the openai backend needs the 'openai' package: pip install openai") from None
    return openai.OpenAI(api_key=key, base_url=base_url, timeout=timeout, max_retries=retries, http_client=http_client)


def host(base_url: str | None) -> str:
    """Where requests go, for messages (never the key)."""
    return urlparse(base_url).netloc if base_url else "api.openai.com"


def api_key(setting: SecretStr | None, base_url: str | None, what: str, variables: tuple[str, str]) -> str:
    """The key from its setting, else ``OPENAI_API_KEY``; a server on this machine gets a placeholder.

    ``variables`` names the key's and the URL's settings for the message.
    """
    key = setting.get_secret_value() if setting else os.environ.get("OPENAI_API_KEY")
    if key:
        return key
    if not is_local_url(base_url):
        key_variable, url_variable = variables
        raise BackendError(
            f"{what} needs an API key: set {key_variable} or OPENAI_API_KEY (or {url_variable} to a local server)"
        )
    return LOCAL_PLACEHOLDER_KEY


class OpenAICompatLLM:
    """Streaming chat completions through the official ``openai`` SDK."""

    name = "openai"

    def __init__(self, settings: Settings | None = None, *, http_client: httpx2.Client | None = None) -> None:

        s = settings or get_settings()
        self.base_url = s.openai_base_url or os.environ.get("OPENAI_BASE_URL") or None
        key = api_key(
            s.openai_api_key, self.base_url, "the openai backend", ("RAG_OPENAI_API_KEY", "RAG_OPENAI_BASE_URL")
        )
        self._key = key
        self.model = s.openai_model
        self.timeout = float(s.llm_timeout)
        self.retries = int(s.llm_max_retries)
        # unknown for remote servers; n_ctx matches a llama.cpp server started with the same value
        self.context_window = int(s.n_ctx)
        self._client = client(key, self.base_url, self.timeout, self.retries, http_client)

    @property
    def where(self) -> str:
        return host(self.base_url)

    def stream(self, request: LLMRequest) -> Iterator[str]:
        """Deltas of the answer, all within ``llm_timeout`` seconds in total."""
        return within(self._stream(request), self.timeout, self._expired)

    def _expired(self) -> BackendError:
        tries = f"1 try and up to {self.retries} retr{'y' if self.retries == 1 else 'ies'}" if self.retries else "1 try"
        return BackendError(
            f"openai backend: no complete answer from {self.where} (model {self.model}) within {self.timeout:g} s "
            f"({tries}; RAG_LLM_TIMEOUT is the total time limit)"
        )

    def _stream(self, request: LLMRequest) -> Iterator[str]:
        import openai

        try:
            chunks = self._client.chat.completions.create(
                model=self.model,
                messages=[
                    {"role": "system", "content": request.system},
                    {"role": "user", "content": request.user},
                ],
                max_tokens=request.max_tokens,
                temperature=0,
                stream=True,
            )
            events = 0
            for chunk in chunks:
                events += 1
                if chunk.choices:
                    text = chunk.choices[0].delta.content
                    if text:
                        yield text
            if not events:
                # llama_cpp.server answers an over-long streamed prompt with HTTP 200 and no events
                raise BackendError(
                    f"openai backend: {self.where} ended the stream without an answer "
                    "(is the prompt longer than the server's context?)"
                )
        except openai.APITimeoutError:
            raise self._expired() from None
        except openai.OpenAIError as exc:
            raise api_error(exc, "openai backend", self.where, self._key) from None


def api_error(exc: openai.OpenAIError, what: str, where: str, key: str | None) -> BackendError:
    """An SDK failure after its retries as one line naming the server, never the key (timeouts excepted)."""
    import openai

    def why() -> str:
        cause = exc.__cause__ or exc
        return scrub(str(getattr(exc, "message", None) or cause) or type(cause).__name__, key)

    if isinstance(exc, openai.APIConnectionError):
        return BackendError(f"{what}: cannot reach {where} ({why()})")
    if isinstance(exc, openai.AuthenticationError):
        return BackendError(f"{what}: {where} rejected the API key (HTTP 401)")
    if isinstance(exc, openai.RateLimitError):
        return BackendError(f"{what}: {where} is rate limiting (HTTP 429); try again later")
    if isinstance(exc, openai.APIStatusError):
        return BackendError(f"{what}: {where} answered HTTP {exc.status_code}: {why()}")
    return BackendError(f"{what}: {type(exc).__name__}: {why()}")
